/**
 * Pure readers of Marketo's answers: the JSON envelope (where almost every error arrives as
 * HTTP 200 + success:false), a downloaded file, and the network code in a thrown error.
 */
import { describeMarketoCode } from './errors';
import type {
	ByteStream,
	Failure,
	FileNotFound,
	MarketoEnvelope,
	OpenedFile,
	Outcome,
	RawAnswer,
} from './types';

export function toBuffer(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	if (body === undefined || body === null) return Buffer.alloc(0);
	return Buffer.from(JSON.stringify(body), 'utf8');
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

function isEnvelope(value: unknown): value is MarketoEnvelope<unknown> {
	return value !== null && typeof value === 'object' && ('success' in value || 'errors' in value);
}

/** A few readable words from a non-Marketo answer (gateway HTML pages included). */
function snippetOf(text: string): string {
	const plain = text
		.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, ' ')
		.replace(/<[^>]+>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	return plain.length > 160 ? `${plain.slice(0, 160)}...` : plain;
}

function httpFailure(answer: RawAnswer): Failure {
	const text = answer.body.toString('utf8');
	const snippet = snippetOf(text);
	return {
		signal: { kind: 'http', status: answer.statusCode },
		code: String(answer.statusCode),
		httpStatus: answer.statusCode,
		message: `HTTP ${answer.statusCode}${snippet ? ` - ${snippet}` : ''}`,
	};
}

function envelopeFailure(envelope: MarketoEnvelope<unknown>, statusCode: number): Failure {
	const first = envelope.errors?.[0];
	const code = first?.code !== undefined ? String(first.code) : 'unknown';
	const message =
		typeof first?.message === 'string' ? first.message : describeMarketoCode(code).meaning;
	return { signal: { kind: 'envelope', code }, code, message, httpStatus: statusCode };
}

export function readEnvelope<T>(answer: RawAnswer): Outcome<MarketoEnvelope<T>> {
	const parsed = parseJson(answer.body.toString('utf8'));
	if (answer.statusCode < 200 || answer.statusCode > 299) {
		// Marketo sometimes wraps an envelope error in a non-200 (e.g. 401 on a bad token).
		if (isEnvelope(parsed) && parsed.errors?.length)
			return { done: false, ...envelopeFailure(parsed, answer.statusCode) };
		return { done: false, ...httpFailure(answer) };
	}
	if (!isEnvelope(parsed)) {
		return {
			done: false,
			...httpFailure(answer),
			message: `Marketo's answer was not its JSON envelope (${answer.contentType || 'no content type'}): ${snippetOf(answer.body.toString('utf8')) || 'empty body'}`,
		};
	}
	if (parsed.success === false || (parsed.errors?.length ?? 0) > 0) {
		const failure = envelopeFailure(parsed, answer.statusCode);
		// 702 "no data found" is an empty answer, not an error.
		if (failure.code === '702')
			return { done: true, value: { ...parsed, result: [] } as MarketoEnvelope<T> };
		return { done: false, ...failure };
	}
	return { done: true, value: parsed as MarketoEnvelope<T> };
}

/** Failure and warning files are raw delimited text; an error still arrives as a JSON envelope. */
export function readDownload(answer: RawAnswer): Outcome<string> {
	if (answer.statusCode === 404) return { done: true, value: '' };
	const text = answer.body.toString('utf8');
	const looksJson =
		/json/i.test(answer.contentType) || /^\s*\{\s*"(requestId|success|errors)"/.test(text);
	if (looksJson) {
		const parsed = parseJson(text);
		if (isEnvelope(parsed) && (parsed.success === false || (parsed.errors?.length ?? 0) > 0)) {
			const failure = envelopeFailure(parsed, answer.statusCode);
			if (failure.code === '702') return { done: true, value: '' };
			return { done: false, ...failure };
		}
	}
	if (answer.statusCode < 200 || answer.statusCode > 299)
		return { done: false, ...httpFailure(answer) };
	return { done: true, value: text };
}

const NETWORK_CODE = /^(E[A-Z0-9_]+|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)$/;

/**
 * The network error code hidden somewhere in n8n's wrapping of an axios error, if any. n8n 2.x
 * keeps the axios error as `cause`; n8n 1.x throws a NodeApiError with no cause whose
 * `httpCode` is the code ('ECONNRESET').
 */
export function networkCodeOf(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
		for (const code of [
			(current as { code?: unknown }).code,
			(current as { httpCode?: unknown }).httpCode,
		]) {
			if (typeof code === 'string' && NETWORK_CODE.test(code)) return code;
		}
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

async function drain(stream: ByteStream): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk);
	return Buffer.concat(chunks);
}

/** Pure: `bytes 725-999/1000` -> 1000; `*` or a missing header -> null. */
export function totalFromContentRange(header: unknown): number | null {
	const match = typeof header === 'string' ? /\/(\d+)\s*$/.exec(header) : null;
	return match ? Number(match[1]) : null;
}

/**
 * An export file's answer: the file (200, or 206 for a Range), Marketo's plain-text 404 (job not
 * Completed, unknown, or past retention), or a failure read as any other answer (a JSON envelope
 * with 601/606..., an HTTP error). Only the file itself is left unread.
 */
export async function readFileAnswer(
	answer: RawAnswer,
	start: number,
): Promise<Outcome<OpenedFile | FileNotFound>> {
	const stream = answer.stream;
	const isFile =
		(answer.statusCode === 200 || answer.statusCode === 206) && !/json/i.test(answer.contentType);
	if (isFile && stream) {
		const length = Number(answer.headers['content-length']);
		const total =
			answer.statusCode === 206
				? totalFromContentRange(answer.headers['content-range'])
				: Number.isFinite(length) && String(answer.headers['content-length'] ?? '') !== ''
					? length
					: null;
		return {
			done: true,
			value: {
				statusCode: answer.statusCode === 206 ? 206 : 200,
				start: answer.statusCode === 206 ? start : 0,
				totalBytes: total,
				stream,
			},
		};
	}
	const body = stream ? await drain(stream) : answer.body;
	if (answer.statusCode === 404 && !/json/i.test(answer.contentType)) {
		return { done: true, value: { notFound: snippetOf(body.toString('utf8')) } };
	}
	const read = readDownload({ ...answer, body, stream: undefined });
	return read.done ? { done: false, ...httpFailure({ ...answer, body }) } : read;
}
