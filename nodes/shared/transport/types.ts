/**
 * What the transport takes and gives: the calls the nodes make and the answers they get back,
 * and the shapes the call loop passes between reading an answer and deciding a retry.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	NodeApiError,
} from 'n8n-workflow';

import type { RetrySignal } from './retryPolicy';

export type MarketoContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface MarketoCall {
	method: 'GET' | 'POST';
	/** Starts with `/rest/` or `/bulk/`, e.g. '/bulk/v1/leads/batch/12.json'. */
	path: string;
	qs?: IDataObject;
	/** GETs: true. create-import: false (resent only when Marketo provably never received it). */
	idempotent: boolean;
	/** For error attribution. */
	itemIndex?: number;
	/** A JSON body (Bulk Extract's create job). */
	json?: IDataObject;
	/**
	 * Marketo codes the caller reads itself (e.g. 1029, whose three reasons need three different
	 * answers): thrown at once as a NodeApiError whose httpCode is the code, never retried.
	 */
	callerHandles?: string[];
	/**
	 * Sent even when the execution was cancelled: the calls that clean up after it (cancelling
	 * the export jobs it started, so they stop holding Marketo's queue and quota).
	 */
	evenIfCancelled?: boolean;
}

/** A response body as it arrives, for files too large to hold (Bulk Extract's files). */
export interface ByteStream extends AsyncIterable<Buffer> {
	destroy(error?: Error): void;
}

/** An export file opened for reading, from byte `start` on. */
export interface OpenedFile {
	/** 206 when Marketo answered a Range request with part of the file */
	statusCode: 200 | 206;
	start: number;
	/** the file's whole length when Marketo said it (Content-Range or Content-Length), else null */
	totalBytes: number | null;
	stream: ByteStream;
}

/** Marketo's plain-text 404 of a file endpoint: the job is not Completed, unknown, or past retention. */
export interface FileNotFound {
	notFound: string;
}

export type QueueFullCode = '1016' | '1019';

export interface CreateImportRequest {
	path: string;
	qs: IDataObject;
	itemIndex: number;
	file: { body: Buffer; fileName: string; contentType: string };
	/** Called instead of the default minutes-long backoff when Marketo's import queue is full. */
	waitForQueueSlot?: (attempt: number, code: QueueFullCode) => Promise<void>;
}

export interface CreateImportResult {
	batchId: number;
	importId: string;
	status: string;
}

export const MARKETO_CREDENTIAL_TYPE = 'marketoApi';

/**
 * A create-import failed in a way that does not say whether Marketo made the batch (HTTP 5xx,
 * a connection lost after sending, 604/608/611/713). The transport does not resend it: sending
 * the same rows twice could run them in Marketo's two lanes at once. The caller decides
 * (docs/DECISIONS.md "A create whose outcome is unknown"); `nodeError` is the error to show if
 * it gives up.
 */
export class CreateOutcomeUnknownError extends Error {
	constructor(
		readonly nodeError: NodeApiError,
		/** Marketo's code or the HTTP status / network error code, e.g. '604', '502', 'ECONNRESET' */
		readonly code: string,
	) {
		super(nodeError.message);
		this.name = 'CreateOutcomeUnknownError';
	}
}

export interface MarketoEnvelope<T> {
	requestId?: string;
	success?: boolean;
	result?: T[];
	errors?: Array<{ code?: unknown; message?: unknown }>;
	warnings?: unknown[];
	nextPageToken?: string;
	moreResult?: boolean;
}

export interface RawAnswer {
	statusCode: number;
	contentType: string;
	headers: IDataObject;
	body: Buffer;
	/** the body still to read, when the request asked for a stream (then `body` is empty) */
	stream?: ByteStream;
}

export interface Failure {
	signal: RetrySignal;
	code: string;
	message: string;
	httpStatus?: number;
}

export type Outcome<T> = { done: true; value: T } | ({ done: false } & Failure);

export interface WireRequest {
	method: 'GET' | 'POST';
	path: string;
	qs?: IDataObject;
	body?: Buffer;
	contentType?: string;
	idempotent: boolean;
	itemIndex?: number;
	waitForQueueSlot?: CreateImportRequest['waitForQueueSlot'];
	/** `Range: bytes=<start>-`: the rest of a file from this byte */
	rangeStart?: number;
	/** answer with the body as a stream, not read into memory */
	stream?: boolean;
	callerHandles?: string[];
	evenIfCancelled?: boolean;
}
