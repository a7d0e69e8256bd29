/**
 * Marketo's error codes, what they mean to an admin, and how the transport reacts to them.
 * Marketo reports almost every failure as HTTP 200 with `success:false` and a STRING code,
 * so this table is keyed by that string; real HTTP failures use `http-<status>`.
 */
import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/**
 * reauth: get a new token and retry once; backoff: retry with exponential backoff;
 * rate-window: wait out Marketo's 20 s window; queue: the import queue is full, wait minutes;
 * empty: not an error (no data); fail: retrying cannot help.
 */
export type RetryClass = 'reauth' | 'backoff' | 'rate-window' | 'queue' | 'empty' | 'fail';

export interface MarketoCodeInfo {
	meaning: string;
	hint: string;
	/** For a refused token (601/602) that was not followed by a fresh one: `hint` says one was tried. */
	hintWithoutRefresh?: string;
	retry: RetryClass;
}

export const MARKETO_ERROR_CODES: Readonly<Record<string, MarketoCodeInfo>> = {
	'601': {
		meaning: 'Access token invalid',
		hint: 'The access token was refused even after a refresh. Check that the LaunchPoint service and its API-only user are still active.',
		hintWithoutRefresh:
			'Marketo refused the access token. Check that the LaunchPoint service and its API-only user are still active.',
		retry: 'reauth',
	},
	'602': {
		meaning: 'Access token expired',
		hint: 'The access token expired and a new one was refused. Check the Client ID and Client Secret in the Marketo API credential.',
		hintWithoutRefresh:
			'The access token expired. Check the Client ID and Client Secret in the Marketo API credential.',
		retry: 'reauth',
	},
	'603': {
		meaning: 'Access denied',
		hint: "The API-only user's role lacks a permission this call needs: 'Read-Write Lead' for lead and program member imports, 'Read-Only Assets' for program, list and channel dropdowns, 'Read-Write Custom Object' for custom objects (Admin > Users & Roles > Roles). If the role is right, check the IP allow-list under Admin > Web Services.",
		retry: 'fail',
	},
	'604': {
		meaning: 'Request timed out',
		hint: 'Marketo was slow to answer; the call was retried several times. Try again later.',
		retry: 'backoff',
	},
	'606': {
		meaning: 'Max rate limit exceeded',
		hint: 'More than 100 calls in 20 seconds reached this Marketo instance (all integrations together). Other integrations may be busy; try again later or poll less often.',
		retry: 'rate-window',
	},
	'607': {
		meaning: 'Daily quota reached',
		hint: "The instance's daily API quota is used up. It resets at midnight US Central time; Admin > Web Services shows the usage.",
		retry: 'fail',
	},
	'608': {
		meaning: 'API temporarily unavailable',
		hint: 'Marketo is temporarily unavailable; the call was retried several times. Try again later.',
		retry: 'backoff',
	},
	'609': {
		meaning: 'Invalid JSON',
		hint: 'Marketo could not read the request. This is a bug in the node: please report it.',
		retry: 'fail',
	},
	'610': {
		meaning: 'Requested resource not found',
		hint: 'Marketo does not know this URL. Check the REST API Endpoint in the credential (Admin > Web Services); if it is right, please report this as a bug.',
		retry: 'fail',
	},
	'611': {
		meaning: 'System error',
		hint: 'Marketo had an internal error; the call was retried a few times. Try again later.',
		retry: 'backoff',
	},
	'612': {
		meaning: 'Invalid Content Type',
		hint: 'Marketo refused the request format. This is a bug in the node: please report it.',
		retry: 'fail',
	},
	'613': {
		meaning: 'Invalid Multipart Request',
		hint: 'Marketo could not read the uploaded file part. This is a bug in the node: please report it.',
		retry: 'fail',
	},
	'614': {
		meaning: 'Invalid Subscription',
		hint: 'Marketo did not recognise the subscription (often transient). If it persists, check the REST API Endpoint (Admin > Web Services).',
		retry: 'backoff',
	},
	'615': {
		meaning: 'Concurrent access limit reached',
		hint: 'More than 10 calls were running at once on this Marketo instance (all integrations together). Try again later.',
		retry: 'backoff',
	},
	'702': { meaning: 'No data found', hint: 'Marketo found no matching records.', retry: 'empty' },
	'713': {
		meaning: 'Transient error',
		hint: 'Marketo reported a transient error; the call was retried several times. Try again later.',
		retry: 'backoff',
	},
	'1003': {
		meaning: 'Invalid data',
		hint: 'Marketo refused the data; for an upload this usually means an empty file or a file with only a header row.',
		retry: 'fail',
	},
	'1006': {
		meaning: 'Field not found',
		hint: "A column or field is not a REST API field name of this instance. Use the API names from Admin > Field Management (or the node's field check), not display names.",
		retry: 'fail',
	},
	'1008': {
		meaning: 'Access denied to partition',
		hint: "The API-only user's role has no access to that lead partition (Admin > Users & Roles > Roles > Workspaces & Partitions).",
		retry: 'fail',
	},
	'1009': {
		meaning: 'Partition name must be given',
		hint: 'This instance has several lead partitions: choose a Partition Name.',
		retry: 'fail',
	},
	'1013': {
		meaning: 'Object not found',
		hint: 'The list, program or object does not exist (or the API user cannot see it). Check the ID.',
		retry: 'fail',
	},
	'1016': {
		meaning: 'Too many imports',
		hint: "Marketo's import queue (10 jobs, shared by all integrations) stayed full. Try again later or space out imports.",
		retry: 'queue',
	},
	'1019': {
		meaning: 'Import to list in progress',
		hint: 'Another import into the same static list is still running. Try again when it has finished.',
		retry: 'queue',
	},
	'1025': {
		meaning: 'Program status not found',
		hint: "The Program Member Status is not one of the program channel's statuses (Admin > Tags > Channels).",
		retry: 'fail',
	},
	'1026': {
		meaning: 'Custom objects not enabled',
		hint: 'Custom objects are not enabled for this instance, or the API user lacks the Read-Write Custom Object permission.',
		retry: 'fail',
	},
	'1029': {
		meaning: 'Export queue full or export quota reached',
		hint: 'Too many bulk jobs are queued or the daily bulk quota is used up. Try again later.',
		retry: 'backoff',
	},
	'http-401': {
		meaning: 'Unauthorized',
		hint: 'Marketo refused the credential. Check the Client ID and Client Secret (Admin > LaunchPoint > View Details).',
		retry: 'reauth',
	},
	'http-404': {
		meaning: 'Not found',
		hint: 'Nothing answers at this URL. Check the REST API Endpoint in the credential (Admin > Web Services).',
		retry: 'fail',
	},
	'http-413': {
		meaning: 'File too large',
		hint: 'Marketo accepts files under 10 MB per upload. Lower the maximum part size so the file is split into smaller parts.',
		retry: 'fail',
	},
	'http-414': {
		meaning: 'URI too long',
		hint: 'The request URL is too long for Marketo. Use fewer or shorter values.',
		retry: 'fail',
	},
	'http-429': {
		meaning: 'Too many requests',
		hint: 'Marketo asked to slow down; the call was retried several times. Try again later.',
		retry: 'backoff',
	},
	'http-5xx': {
		meaning: 'Marketo gateway or server error',
		hint: 'Marketo or its gateway failed to answer (HTTP 5xx); the call was retried where that was safe. Try again later.',
		retry: 'backoff',
	},
};

