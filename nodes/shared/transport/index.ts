/**
 * The only module that talks HTTP to Marketo. Every call goes through `callMarketo`, which
 * - builds the URL from the credential's instance root (endpoints.ts),
 * - waits for a slot in the per-instance limiter (throttle.ts),
 * - sends through n8n's httpRequestWithAuthentication (token in the Authorization header only),
 * - reads Marketo's envelope, where almost every error arrives as HTTP 200 + success:false,
 * - asks retryPolicy.ts what to do, refreshing the token on 601/602 in a way n8n persists,
 * - and turns a final failure into a secret-free NodeApiError (errors.ts).
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { instanceRootFrom, joinUrl } from './endpoints';
import { describeMarketoCode, redactSecrets, toNodeApiError } from './errors';
import { buildMultipartBody } from './multipart';
import type { RetrySignal } from './retryPolicy';
import { decideRetry } from './retryPolicy';
import { throttled } from './throttle';
import { WaitCancelledError } from '../clock';
import { currentClock } from '../pacing';

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

/** A token with less life than this is refreshed before use (Marketo would refuse it mid-call). */
export const EARLY_REFRESH_MS = 60_000;

/** Guards against a pathological loop (e.g. codes alternating forever); real runs stop far sooner. */
const MAX_TOTAL_ATTEMPTS = 60;

const MAX_PAGES = 1_000;

interface MarketoEnvelope<T> {
	requestId?: string;
	success?: boolean;
	result?: T[];
	errors?: Array<{ code?: unknown; message?: unknown }>;
	warnings?: unknown[];
	nextPageToken?: string;
	moreResult?: boolean;
}

interface RawAnswer {
	statusCode: number;
	contentType: string;
	body: Buffer;
}

interface Failure {
	signal: RetrySignal;
	code: string;
	message: string;
	httpStatus?: number;
}

type Outcome<T> = { done: true; value: T } | ({ done: false } & Failure);

interface WireRequest {
	method: 'GET' | 'POST';
	path: string;
	qs?: IDataObject;
	body?: Buffer;
	contentType?: string;
	idempotent: boolean;
	itemIndex?: number;
	waitForQueueSlot?: CreateImportRequest['waitForQueueSlot'];
}

// ---------------------------------------------------------------------------------------------
// Pure helpers: reading answers

export function tokenNeedsEarlyRefresh(credentials: ICredentialDataDecryptedObject, nowMs: number): boolean {
	const expiresAt = Number(credentials.accessTokenExpiresAt);
	const hasToken = typeof credentials.accessToken === 'string' && credentials.accessToken !== '';
	return hasToken && Number.isFinite(expiresAt) && expiresAt > 0 && expiresAt - nowMs < EARLY_REFRESH_MS;
}

function toBuffer(body: unknown): Buffer {
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
	const message = typeof first?.message === 'string' ? first.message : describeMarketoCode(code).meaning;
	return { signal: { kind: 'envelope', code }, code, message, httpStatus: statusCode };
}

export function readEnvelope<T>(answer: RawAnswer): Outcome<MarketoEnvelope<T>> {
	const parsed = parseJson(answer.body.toString('utf8'));
	if (answer.statusCode < 200 || answer.statusCode > 299) {
		// Marketo sometimes wraps an envelope error in a non-200 (e.g. 401 on a bad token).
		if (isEnvelope(parsed) && parsed.errors?.length) return { done: false, ...envelopeFailure(parsed, answer.statusCode) };
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
		if (failure.code === '702') return { done: true, value: { ...parsed, result: [] } as MarketoEnvelope<T> };
		return { done: false, ...failure };
	}
	return { done: true, value: parsed as MarketoEnvelope<T> };
}

