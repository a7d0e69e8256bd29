/**
 * A tiny HTTP server that answers each path with a scripted sequence of responses and records
 * every request, for driving the transport through its retry and error paths. The identity
 * endpoint (`/identity/oauth/token`) hands out numbered tokens unless scripted otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedResponse {
	status?: number;
	/** Sent as application/json. */
	json?: unknown;
	/** Sent as-is with `contentType` (default text/plain). */
	body?: string | Buffer;
	contentType?: string;
	/** Read the request, then destroy the socket without answering (a connection reset). */
	reset?: boolean;
}

export interface RecordedRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	/** The full request target, query included. */
	url: string;
	query: Record<string, string>;
	headers: IncomingMessage['headers'];
	body: Buffer;
}

export const TOKEN_PATH = '/identity/oauth/token';

export function marketoError(code: string, message: string): ScriptedResponse {
	return { json: { requestId: 'req#1', success: false, errors: [{ code, message }] } };
}

export function marketoResult(
	result: unknown[],
	extra: Record<string, unknown> = {},
): ScriptedResponse {
	return { json: { requestId: 'req#1', success: true, result, ...extra } };
}

export class ScriptedServer {
	readonly requests: RecordedRequest[] = [];

	private readonly scripts = new Map<string, ScriptedResponse[]>();

	private server: Server | undefined;

	private tokensIssued = 0;

	/** Remaining life reported for issued tokens (Marketo's `expires_in`). */
	tokenExpiresIn = 3600;

	port = 0;

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	get restUrl(): string {
		return `${this.url}/rest`;
	}

	/** Listens on `port` (0 = any free port) on the loopback interface. */
	async listen(port = 0): Promise<void> {
		this.server = createServer((req, res) => this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
		this.port = (this.server.address() as AddressInfo).port;
	}

	async close(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	/** Queues responses for a path; once used up, the last one repeats. */
	script(path: string, ...responses: ScriptedResponse[]): this {
		this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...responses]);
		return this;
	}

	reset(): void {
		this.scripts.clear();
		this.requests.length = 0;
		this.tokensIssued = 0;
		this.tokenExpiresIn = 3600;
	}

	requestsTo(path: string): RecordedRequest[] {
		return this.requests.filter((request) => request.path === path);
	}

	apiRequests(): RecordedRequest[] {
		return this.requests.filter((request) => request.path !== TOKEN_PATH);
	}

	private nextResponse(path: string): ScriptedResponse | undefined {
		const queue = this.scripts.get(path);
		if (!queue || queue.length === 0) return undefined;
		return queue.length > 1 ? queue.shift() : queue[0];
	}

	private handle(req: IncomingMessage, res: ServerResponse): void {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const target = new URL(req.url ?? '/', 'http://127.0.0.1');
			this.requests.push({
				method: req.method ?? 'GET',
				path: target.pathname,
				url: req.url ?? '/',
				query: Object.fromEntries(target.searchParams.entries()),
				headers: req.headers,
				body: Buffer.concat(chunks),
			});
			const scripted = this.nextResponse(target.pathname);
			if (!scripted && target.pathname === TOKEN_PATH) {
				this.tokensIssued += 1;
				this.send(res, {
					json: {
						access_token: `token-${this.tokensIssued}`,
						token_type: 'bearer',
						expires_in: this.tokenExpiresIn,
						scope: 'api@x',
					},
				});
				return;
			}
			if (!scripted) {
				this.send(res, { status: 599, body: `unscripted path ${target.pathname}` });
				return;
			}
			if (scripted.reset) {
				req.socket.destroy();
				return;
			}
			this.send(res, scripted);
		});
	}

	private send(res: ServerResponse, scripted: ScriptedResponse): void {
		res.statusCode = scripted.status ?? 200;
		if (scripted.json !== undefined) {
			res.setHeader('Content-Type', 'application/json;charset=UTF-8');
			res.end(JSON.stringify(scripted.json));
			return;
		}
		res.setHeader('Content-Type', scripted.contentType ?? 'text/plain');
		res.end(scripted.body ?? '');
	}
}

/** A loopback port with nothing listening (yet): connecting to it is refused. */
export async function unusedPort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}