const UNKNOWN_CODE: MarketoCodeInfo = {
	meaning: 'Marketo error',
	hint: "See Marketo's error code reference (developers.marketo.com, Error Codes) for this code.",
	retry: 'fail',
};

/** `'606'` -> its entry; `'http-502'` or `'502'` from an HTTP status -> the 5xx entry. */
export function describeMarketoCode(code: string): MarketoCodeInfo {
	const known = MARKETO_ERROR_CODES[code] ?? MARKETO_ERROR_CODES[`http-${code}`];
	if (known) return known;
	const status = Number(code.replace(/^http-/, ''));
	if (status >= 500 && status <= 599) return MARKETO_ERROR_CODES['http-5xx'];
	return UNKNOWN_CODE;
}

const REDACTED = '[redacted]';

/** Anything that looks like a credential in free text, whatever value it holds. */
const SECRET_SHAPES: Array<[RegExp, string]> = [
	[/\b(access_token|client_secret|client_id|refresh_token)=[^&\s"']+/gi, `$1=${REDACTED}`],
	[/\bBearer\s+[A-Za-z0-9._~+/:=-]+/gi, `Bearer ${REDACTED}`],
	[/("(?:access_token|accessToken|client_secret|clientSecret)"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`],
];

/**
 * Removes known secret values and token-shaped text from a message. Defence in depth: the
 * transport never puts a secret in a message on purpose, but Marketo or a gateway may echo one.
 */
export function redactSecrets(text: string, secrets: unknown[] = []): string {
	let clean = String(text ?? '');
	for (const secret of secrets) {
		// Very short values would redact ordinary words; real secrets are long.
		if (typeof secret === 'string' && secret.length >= 6)
			clean = clean.split(secret).join(REDACTED);
	}
	for (const [shape, replacement] of SECRET_SHAPES) clean = clean.replace(shape, replacement);
	return clean;
}

export interface MarketoFailure {
	/** Marketo's code (`'606'`) or the HTTP status (`'502'`). */
	code: string;
	message: string;
	httpStatus?: number;
	/** The request path, never with its query string. */
	path: string;
	itemIndex?: number;
	/** Values that must never appear in the error (client secret, access token). */
	secrets?: unknown[];
	/** Whether the refused answer came to a token fetched because an earlier one was refused. */
	tokenRefreshed?: boolean;
}

export function toNodeApiError(node: INode, failure: MarketoFailure): NodeApiError {
	const info = describeMarketoCode(failure.code);
	const marketoMessage = redactSecrets(failure.message || info.meaning, failure.secrets);
	const path = redactSecrets(failure.path.split('?')[0], failure.secrets);
	const errorResponse: JsonObject = {
		code: failure.code,
		message: marketoMessage,
		path,
		...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}),
	};
	const message = `Marketo error ${failure.code}: ${marketoMessage}`;
	const hint = (failure.tokenRefreshed ? undefined : info.hintWithoutRefresh) ?? info.hint;
	const error = new NodeApiError(node, errorResponse, {
		message,
		description: `${hint} (${path})`,
		httpCode: failure.code,
		...(failure.itemIndex !== undefined ? { itemIndex: failure.itemIndex } : {}),
	});
	// NodeApiError swaps a message mentioning ECONNRESET & co. for a generic sentence; keep ours.
	error.message = message;
	return error;
}