/** Failure and warning files are raw delimited text; an error still arrives as a JSON envelope. */
export function readDownload(answer: RawAnswer): Outcome<string> {
	if (answer.statusCode === 404) return { done: true, value: '' };
	const text = answer.body.toString('utf8');
	const looksJson = /json/i.test(answer.contentType) || /^\s*\{\s*"(requestId|success|errors)"/.test(text);
	if (looksJson) {
		const parsed = parseJson(text);
		if (isEnvelope(parsed) && (parsed.success === false || (parsed.errors?.length ?? 0) > 0)) {
			const failure = envelopeFailure(parsed, answer.statusCode);
			if (failure.code === '702') return { done: true, value: '' };
			return { done: false, ...failure };
		}
	}
	if (answer.statusCode < 200 || answer.statusCode > 299) return { done: false, ...httpFailure(answer) };
	return { done: true, value: text };
}

const NETWORK_CODE = /^(E[A-Z0-9_]+|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)$/;

/**
 * The network error code hidden somewhere in n8n's wrapping of an axios error, if any. n8n 2.x
 * keeps the axios error as `cause`; n8n 1.x throws a NodeApiError with no cause whose
 * `httpCode` is the code ('ECONNRESET').
 */
function networkCodeOf(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
		for (const code of [(current as { code?: unknown }).code, (current as { httpCode?: unknown }).httpCode]) {
			if (typeof code === 'string' && NETWORK_CODE.test(code)) return code;
		}
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

// ---------------------------------------------------------------------------------------------
// The call loop

function cancelSignalOf(context: MarketoContext): AbortSignal | undefined {
	const getSignal = (context as Partial<IExecuteFunctions>).getExecutionCancelSignal;
	return typeof getSignal === 'function' ? getSignal.call(context) : undefined;
}

function cancelledError(node: INode, itemIndex?: number): NodeOperationError {
	return new NodeOperationError(node, 'The execution was cancelled while waiting for Marketo', {
		...(itemIndex !== undefined ? { itemIndex } : {}),
	});
}

async function readCredentials(context: MarketoContext, itemIndex?: number): Promise<ICredentialDataDecryptedObject> {
	return await (context as IExecuteFunctions).getCredentials<ICredentialDataDecryptedObject>(
		MARKETO_CREDENTIAL_TYPE,
		itemIndex,
	);
}

function instanceRootOrThrow(node: INode, credentials: ICredentialDataDecryptedObject, itemIndex?: number): string {
	try {
		return instanceRootFrom(String(credentials.restEndpoint ?? ''));
	} catch (error) {
		throw new NodeOperationError(node, (error as Error).message, {
			...(itemIndex !== undefined ? { itemIndex } : {}),
		});
	}
}

/**
 * Early refreshes already done, by instance and token expiry: Marketo hands back the SAME
 * token while it lives, so refreshing it again before it dies would only waste identity calls.
 */
const earlyRefreshesDone = new Set<string>();

async function sendOnce(
	context: MarketoContext,
	root: string,
	request: WireRequest,
	credentials: ICredentialDataDecryptedObject,
	forceNewToken: boolean,
	signal: AbortSignal | undefined,
): Promise<RawAnswer> {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: joinUrl(root, request.path),
		headers: {
			Accept: 'application/json',
			...(request.contentType ? { 'Content-Type': request.contentType } : {}),
		},
		encoding: 'arraybuffer',
		json: false,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		...(request.qs && Object.keys(request.qs).length > 0 ? { qs: request.qs } : {}),
		...(request.body ? { body: request.body } : {}),
		...(signal ? { abortSignal: signal } : {}),
	};
	// An empty expirable field makes n8n run the credential's preAuthentication and persist the
	// new token (n8n's credentials-helper). Only the node's own credential id/name can be used.
	const nodeCredential = context.getNode().credentials?.[MARKETO_CREDENTIAL_TYPE];
	const additionalOptions = forceNewToken
		? {
				credentialsDecrypted: {
					id: nodeCredential?.id ?? '',
					name: nodeCredential?.name ?? '',
					type: MARKETO_CREDENTIAL_TYPE,
					data: { ...credentials, accessToken: '' },
				},
			}
		: undefined;
	const response = (await context.helpers.httpRequestWithAuthentication.call(
		context,
		MARKETO_CREDENTIAL_TYPE,
		options,
		additionalOptions,
	)) as { statusCode: number; headers?: IDataObject; body: unknown };
	const contentType = response.headers?.['content-type'];
	return {
		statusCode: response.statusCode,
		contentType: typeof contentType === 'string' ? contentType : '',
		body: toBuffer(response.body),
	};
}

/** n8n wraps the credential's own error (and may rephrase it); its words are at the end of the chain. */
function innermostMessage(error: unknown): string {
	let message = String(error);
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
		if (current.message) message = current.message;
		current = (current as { cause?: unknown }).cause;
	}
	return message;
}

