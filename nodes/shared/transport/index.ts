/**
 * The transport's public entry: the calls the nodes make to Marketo. It is the only module that
 * talks HTTP to Marketo; the call loop (URL, throttle, token, retries, errors) is in request.ts.
 */
import type { IDataObject, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { readDownload, readEnvelope, readFileAnswer } from './answers';
import { buildMultipartBody } from './multipart';
import { callMarketo, instanceRootOrThrow, readCredentials } from './request';
import type {
	FileNotFound,
	OpenedFile,
	CreateImportRequest,
	CreateImportResult,
	MarketoCall,
	MarketoContext,
	MarketoEnvelope,
} from './types';

export { readDownload, readEnvelope } from './answers';
export { EARLY_REFRESH_MS, tokenNeedsEarlyRefresh } from './request';
export {
	CreateOutcomeUnknownError,
	MARKETO_CREDENTIAL_TYPE,
	type CreateImportRequest,
	type ByteStream,
	type CreateImportResult,
	type FileNotFound,
	type MarketoCall,
	type MarketoContext,
	type OpenedFile,
	type QueueFullCode,
} from './types';

const MAX_PAGES = 1_000;

async function requestEnvelope<T>(
	context: MarketoContext,
	call: MarketoCall,
): Promise<MarketoEnvelope<T>> {
	const { json, ...rest } = call;
	const wire = json
		? { ...rest, body: Buffer.from(JSON.stringify(json), 'utf8'), contentType: 'application/json' }
		: rest;
	return await callMarketo(context, wire, (answer) => readEnvelope<T>(answer));
}

/** The envelope's `result` ([] when Marketo says 702 "no data" or leaves it out). */
export async function marketoApiRequest<T = IDataObject>(
	this: MarketoContext,
	call: MarketoCall,
): Promise<T[]> {
	const envelope = await requestEnvelope<T>(this, call);
	return envelope.result ?? [];
}

/**
 * Every page of a list. Asset endpoints page with offset/maxReturn (pass `maxReturn` in qs);
 * lead-database endpoints with nextPageToken.
 */
export async function marketoApiRequestAllItems<T = IDataObject>(
	this: MarketoContext,
	call: MarketoCall,
): Promise<T[]> {
	const all: T[] = [];
	const qs = { ...(call.qs ?? {}) };
	if (qs.maxReturn !== undefined) {
		const pageSize = Number(qs.maxReturn);
		let offset = Number(qs.offset ?? 0);
		for (let page = 0; page < MAX_PAGES; page++) {
			const result =
				(await requestEnvelope<T>(this, { ...call, qs: { ...qs, offset } })).result ?? [];
			all.push(...result);
			if (result.length < pageSize) break;
			offset += pageSize;
		}
		return all;
	}
	let previousToken: string | undefined;
	for (let page = 0; page < MAX_PAGES; page++) {
		const pageQs = previousToken ? { ...qs, nextPageToken: previousToken } : qs;
		const envelope = await requestEnvelope<T>(this, { ...call, qs: pageQs });
		const result = envelope.result ?? [];
		all.push(...result);
		const token = envelope.nextPageToken;
		const more = envelope.moreResult ?? result.length > 0;
		if (!token || token === previousToken || !more) break;
		previousToken = token;
	}
	return all;
}

/**
 * An export file from byte `start` on (`Range: bytes=<start>-`), its body left to stream: Bulk
 * Extract's files can be larger than memory. Retries, throttling and the token are as for any
 * call, up to the moment the file starts to arrive; a connection lost later is the caller's to
 * resume from the bytes it has.
 */
export async function marketoOpenFile(
	this: MarketoContext,
	call: Omit<MarketoCall, 'method' | 'json' | 'idempotent'> & { start: number },
): Promise<OpenedFile | FileNotFound> {
	const { start, ...rest } = call;
	return await callMarketo(
		this,
		{
			...rest,
			method: 'GET',
			idempotent: true,
			stream: true,
			...(start > 0 ? { rangeStart: start } : {}),
		},
		async (answer) => await readFileAnswer(answer, start),
	);
}

/** A failure or warning file as text; '' for an empty body or a 404 (no such file). */
export async function marketoDownloadText(
	this: MarketoContext,
	call: MarketoCall,
): Promise<string> {
	return await callMarketo(this, { ...call }, readDownload);
}

/** The instance the node's credential points at (its root URL): a key for what is known per Marketo instance. */
export async function marketoInstanceRoot(
	this: MarketoContext,
	itemIndex?: number,
): Promise<string> {
	const credentials = await readCredentials(this, itemIndex);
	return instanceRootOrThrow(this.getNode(), credentials, itemIndex);
}

interface CreateImportAnswer {
	batchId?: unknown;
	importId?: unknown;
	status?: unknown;
}

/** Uploads one file part as multipart/form-data (part `file`); format etc. go in the query. */
export async function marketoCreateImport(
	this: MarketoContext,
	req: CreateImportRequest,
): Promise<CreateImportResult> {
	const multipart = buildMultipartBody([
		{
			name: 'file',
			file: req.file.body,
			fileName: req.file.fileName,
			contentType: req.file.contentType,
		},
	]);
	const envelope = await callMarketo(
		this,
		{
			method: 'POST',
			path: req.path,
			qs: req.qs,
			body: multipart.body,
			contentType: multipart.contentType,
			idempotent: false,
			itemIndex: req.itemIndex,
			waitForQueueSlot: req.waitForQueueSlot,
		},
		(answer) => readEnvelope<CreateImportAnswer>(answer),
	);
	const first = envelope.result?.[0];
	const batchId = Number(first?.batchId);
	if (!first || !Number.isInteger(batchId)) {
		throw new NodeApiError(this.getNode(), { message: 'no batchId' } as JsonObject, {
			message: 'Marketo accepted the upload but returned no batchId',
			description: `Unexpected answer from ${req.path}; check the import in Marketo before retrying.`,
			itemIndex: req.itemIndex,
		});
	}
	return {
		batchId,
		importId: first.importId !== undefined ? String(first.importId) : String(batchId),
		status: typeof first.status === 'string' ? first.status : 'Queued',
	};
}
