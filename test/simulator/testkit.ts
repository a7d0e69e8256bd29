/**
 * Small HTTP helpers for the simulator's own tests (and usable by other tests): get a
 * token, call an endpoint with the Bearer header, upload a file as multipart; and readers
 * of the calls a simulator saw, shared by the integration and e2e tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningSimulator } from './types';

export interface HttpResult {
	status: number;
	text: string;
	contentType: string;
	json: <T = Record<string, unknown>>() => T;
}

async function toResult(response: Response): Promise<HttpResult> {
	const text = await response.text();
	return {
		status: response.status,
		text,
		contentType: response.headers.get('content-type') ?? '',
		json: <T>() => JSON.parse(text) as T,
	};
}

export async function getToken(sim: RunningSimulator): Promise<string> {
	const url = `${sim.identityUrl}/oauth/token?grant_type=client_credentials&client_id=${encodeURIComponent(sim.clientId)}&client_secret=${encodeURIComponent(sim.clientSecret)}`;
	const body = (await (await fetch(url)).json()) as { access_token: string };
	return body.access_token;
}

export async function apiGet(
	sim: RunningSimulator,
	pathAndQuery: string,
	token?: string,
): Promise<HttpResult> {
	const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
	return toResult(await fetch(`${sim.baseUrl}${pathAndQuery}`, { headers }));
}

export interface UploadOptions {
	fileName?: string;
	/** Extra multipart text fields (e.g. format). */
	fields?: Record<string, string>;
	/** Leave the file part out. */
	omitFile?: boolean;
	/** Name of the file part, default 'file'. */
	fileField?: string;
}

export async function upload(
	sim: RunningSimulator,
	pathAndQuery: string,
	content: string | Buffer,
	token: string | undefined,
	options: UploadOptions = {},
): Promise<HttpResult> {
	const form = new FormData();
	for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
	if (!options.omitFile) {
		const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
		form.append(
			options.fileField ?? 'file',
			new Blob([bytes], { type: 'text/csv' }),
			options.fileName ?? 'upload.csv',
		);
	}
	const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
	return toResult(
		await fetch(`${sim.baseUrl}${pathAndQuery}`, { method: 'POST', body: form, headers }),
	);
}

export function fixture(name: string): string {
	return readFileSync(join(__dirname, 'fixtures', name), 'utf8');
}

interface Envelope {
	requestId: string;
	success: boolean;
	result?: Array<Record<string, unknown>>;
	errors?: Array<{ code: string; message: string }>;
}

export function envelopeOf(result: HttpResult): Envelope {
	return result.json<Envelope>();
}

/** The first error code of an envelope, or undefined on success. */
export function errorCode(result: HttpResult): string | undefined {
	return envelopeOf(result).errors?.[0]?.code;
}

export function firstResult(result: HttpResult): Record<string, unknown> {
	const envelope = envelopeOf(result);
	if (!envelope.success || !envelope.result?.[0])
		throw new Error(`Expected a result, got ${result.text}`);
	return envelope.result[0];
}

/** The import uploads (POST /bulk/...) the simulator received, in order. */
export function uploadCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => call.method === 'POST' && call.path.startsWith('/bulk/'));
}
