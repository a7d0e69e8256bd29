/**
 * Where a Marketo instance lives, derived from what the admin pasted into the credential.
 *
 * Admin > Web Services shows the REST endpoint as `https://123-ABC-456.mktorest.com/rest`.
 * Bulk calls live beside `/rest` (at `/bulk/...`), so every URL is built from the
 * instance root (the endpoint without `/rest`) plus a path starting `/rest/` or `/bulk/`.
 */

/**
 * The rules that turn what the admin pasted into the instance root. They are applied in this
 * order, by `instanceRootFrom` below AND by the credential's Test button, whose request is
 * declarative: its `baseURL` is an n8n expression built from these same regular expressions by
 * `instanceRootExpression` (an expression cannot import code). Unit tests evaluate that
 * expression with n8n's own expression engine and compare it with `instanceRootFrom`.
 *
 * 1. trim the text;
 * 2. a bare Munchkin ID (`123-ABC-456`) becomes `https://123-ABC-456.mktorest.com`; else
 * 3. `https://` is put in front when no scheme was pasted (`123-ABC-456.mktorest.com/rest/v1`);
 * 4. a query string or fragment is cut off;
 * 5. trailing slashes go, then ONE API suffix (`/rest`, `/rest/v1`, `/bulk`, `/bulk/v1`,
 *    `/identity`), then trailing slashes again.
 * Everything else is kept as pasted (host spelling, port, a proxy path before `/rest`).
 */
export const ENDPOINT_RULES = {
	munchkinId: /^\d{3}-[a-z]{3}-\d{3}$/i,
	scheme: /^[a-z][a-z0-9+.-]*:\/\//i,
	queryOrFragment: /[?#][\s\S]*$/,
	trailingSlashes: /\/+$/,
	apiSuffix: /\/(?:(?:rest|bulk)(?:\/v1)?|identity)$/i,
} as const;

export function isMunchkinId(value: string): boolean {
	return ENDPOINT_RULES.munchkinId.test(value.trim());
}

function describeExpectedEndpoint(pasted: string): string {
	return (
		`The REST API Endpoint "${pasted}" is neither a URL like https://123-ABC-456.mktorest.com/rest ` +
		'nor a Munchkin ID like 123-ABC-456. Copy the Endpoint from Admin > Web Services > REST API.'
	);
}

function parseUrl(text: string): URL | undefined {
	try {
		return new URL(text);
	} catch {
		return undefined;
	}
}

function stripTrailingSlashes(text: string): string {
	return text.replace(ENDPOINT_RULES.trailingSlashes, '');
}

/** Rules 1-5 above, nothing else: what the credential's test expression computes too. */
export function normalizeRestEndpoint(restEndpoint: string): string {
	const rules = ENDPOINT_RULES;
	const pasted = String(restEndpoint || '').trim();
	if (rules.munchkinId.test(pasted)) {
		return `https://${pasted.toUpperCase()}.mktorest.com`;
	}
	const withScheme = (rules.scheme.test(pasted) ? '' : 'https://') + pasted;
	return withScheme
		.replace(rules.queryOrFragment, '')
		.replace(rules.trailingSlashes, '')
		.replace(rules.apiSuffix, '')
		.replace(rules.trailingSlashes, '');
}

/**
 * The same rules as an n8n expression body (what goes between `={{` and `}}`), reading the
 * pasted text from `source`, e.g. `$credentials.restEndpoint`. Only regular-expression literals
 * and string methods: n8n's expression sandbox has no access to this module.
 */
export function instanceRootExpression(source: string): string {
	const rules = ENDPOINT_RULES;
	const pasted = `String(${source} || "").trim()`;
	return (
		`${String(rules.munchkinId)}.test(${pasted}) ` +
		`? "https://" + ${pasted}.toUpperCase() + ".mktorest.com" ` +
		`: ((${String(rules.scheme)}.test(${pasted}) ? "" : "https://") + ${pasted})` +
		`.replace(${String(rules.queryOrFragment)}, "")` +
		`.replace(${String(rules.trailingSlashes)}, "")` +
		`.replace(${String(rules.apiSuffix)}, "")` +
		`.replace(${String(rules.trailingSlashes)}, "")`
	);
}

/**
 * `https://123-ABC-456.mktorest.com/rest/v1/` -> `https://123-ABC-456.mktorest.com`;
 * `123-ABC-456` -> `https://123-ABC-456.mktorest.com`; `http://127.0.0.1:8765/rest` -> `http://127.0.0.1:8765`.
 * The result is `normalizeRestEndpoint`'s; this function only refuses what is not a web address
 * (with an admin-readable message), so the nodes and the Test button agree on every valid input.
 */
export function instanceRootFrom(restEndpoint: string): string {
	const pasted = String(restEndpoint ?? '').trim();
	if (pasted === '') {
		throw new Error(describeExpectedEndpoint(pasted));
	}
	const root = normalizeRestEndpoint(pasted);
	const url = parseUrl(root);
	const isWebUrl = url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:');
	const looksLikeHost =
		url !== undefined && (url.hostname.includes('.') || url.hostname === 'localhost');
	if (!isWebUrl || !looksLikeHost) {
		throw new Error(describeExpectedEndpoint(pasted));
	}
	return root;
}

/** Joins without ever producing `//` between the parts (Marketo answers 610 to `//rest`). */
export function joinUrl(root: string, path: string): string {
	return `${stripTrailingSlashes(root)}/${path.replace(/^\/+/, '')}`;
}

export interface EndpointSettings {
	restEndpoint?: unknown;
	identityEndpoint?: unknown;
}

/** The identity service: the admin's override when given, else `<instance root>/identity`. */
export function identityUrlFrom(credentials: EndpointSettings): string {
	const override =
		typeof credentials.identityEndpoint === 'string' ? credentials.identityEndpoint.trim() : '';
	if (override !== '') {
		const root = isMunchkinId(override) ? `${instanceRootFrom(override)}/identity` : override;
		// Accept the full token URL too: admins sometimes paste it from a cURL example.
		return stripTrailingSlashes(stripTrailingSlashes(root).replace(/\/oauth\/token$/i, ''));
	}
	return joinUrl(instanceRootFrom(String(credentials.restEndpoint ?? '')), '/identity');
}

export function tokenUrlFrom(identityUrl: string): string {
	return joinUrl(identityUrl, '/oauth/token');
}

/** A URL fit for a message or log: no query string (the token URL carries the client secret there). */
export function withoutQuery(url: string): string {
	const cut = url.search(/[?#]/);
	return cut === -1 ? url : url.slice(0, cut);
}
