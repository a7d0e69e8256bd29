/**
 * The call loop of the only module that talks HTTP to Marketo (index.ts is its public entry).
 * Every call goes through `callMarketo`, which
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
	INode,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { WaitCancelledError } from '../clock';
import { currentClock } from '../pacing';
import { networkCodeOf, toBuffer } from './answers';
import { instanceRootFrom, joinUrl } from './endpoints';
import { redactSecrets, toNodeApiError } from './errors';
import { decideRetry } from './retryPolicy';
import { throttled } from './throttle';
import {
	CreateOutcomeUnknownError,
	MARKETO_CREDENTIAL_TYPE,
	type ByteStream,
	type MarketoContext,
	type Outcome,
	type QueueFullCode,
	type RawAnswer,
	type WireRequest,
} from './types';

/** A token with less life than this is refreshed before use (Marketo would refuse it mid-call). */
export const EARLY_REFRESH_MS = 60_000;

/** Guards against a pathological loop (e.g. codes alternating forever); real runs stop far sooner. */
const MAX_TOTAL_ATTEMPTS = 60;

export function tokenNeedsEarlyRefresh(
	credentials: ICredentialDataDecryptedObject,
	nowMs: number,
): boolean {
	const expiresAt = Number(credentials.accessTokenExpiresAt);
	const hasToken = typeof credentials.accessToken === 'string' && credentials.accessToken !== '';
	return (
		hasToken && Number.isFinite(expiresAt) && expiresAt > 0 && expiresAt - nowMs < EARLY_REFRESH_MS
	);
}

function cancelSignalOf(context: MarketoContext): AbortSignal | undefined {
	const getSignal = (context as Partial<IExecuteFunctions>).getExecutionCancelSignal;
	return typeof getSignal === 'function' ? getSignal.call(context) : undefined;
}

function cancelledError(node: INode, itemIndex?: number): NodeOperationError {
	return new NodeOperationError(node, 'The execution was cancelled while waiting for Marketo', {
		...(itemIndex !== undefined ? { itemIndex } : {}),
	});
}

export async function readCredentials(
	context: MarketoContext,
	itemIndex?: number,
): Promise<ICredentialDataDecryptedObject> {
	return await (context as IExecuteFunctions).getCredentials<ICredentialDataDecryptedObject>(
		MARKETO_CREDENTIAL_TYPE,
		itemIndex,
	);
}

export function instanceRootOrThrow(
	node: INode,
	credentials: ICredentialDataDecryptedObject,
	itemIndex?: number,
): string {
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
			...(request.rangeStart !== undefined ? { Range: `bytes=${request.rangeStart}-` } : {}),
		},
		encoding: request.stream ? 'stream' : 'arraybuffer',
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
		request.evenIfCancelled ? detachedFromCancellation(context) : context,
		MARKETO_CREDENTIAL_TYPE,
		options,
		additionalOptions,
	)) as { statusCode: number; headers?: IDataObject; body: unknown };
	const headers = response.headers ?? {};
	const contentType = headers['content-type'];
	return {
		statusCode: response.statusCode,
		contentType: typeof contentType === 'string' ? contentType : '',
		headers,
		...(request.stream
			? { body: Buffer.alloc(0), stream: response.body as ByteStream }
			: { body: toBuffer(response.body) }),
	};
}

/**
 * n8n 2.x gives every request of an execution that execution's cancel signal, so once it is
 * stopped no call goes out. The clean-up calls after a stop (cancelling the export jobs it
 * started) are sent from a view of the context that has no cancel signal to hand over.
 */
function detachedFromCancellation(context: MarketoContext): MarketoContext {
	return Object.create(context, {
		getExecutionCancelSignal: { value: () => undefined },
	}) as MarketoContext;
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

function credentialFailure(
	node: INode,
	error: unknown,
	secrets: unknown[],
	itemIndex?: number,
): NodeApiError {
	const message = redactSecrets(innermostMessage(error), secrets);
	const failure = new NodeApiError(node, { message } as JsonObject, {
		message,
		description:
			'Check the Marketo API credential: REST API Endpoint, Client ID and Client Secret.',
		...(/invalid_client/.test(message) ? { httpCode: '401' } : {}),
		...(itemIndex !== undefined ? { itemIndex } : {}),
	});
	failure.message = message;
	return failure;
}

export async function callMarketo<T>(
	context: MarketoContext,
	request: WireRequest,
	read: (answer: RawAnswer) => Outcome<T> | Promise<Outcome<T>>,
): Promise<T> {
	const node = context.getNode();
	const signal = request.evenIfCancelled ? undefined : cancelSignalOf(context);
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
		let earlyRefresh = false;
		if (
			!forceNewToken &&
			tokenNeedsEarlyRefresh(credentials, Date.now()) &&
			!earlyRefreshesDone.has(earlyRefreshKey)
		) {
			earlyRefreshesDone.add(earlyRefreshKey);
			forceNewToken = true;
			earlyRefresh = true;
		}

		let outcome: Outcome<T>;
		try {
			const answer = await throttled(
				root,
				async () => await sendOnce(context, root, request, credentials, forceNewToken, signal),
				signal,
			);
			outcome = await read(answer);
		} catch (error) {
			if (signal?.aborted || error instanceof WaitCancelledError)
				throw cancelledError(node, itemIndex);
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
			// A token fetched early can be revoked before it is used: only a refresh that a
			// refusal (601/602/401) earned makes the next refusal final.
			tokenRefreshed = !earlyRefresh;
			forceNewToken = false;
		}
		if (outcome.done) return outcome.value;

		if (request.callerHandles?.includes(outcome.code)) {
			throw toNodeApiError(node, { ...outcome, path: request.path, itemIndex, secrets });
		}
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
			throw toNodeApiError(node, {
				...outcome,
				path: request.path,
				itemIndex,
				secrets,
				tokenRefreshed,
			});
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
function asNodeError(
	node: INode,
	error: unknown,
	signal: AbortSignal | undefined,
	itemIndex?: number,
) {
	if (signal?.aborted || error instanceof WaitCancelledError)
		return cancelledError(node, itemIndex);
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error as Error, {
		...(itemIndex !== undefined ? { itemIndex } : {}),
	});
}
