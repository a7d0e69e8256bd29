/**
 * The HTTP side of the simulator: reads requests (multipart included), applies what a
 * Marketo gateway and API layer apply before a handler runs (413, faults, token, role,
 * limits), writes Marketo's envelope, and logs every call for inspection.
 */
import busboy from 'busboy';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { REAL_CLOCK } from '../../nodes/shared/clock';
import { createCore } from './core';
import { isBodyFault, parseJson, writeBody, type BodyFault } from './extract/http';
import { ENVELOPE_FAULT_MESSAGES, GATEWAY_502_HTML } from './faults';
import {
	matchRoute,
	type RequestContext,
	type RouteAnswer,
	type RouteDefinition,
	type UploadedFile,
} from './routes';
import { identityAnswer } from './identity';
import { SimulatorStateImpl } from './state';
import type { AuthStyle, CallRecord, FaultAnswer, SimulatorOptions } from './types';

const SECRET_PARAMS = new Set(['client_secret', 'access_token']);
/** How often the queue catches up on its own when the simulator runs on the real clock. */
const BACKGROUND_CATCH_UP_MS = 100;

function redact(values: Record<string, string>): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [key, value] of Object.entries(values))
		out[key] = SECRET_PARAMS.has(key) ? '***' : value;
	return out;
}

interface ParsedBody {
	form: Record<string, string>;
	file?: UploadedFile;
	json?: unknown;
	jsonProblem?: boolean;
	/** Set when the body could not be parsed: the envelope error to answer with. */
	problem?: { code: string; message: string };
}

function parseMultipart(req: IncomingMessage, body: Buffer): Promise<ParsedBody> {
	return new Promise((resolve) => {
		const form: Record<string, string> = {};
		let file: UploadedFile | undefined;
		let parser: busboy.Busboy;
		try {
			parser = busboy({ headers: req.headers, defParamCharset: 'utf8' });
		} catch {
			resolve({ form, problem: { code: '613', message: 'Invalid multipart request' } });
			return;
		}
		parser.on('file', (name, stream, info) => {
			const chunks: Buffer[] = [];
			// A truncated body errors the part stream too; the parser's own error answers 613.
			stream.on('error', () => undefined);
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				// Only the part named `file` is the upload; any file name is fine.
				if (name === 'file' && !file)
					file = { fieldName: name, fileName: info.filename ?? '', bytes: Buffer.concat(chunks) };
			});
		});
		parser.on('field', (name, value) => {
			form[name] = value;
		});
		parser.on('close', () => resolve({ form, file }));
		parser.on('error', () =>
			resolve({ form, problem: { code: '613', message: 'Invalid multipart request' } }),
		);
		parser.end(body);
	});
}