function credentialFailure(node: INode, error: unknown, secrets: unknown[], itemIndex?: number): NodeApiError {
	const message = redactSecrets(innermostMessage(error), secrets);
	const failure = new NodeApiError(node, { message } as JsonObject, {
		message,
		description: 'Check the Marketo API credential: REST API Endpoint, Client ID and Client Secret.',
		...(/invalid_client/.test(message) ? { httpCode: '401' } : {}),
		...(itemIndex !== undefined ? { itemIndex } : {}),
	});
	failure.message = message;
	return failure;
}

async function callMarketo<T>(
	context: MarketoContext,
	request: WireRequest,
	read: (answer: RawAnswer) => Outcome<T>,
): Promise<T> {
	const node = context.getNode();
	const signal = cancelSignalOf(context);
	const { itemIndex } = request;
	const failuresByCode = new Map<string, number>();
	let tokenRefreshed = false;
	let forceNewToken = false;
	let queueWaits = 0;

	// Waits for a queue slot do not count: the caller's Queue Wait Limit bounds them, however long it is.
	for (let attempt = 1; ; attempt++) {
		if (signal?.aborted) throw cancelledError(node, itemIndex);
		const credentials = await readCredentials(context, itemIndex);
		const root = instanceRootOrThrow(node, credentials, itemIndex);
		const secrets = [credentials.clientSecret, credentials.accessToken];
		const earlyRefreshKey = `${root}|${String(credentials.accessTokenExpiresAt)}`;
		if (!tokenRefreshed && tokenNeedsEarlyRefresh(credentials, Date.now()) && !earlyRefreshesDone.has(earlyRefreshKey)) {
			earlyRefreshesDone.add(earlyRefreshKey);
			forceNewToken = true;
		}

		let outcome: Outcome<T>;
		try {
			const answer = await throttled(
				root,
				async () => await sendOnce(context, root, request, credentials, forceNewToken, signal),
				signal,
			);
			outcome = read(answer);
		} catch (error) {
			if (signal?.aborted || error instanceof WaitCancelledError) throw cancelledError(node, itemIndex);
			const networkCode = networkCodeOf(error);
			// Without a network code the request never left: the credential could not get a token.
			if (!networkCode) throw credentialFailure(node, error, secrets, itemIndex);
			outcome = {
				done: false,
				signal: { kind: 'network', errorCode: networkCode },
				code: networkCode,
				message: `Network error ${networkCode} talking to ${root}`,
			};
		}
		if (forceNewToken) {
			tokenRefreshed = true;
			forceNewToken = false;
		}
		if (outcome.done) return outcome.value;

		const failures = (failuresByCode.get(outcome.code) ?? 0) + 1;
		failuresByCode.set(outcome.code, failures);
		const isQueueFull = outcome.code === '1016' || outcome.code === '1019';
		const decision =
			isQueueFull && request.waitForQueueSlot
				? { action: 'wait-for-queue' as const, delayMs: 0 }
				: decideRetry(outcome.signal, failures, { idempotent: request.idempotent, tokenRefreshed });
		if (decision.action === 'outcome-unknown') {
			throw new CreateOutcomeUnknownError(
				toNodeApiError(node, { ...outcome, path: request.path, itemIndex, secrets }),
				outcome.code,
			);
		}
		if (decision.action === 'fail' || attempt - queueWaits >= MAX_TOTAL_ATTEMPTS) {
			throw toNodeApiError(node, { ...outcome, path: request.path, itemIndex, secrets });
		}
		if (decision.action === 'refresh-token') {
			forceNewToken = true;
			continue;
		}
		// Marketo took the token this time: a later expiry (an hours-long queue wait outlives
		// a token) deserves a refresh of its own.
		tokenRefreshed = false;
		if (decision.action === 'wait-for-queue') queueWaits += 1;
		const waitFailure = await waitBeforeRetry(decision, outcome.code, queueWaits, request, signal);
		if (waitFailure !== undefined) throw asNodeError(node, waitFailure, signal, itemIndex);
	}
}

