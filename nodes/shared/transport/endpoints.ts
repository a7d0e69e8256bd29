/**
 * Where a Marketo instance lives, derived from what the admin pasted into the credential.
 *
 * Admin > Web Services shows the REST endpoint as `https://123-ABC-456.mktorest.com/rest`.
 * Bulk calls live beside `/rest` (at `/bulk/...`), so every URL is built from the
 * instance root (the endpoint without `/rest`) plus a path starting `/rest/` or `/bulk/`.
 */

const MUNCHKIN_ID = /^\d{3}-[a-z]{3}-\d{3}$/i;

/** Suffixes an admin may paste after the host; none of them belong to the instance root. */
const API_SUFFIXES = [/\/rest\/v1$/i, /\/rest$/i, /\/bulk\/v1$/i, /\/bulk$/i, /\/identity$/i];

export function isMunchkinId(value: string): boolean {
	return MUNCHKIN_ID.test(value.trim());
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
	return text.replace(/\/+$/, '');
}

/**
 * `https://123-ABC-456.mktorest.com/rest/` -> `https://123-ABC-456.mktorest.com`;
 * `123-ABC-456` -> `https://123-ABC-456.mktorest.com`; `http://127.0.0.1:8765/rest` -> `http://127.0.0.1:8765`.
 * Throws an Error with an admin-readable message for anything else.
 */
export function instanceRootFrom(restEndpoint: string): string {
	const pasted = (restEndpoint ?? '').trim();
	if (pasted === '') {
		throw new Error(describeExpectedEndpoint(pasted));
	}
	if (isMunchkinId(pasted)) {
		return `https://${pasted.toUpperCase()}.mktorest.com`;
	}
	// A host pasted without a scheme (`123-ABC-456.mktorest.com/rest`) is still unambiguous.
	const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(pasted) ? pasted : `https://${pasted}`;
	const url = parseUrl(withScheme);
	if (!url) {
		throw new Error(describeExpectedEndpoint(pasted));
	}
	const isWebUrl = url.protocol === 'https:' || url.protocol === 'http:';
	const looksLikeHost = url.hostname.includes('.') || url.hostname === 'localhost';
	if (!isWebUrl || !looksLikeHost) {
		throw new Error(describeExpectedEndpoint(pasted));
	}
	let path = stripTrailingSlashes(url.pathname);
	for (const suffix of API_SUFFIXES) {
		path = path.replace(suffix, '');
	}
	// URL lower-cases the host; keep the admin's spelling (Marketo shows Munchkin IDs upper-case).
	const pastedHost = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(withScheme)?.[1] ?? url.host;
	return `${url.protocol}//${pastedHost}${stripTrailingSlashes(path)}`;
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
	const override = typeof credentials.identityEndpoint === 'string' ? credentials.identityEndpoint.trim() : '';
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