function parseBody(req: IncomingMessage, body: Buffer): Promise<ParsedBody> | ParsedBody {
	const type = (req.headers['content-type'] ?? '').toLowerCase();
	if (type.startsWith('multipart/form-data')) return parseMultipart(req, body);
	if (type.startsWith('application/x-www-form-urlencoded')) {
		return { form: Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
	}
	return { form: {} };
}

interface HttpAnswer {
	status: number;
	contentType: string;
	body: string;
	marketoCode?: string;
	success?: boolean;
	headers?: Record<string, string>;
	/** A body written piece by piece instead of `body` (extract files). */
	stream?: { length: number; chunks: () => Iterable<Buffer> };
}

export interface SimulatorServer {
	clientId: string;
	clientSecret: string;
	state: SimulatorStateImpl;
	listen(port: number): Promise<number>;
	close(): Promise<void>;
}

export function createSimulatorServer(options: SimulatorOptions): SimulatorServer {
	const core = createCore(options);
	const state = new SimulatorStateImpl(core);
	const sockets = new Set<Socket>();
	// Delays sleep on the simulator's clock (a fake clock makes them take no real time); closing
	// ends those still sleeping, so no timer outlives the server.
	const closing = new AbortController();
	const sleep = async (ms: number) => await core.clock.sleep(ms, closing.signal);

	const requestId = (now: number) => `${core.idPrng.hex(4)}#${now.toString(16)}`;

	const envelope = (
		route: RouteDefinition | undefined,
		answer: RouteAnswer,
		now: number,
	): HttpAnswer => {
		const asset = route?.api === 'asset';
		if (answer.type === 'text') {
			const { status, contentType, body, headers } = answer;
			return { status, contentType, body, headers };
		}
		if (answer.type === 'stream') {
			const { status, contentType, headers, length, chunks } = answer;
			return { status, contentType, body: '', headers, stream: { length, chunks } };
		}
		if (answer.type === 'error') {
			const json = {
				requestId: requestId(now),
				success: false,
				...(asset ? { warnings: [] } : {}),
				errors: [{ code: answer.code, message: answer.message }],
			};
			return jsonAnswer(200, json, answer.code, false);
		}
		const json = {
			requestId: requestId(now),
			result: answer.result,
			success: true,
			...(asset ? { errors: [], warnings: [] } : {}),
			...(answer.extra ?? {}),
		};
		return jsonAnswer(200, json, undefined, true);
	};

	const jsonAnswer = (
		status: number,
		json: unknown,
		marketoCode?: string,
		success?: boolean,
	): HttpAnswer => ({
		status,
		contentType: 'application/json;charset=UTF-8',
		body: JSON.stringify(json),
		marketoCode,
		success,
	});

	const faultAnswer = (
		route: RouteDefinition | undefined,
		fault: FaultAnswer,
		now: number,
	): HttpAnswer | 'reset' => {
		switch (fault.kind) {
			case 'reset':
				return 'reset';
			case 'gateway502':
				return { status: 502, contentType: 'text/html', body: GATEWAY_502_HTML };
			case 'http':
				return {
					status: fault.status,
					contentType: fault.contentType ?? 'text/plain',
					body: fault.body ?? `${fault.status} Service Error`,
				};
			case 'envelope': {
				const message =
					fault.message ??
					ENVELOPE_FAULT_MESSAGES[fault.code as keyof typeof ENVELOPE_FAULT_MESSAGES] ??
					'Error';
				return envelope(route, { type: 'error', code: fault.code, message }, now);
			}
			default:
				return envelope(route, { type: 'error', code: '611', message: 'System error' }, now);
		}
	};

	/** Reads the body; past `limit` bytes it keeps draining (so the client can read the 413) but stops buffering. */
	const readBody = (
		req: IncomingMessage,
		limit: number,
	): Promise<{ body: Buffer; tooLarge: boolean }> =>
		new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			let size = 0;
			let tooLarge = false;
			req.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > limit) tooLarge = true;
				if (!tooLarge) chunks.push(chunk);
			});
			req.on('end', () =>
				resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }),
			);
			req.on('error', reject);
		});

	const identity = (ctx: RequestContext): HttpAnswer => {
		const answer = identityAnswer(
			(name) => ctx.query[name] ?? ctx.form[name],
			core.options.apiUsers,
			core.tokens,
			ctx.now,
		);
		return jsonAnswer(answer.status, answer.json);
	};

	const authStyleOf = (
		req: IncomingMessage,
		ctx: RequestContext,
	): { style: AuthStyle; token?: string } => {
		const header = req.headers.authorization;
		const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
		if (bearer) return { style: 'bearer', token: bearer[1] };
		if (ctx.query.access_token !== undefined) return { style: 'query' };
		if (ctx.form.access_token !== undefined) return { style: 'form' };
		return { style: 'none' };
	};

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const now = core.clock.now();
		const method = req.method ?? 'GET';
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname;
		const query: Record<string, string> = {};
		for (const [key, value] of url.searchParams) if (!(key in query)) query[key] = value;
		const matched = matchRoute(method, path);
		const route = matched?.route;
		const isIdentity = route?.api === 'identity' || path.startsWith('/identity/');
		const record: CallRecord = {
			time: now,
			method,
			path,
			route: route?.name ?? 'unknown',
			query: redact(query),
			formFields: {},
			authStyle: 'none',
			httpStatus: 0,
		};
		state.log(record);

		let released = false;
		const concurrency = isIdentity ? { ok: true as const } : core.limiter.enter();
		const release = () => {
			if (!released && !isIdentity) core.limiter.release();
			released = true;
		};
		res.on('close', release);

		let bodyFault: BodyFault | undefined;
		const send = (answer: HttpAnswer) => {
			record.httpStatus = answer.status;
			record.marketoCode = answer.marketoCode;
			record.success = answer.success;
			res.writeHead(answer.status, {
				'Content-Type': answer.contentType,
				'Content-Length': answer.stream?.length ?? Buffer.byteLength(answer.body),
				...(answer.headers ?? {}),
			});
			if (!answer.stream && !bodyFault) {
				res.end(answer.body);
				return;
			}
			const chunks = answer.stream?.chunks() ?? [Buffer.from(answer.body)];
			writeBody(res, chunks, bodyFault).catch(() => res.destroy());
		};
		const reset = () => {
			record.httpStatus = 0;
			req.socket.destroy();
			release();
		};

		const decision = core.faults.decide(method, path, record.route);
		if (decision.label) record.fault = decision.label;
		// Body faults change how the normal answer is written, not which answer it is.
		for (const when of ['before', 'after'] as const) {
			const fault = decision[when];
			if (isBodyFault(fault)) {
				bodyFault = fault;
				decision[when] = undefined;
			}
		}
		if (decision.delayMs > 0) await sleep(decision.delayMs);
		if (decision.before?.kind === 'reset') return reset();

		// Gateway: an upload over the limit is refused before anything else looks at it.
		const bodyLimit =
			route?.upload && core.options.uploadLimitAppliesTo === 'body'
				? core.options.maxUploadBytes
				: 64 * 1024 * 1024;
		const declared = Number(req.headers['content-length'] ?? '0');
		const { body, tooLarge } = await readBody(req, declared > bodyLimit ? -1 : bodyLimit);
		if (tooLarge) {
			return send({
				status: 413,
				contentType: 'text/html',
				body: '<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center></body></html>',
				headers: { Connection: 'close' },
			});
		}
		const parsed = route?.json ? { form: {}, ...parseJson(body) } : await parseBody(req, body);
		record.formFields = redact(parsed.form);
		if (parsed.json !== undefined) record.jsonBody = parsed.json;
		if (typeof req.headers.range === 'string') record.range = req.headers.range;
		if (parsed.file) {
			record.fileField = parsed.file.fieldName;
			record.fileName = parsed.file.fileName;
			record.fileBytes = parsed.file.bytes.length;
		}
		const ctx: RequestContext = {
			method,
			path,
			pathParams: matched?.pathParams ?? {},
			query,
			form: parsed.form,
			file: parsed.file,
			now,
			headers: req.headers,
			json: parsed.json,
			jsonProblem: parsed.jsonProblem,
		};

		if (decision.before) {
			const answer = faultAnswer(route, decision.before, now);
			return answer === 'reset' ? reset() : send(answer);
		}
		if (!route)
			return send(
				envelope(
					undefined,
					{ type: 'error', code: '610', message: 'Requested resource not found' },
					now,
				),
			);
		if (isIdentity) return send(identity(ctx));

		// Apply a big processing backlog in slices first, so the handler's own advanceTo has nothing left to do.
		await core.queue.catchUp(now);
		await core.extract.queue.catchUp(now);
		const answer = await apiAnswer(
			req,
			record,
			route,
			ctx,
			parsed,
			concurrency.ok ? undefined : concurrency,
		);
		if (decision.after) {
			const replaced = faultAnswer(route, decision.after, now);
			return replaced === 'reset' ? reset() : send(replaced);
		}
		send(answer);
	};

	const apiAnswer = async (
		req: IncomingMessage,
		record: CallRecord,
		route: RouteDefinition,
		ctx: RequestContext,
		parsed: ParsedBody,
		concurrencyRefusal: { code: string; message: string } | undefined,
	): Promise<HttpAnswer> => {
		const error = (code: string, message: string) =>
			envelope(route, { type: 'error', code, message }, ctx.now);
		const auth = authStyleOf(req, ctx);
		record.authStyle = auth.style;
		if (concurrencyRefusal) return error(concurrencyRefusal.code, concurrencyRefusal.message);
		if (auth.style === 'query' || auth.style === 'form') {
			return error(
				'601',
				'Access token invalid: the access_token parameter is no longer supported, send the token in the Authorization header (Bearer)',
			);
		}
		if (auth.style === 'none' || !auth.token) return error('601', 'Access token invalid');
		const tokenCheck = core.tokens.check(auth.token, ctx.now);
		if (!tokenCheck.ok) return error(tokenCheck.code, tokenCheck.message);
		ctx.clientId = record.clientId = tokenCheck.clientId;
		if (route.permission && !core.permissions[route.permission])
			return error('603', 'Access denied');
		const counted = core.limiter.count(ctx.now);
		if (!counted.ok) return error(counted.code, counted.message);
		if (route.upload) {
			if (parsed.problem)
				return withRefund(error(parsed.problem.code, parsed.problem.message), ctx.now);
			const type = (req.headers['content-type'] ?? '').toLowerCase();
			if (!type.startsWith('multipart/form-data')) {
				return withRefund(error('612', 'Invalid Content Type'), ctx.now);
			}
			if (
				core.options.uploadLimitAppliesTo === 'file' &&
				(parsed.file?.bytes.length ?? 0) > core.options.maxUploadBytes
			) {
				return {
					status: 413,
					contentType: 'text/html',
					body: '<html><body><h1>413 Request Entity Too Large</h1></body></html>',
				};
			}
		}
		const answer = route.handle
			? route.handle(ctx, core)
			: ({ type: 'error', code: '610', message: 'Requested resource not found' } as RouteAnswer);
		const http = envelope(route, answer, ctx.now);
		return answer.type === 'error' ? withRefund(http, ctx.now) : http;
	};

	/** Calls answered with an error do not count toward the limits (Adobe's error code page). */
	const withRefund = (answer: HttpAnswer, countedAt: number): HttpAnswer => {
		core.limiter.uncount(countedAt);
		return answer;
	};

	// Marketo imports whether or not anyone asks. Replaying only on a request would make the
	// first status call after a quiet spell wait while seconds of rows are applied (1.6 s
	// measured for 3 s of two lanes at 20,000 rows/s), an answer time real Marketo does not
	// have. On the real clock the queue therefore keeps up in the background; on a fake clock
	// time only moves when a test moves it, and requests replay it exactly as before.
	let background: NodeJS.Timeout | undefined;
	let catchingUp = false;
	const keepUp = () => {
		if (catchingUp) return;
		catchingUp = true;
		core.queue
			.catchUp(core.clock.now())
			.then(async () => await core.extract.queue.catchUp(core.clock.now()))
			.catch(() => undefined)
			.finally(() => {
				catchingUp = false;
			});
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((err: Error) => {
			if (!res.headersSent) {
				res.writeHead(500, { 'Content-Type': 'text/plain' });
				res.end(`Simulator error: ${err.message}`);
			}
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});

	return {
		clientId: core.options.clientId,
		clientSecret: core.options.clientSecret,
		state,
		listen: (port: number) =>
			new Promise<number>((resolve, reject) => {
				server.once('error', reject);
				server.listen(port, '127.0.0.1', () => {
					if (core.clock === REAL_CLOCK && background === undefined) {
						background = setInterval(keepUp, BACKGROUND_CATCH_UP_MS);
						background.unref();
					}
					const address = server.address();
					resolve(typeof address === 'object' && address ? address.port : port);
				});
			}),
		close: () =>
			new Promise<void>((resolve) => {
				closing.abort();
				clearInterval(background);
				core.extract.queue.dispose();
				for (const socket of sockets) socket.destroy();
				sockets.clear();
				if (!server.listening) return resolve();
				server.close(() => resolve());
			}),
	};
}