/** Waits as decided; resolves to the error that ended the wait early, if any. */
async function waitBeforeRetry(
	decision: { action: string; delayMs: number },
	code: string,
	queueWaitNumber: number,
	request: WireRequest,
	signal: AbortSignal | undefined,
): Promise<unknown> {
	const wait =
		decision.action === 'wait-for-queue' && request.waitForQueueSlot
			? request.waitForQueueSlot(queueWaitNumber, code as QueueFullCode)
			: currentClock().sleep(decision.delayMs, signal, 'retry');
	return await wait.then(
		() => undefined,
		(error: unknown) => error ?? new WaitCancelledError(),
	);
}

/** Cancellation becomes n8n's cancellation error; a caller's own n8n error passes unchanged. */
function asNodeError(node: INode, error: unknown, signal: AbortSignal | undefined, itemIndex?: number) {
	if (signal?.aborted || error instanceof WaitCancelledError) return cancelledError(node, itemIndex);
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error as Error, { ...(itemIndex !== undefined ? { itemIndex } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Public API (contract in docs/ARCHITECTURE.md)

async function requestEnvelope<T>(context: MarketoContext, call: MarketoCall): Promise<MarketoEnvelope<T>> {
	return await callMarketo(context, { ...call }, (answer) => readEnvelope<T>(answer));
}

/** The envelope's `result` ([] when Marketo says 702 "no data" or leaves it out). */
export async function marketoApiRequest<T = IDataObject>(this: MarketoContext, call: MarketoCall): Promise<T[]> {
	const envelope = await requestEnvelope<T>(this, call);
	return envelope.result ?? [];
}

/**
 * Every page of a list. Asset endpoints page with offset/maxReturn (pass `maxReturn` in qs);
 * lead-database endpoints with nextPageToken.
 */
export async function marketoApiRequestAllItems<T = IDataObject>(this: MarketoContext, call: MarketoCall): Promise<T[]> {
	const all: T[] = [];
	const qs = { ...(call.qs ?? {}) };
	if (qs.maxReturn !== undefined) {
		const pageSize = Number(qs.maxReturn);
		let offset = Number(qs.offset ?? 0);
		for (let page = 0; page < MAX_PAGES; page++) {
			const result = (await requestEnvelope<T>(this, { ...call, qs: { ...qs, offset } })).result ?? [];
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

/** A failure or warning file as text; '' for an empty body or a 404 (no such file). */
export async function marketoDownloadText(this: MarketoContext, call: MarketoCall): Promise<string> {
	return await callMarketo(this, { ...call }, readDownload);
}

/** The instance the node's credential points at (its root URL): a key for what is known per Marketo instance. */
export async function marketoInstanceRoot(this: MarketoContext, itemIndex?: number): Promise<string> {
	const credentials = await readCredentials(this, itemIndex);
	return instanceRootOrThrow(this.getNode(), credentials, itemIndex);
}

interface CreateImportAnswer {
	batchId?: unknown;
	importId?: unknown;
	status?: unknown;
}

/** Uploads one file part as multipart/form-data (part `file`); format etc. go in the query. */
export async function marketoCreateImport(this: MarketoContext, req: CreateImportRequest): Promise<CreateImportResult> {
	const multipart = buildMultipartBody([
		{ name: 'file', file: req.file.body, fileName: req.file.fileName, contentType: req.file.contentType },
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
