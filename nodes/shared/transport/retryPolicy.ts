/**
 * Retry decisions: given what went wrong and how many attempts were made, say what to do
 * next and how long to wait first. The numbers follow Adobe's limits (API-NOTES section 3-4);
 * the jitter and a test's scale come from the pacing in force (pacing.ts).
 */
import { pacing } from '../pacing';
import { describeMarketoCode } from './errors';

export type RetrySignal =
	| { kind: 'envelope'; code: string }
	| { kind: 'http'; status: number }
	| { kind: 'network'; errorCode: string };

/**
 * 'outcome-unknown': a call that is not safe to send twice (create-import) failed in a way that
 * says nothing about whether Marketo acted on it. The transport does not resend it; the caller
 * decides (docs/DECISIONS.md "A create whose outcome is unknown").
 */
export type RetryAction = 'retry' | 'refresh-token' | 'fail' | 'wait-for-queue' | 'outcome-unknown';

export interface RetryDecision {
	action: RetryAction;
	delayMs: number;
}

export interface RetryContext {
	/** Whether sending the request twice is harmless (GETs: yes; create-import: no). */
	idempotent: boolean;
	/** Whether this call already got a fresh token: Marketo refusing that one too is final. */
	tokenRefreshed?: boolean;
}

/** Marketo counts calls in 20 s windows (606); waiting one full window always clears it. */
export const RATE_WINDOW_MS = 20_000;
export const MAX_RATE_WINDOW_ATTEMPTS = 5;
export const MAX_BACKOFF_ATTEMPTS = 6;
/** 611/614/1029 are "transient" only sometimes: a few tries, then tell the admin. */
export const MAX_FEW_ATTEMPTS = 3;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 30_000;
/**
 * Marketo's import queue drains in minutes: the first wait is 1-2 minutes, doubling up to
 * 10-20 minutes, for at most 5 waits (about 25-50 minutes in all) before giving up.
 */
export const QUEUE_BASE_MS = 2 * 60_000;
export const QUEUE_CAP_MS = 20 * 60_000;
export const MAX_QUEUE_ATTEMPTS = 6;

/** Errors raised before a single byte reached Marketo: even a create-import may be resent. */
const NEVER_SENT_ERRORS = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
/** Errors after which Marketo may or may not have received the request. */
const MAYBE_SENT_ERRORS = new Set([
	'ECONNRESET',
	'ETIMEDOUT',
	'EPIPE',
	'ECONNABORTED',
	'ESOCKETTIMEDOUT',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ERR_STREAM_PREMATURE_CLOSE',
	'UND_ERR_SOCKET',
]);

const FEW_ATTEMPT_CODES = new Set(['611', '614', '1029']);
/**
 * Envelope codes Marketo may send after it has acted: a timeout (604), "temporarily
 * unavailable" (608), a system error (611) or a transient error (713) can come back from a
 * create-import whose batch was made anyway.
 */
const MAYBE_ACTED_CODES = new Set(['604', '608', '611', '713']);

function scaled(ms: number): number {
	return Math.round(ms * pacing().retry.scale);
}

/** Exponential growth with "equal jitter": between half and all of the capped delay. */
function exponentialDelay(attempt: number, baseMs: number, capMs: number): number {
	const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
	return scaled(ceiling / 2 + (pacing().retry.random() * ceiling) / 2);
}

const FAIL: RetryDecision = { action: 'fail', delayMs: 0 };
const OUTCOME_UNKNOWN: RetryDecision = { action: 'outcome-unknown', delayMs: 0 };

function backoff(attempt: number, maxAttempts: number): RetryDecision {
	return attempt < maxAttempts
		? { action: 'retry', delayMs: exponentialDelay(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS) }
		: FAIL;
}

function decideForEnvelope(code: string, attempt: number, context: RetryContext): RetryDecision {
	if (!context.idempotent && MAYBE_ACTED_CODES.has(code)) return OUTCOME_UNKNOWN;
	const { retry } = describeMarketoCode(code);
	switch (retry) {
		case 'reauth':
			return context.tokenRefreshed ? FAIL : { action: 'refresh-token', delayMs: 0 };
		case 'rate-window':
			// Jitter up to 2 s so parallel executions don't all return in the same instant.
			return attempt < MAX_RATE_WINDOW_ATTEMPTS
				? { action: 'retry', delayMs: scaled(RATE_WINDOW_MS + pacing().retry.random() * 2_000) }
				: FAIL;
		case 'backoff':
			return backoff(
				attempt,
				FEW_ATTEMPT_CODES.has(code) ? MAX_FEW_ATTEMPTS : MAX_BACKOFF_ATTEMPTS,
			);
		case 'queue':
			return attempt < MAX_QUEUE_ATTEMPTS
				? {
						action: 'wait-for-queue',
						delayMs: exponentialDelay(attempt, QUEUE_BASE_MS, QUEUE_CAP_MS),
					}
				: FAIL;
		default:
			return FAIL;
	}
}

function decideForHttp(status: number, attempt: number, context: RetryContext): RetryDecision {
	if (status === 401)
		return context.tokenRefreshed ? FAIL : { action: 'refresh-token', delayMs: 0 };
	if (status === 429) return backoff(attempt, MAX_BACKOFF_ATTEMPTS);
	// A gateway error says nothing about whether Marketo acted on the request.
	if (status >= 500 && status <= 599)
		return context.idempotent ? backoff(attempt, MAX_BACKOFF_ATTEMPTS) : OUTCOME_UNKNOWN;
	return FAIL;
}

function decideForNetwork(
	errorCode: string,
	attempt: number,
	context: RetryContext,
): RetryDecision {
	if (NEVER_SENT_ERRORS.has(errorCode)) return backoff(attempt, MAX_BACKOFF_ATTEMPTS);
	if (MAYBE_SENT_ERRORS.has(errorCode))
		return context.idempotent ? backoff(attempt, MAX_BACKOFF_ATTEMPTS) : OUTCOME_UNKNOWN;
	return FAIL;
}

/** `attempt` is the 1-based number of the attempt that just failed. */
export function decideRetry(
	signal: RetrySignal,
	attempt: number,
	context: RetryContext,
): RetryDecision {
	switch (signal.kind) {
		case 'envelope':
			return decideForEnvelope(signal.code, attempt, context);
		case 'http':
			return decideForHttp(signal.status, attempt, context);
		case 'network':
			return decideForNetwork(signal.errorCode, attempt, context);
	}
}
