import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	Icon,
	INodeProperties,
} from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

import {
	identityUrlFrom,
	instanceRootExpression,
	instanceRootFrom,
	tokenUrlFrom,
	withoutQuery,
} from '../nodes/shared/transport/endpoints';

/** What the identity service answers; `expires_in` is the token's REMAINING life in seconds. */
interface IdentityTokenAnswer {
	access_token?: unknown;
	expires_in?: unknown;
	error?: unknown;
	error_description?: unknown;
}

export const INVALID_CLIENT_MESSAGE =
	'Marketo rejected the Client ID or Client Secret (invalid_client). Copy both again from Admin > LaunchPoint > View Details';

export function unreachableIdentityMessage(identityUrl: string, detail?: string): string {
	const suffix = detail ? ` (${detail})` : '';
	return (
		`Could not reach Marketo's identity service at ${withoutQuery(identityUrl)}${suffix}: ` +
		'check the REST API Endpoint (Admin > Web Services)'
	);
}

/**
 * Network error codes in plain words. The raw codes must stay out of the message: n8n's
 * NodeApiError swaps any message containing e.g. ECONNREFUSED for its own generic sentence.
 */
export function networkProblemInWords(code: unknown): string | undefined {
	const words: Record<string, string> = {
		ECONNREFUSED: 'connection refused',
		ENOTFOUND: 'host name not found',
		EAI_AGAIN: 'host name lookup failed',
		ETIMEDOUT: 'timed out',
		ECONNRESET: 'connection closed',
		ECONNABORTED: 'connection aborted',
		EHOSTUNREACH: 'host unreachable',
		CERT_HAS_EXPIRED: 'TLS certificate expired',
		DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
	};
	if (typeof code !== 'string') return undefined;
	return words[code] ?? 'network error';
}

/** Epoch ms at which a token with `expiresInSeconds` of remaining life stops working. */
export function tokenExpiryFrom(expiresInSeconds: unknown, nowMs: number): number {
	const seconds = Number(expiresInSeconds);
	return nowMs + (Number.isFinite(seconds) && seconds > 0 ? seconds : 0) * 1000;
}

function asAnswer(body: unknown): IdentityTokenAnswer {
	if (typeof body === 'string') {
		try {
			return JSON.parse(body) as IdentityTokenAnswer;
		} catch {
			return {};
		}
	}
	return body !== null && typeof body === 'object' ? (body as IdentityTokenAnswer) : {};
}

/**
 * Turns the identity service's answer into the credential fields n8n stores, or throws a
 * message a Marketo admin can act on. Kept apart from the HTTP call so tests can feed it answers.
 */
export function tokenFieldsFromAnswer(
	statusCode: number,
	body: unknown,
	identityUrl: string,
	nowMs: number,
): { accessToken: string; accessTokenExpiresAt: number } {
	const answer = asAnswer(body);
	if (statusCode === 401 || answer.error === 'invalid_client' || answer.error === 'unauthorized') {
		throw new UserError(INVALID_CLIENT_MESSAGE);
	}
	if (
		statusCode < 200 ||
		statusCode > 299 ||
		typeof answer.access_token !== 'string' ||
		answer.access_token === ''
	) {
		throw new UserError(
			unreachableIdentityMessage(identityUrl, `HTTP ${statusCode}, not a Marketo token answer`),
		);
	}
	// A token with under 60 s left cannot be renewed early: Marketo hands back the same token
	// until it dies. So its real expiry is stored, and the transport refreshes on 601/602.
	return {
		accessToken: answer.access_token,
		accessTokenExpiresAt: tokenExpiryFrom(answer.expires_in, nowMs),
	};
}

/** The Test's answer to 603 on the asset API: what will not work, and where to fix it. */
export const ASSET_ACCESS_DENIED_MESSAGE =
	"Marketo denied access (603) to its asset API: the API-only user's role needs 'Read-Only Assets' (Admin > Users & Roles > Roles). " +
	'Without it Import Program Members does not work (the Program and Member Status dropdowns, the check of the program before upload). ' +
	"Leads need 'Read-Write Lead', custom objects 'Read-Write Custom Object'. " +
	"If the role has them, this server's IP address is not in the Web Services IP allow-list (Admin > Web Services)";

export class MarketoApi implements ICredentialType {
	name = 'marketoApi';

	displayName = 'Marketo API';

	icon: Icon = { light: 'file:marketo.svg', dark: 'file:marketo.dark.svg' };

	// A full URL: a community package links its own docs (the camelCase slug rule is off for it).
	documentationUrl =
		'https://github.com/n8n-nodes-marketo-bulk/n8n-nodes-marketo-bulk#the-marketo-api-credential';

	properties: INodeProperties[] = [
		{
			displayName: 'REST API Endpoint',
			name: 'restEndpoint',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://123-ABC-456.mktorest.com/rest',
			hint: 'Admin > Web Services > REST API > Endpoint. A bare Munchkin ID (123-ABC-456) works too.',
		},
		{
			displayName: 'Identity Endpoint',
			name: 'identityEndpoint',
			type: 'string',
			default: '',
			placeholder: 'https://123-ABC-456.mktorest.com/identity',
			hint: 'Leave empty to use the one next to the REST API Endpoint (Admin > Web Services > Identity)',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			hint: 'Admin > LaunchPoint > your Custom Service > View Details',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			// Filled by preAuthentication; n8n asks for a new one whenever this is empty.
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			// Epoch ms; lets the transport refresh a token before Marketo refuses it.
			displayName: 'Access Token Expires At',
			name: 'accessTokenExpiresAt',
			type: 'hidden',
			typeOptions: { password: true },
			default: 0,
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		let identityUrl: string;
		try {
			// The REST API Endpoint is checked even when an Identity Endpoint is given: the Test
			// button's request and every node call are built from it.
			instanceRootFrom(String(credentials.restEndpoint ?? ''));
			identityUrl = identityUrlFrom(credentials);
		} catch (error) {
			throw new UserError((error as Error).message);
		}
		let response: { statusCode: number; body: unknown };
		try {
			response = (await this.helpers.httpRequest({
				method: 'GET',
				url: tokenUrlFrom(identityUrl),
				qs: {
					grant_type: 'client_credentials',
					client_id: credentials.clientId,
					client_secret: credentials.clientSecret,
				},
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			})) as { statusCode: number; body: unknown };
		} catch (error) {
			// Only the error code travels on: the request error carries the URL WITH the secret.
			throw new UserError(
				unreachableIdentityMessage(
					identityUrl,
					networkProblemInWords((error as IDataObject)?.code),
				),
			);
		}
		return tokenFieldsFromAnswer(response.statusCode, response.body, identityUrl, Date.now());
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.accessToken}}',
			},
		},
	};

	// n8n runs preAuthentication before this request, so a wrong secret or an unreachable
	// endpoint is reported by the messages above; the rules below read Marketo's envelope
	// (HTTP 200 + success:false) and are checked in order, first match wins.
	//
	// n8n runs ONE request for a credential's test (its CredentialsTester, 1.123 and 2.x alike;
	// a node's `testedBy` function gets only the legacy `helpers.request`, which n8n's
	// verification scan refuses). So the request is the permission an API role most often
	// lacks: the asset API (Program and Member Status dropdowns, program member imports).
	// channels.json answers on every instance (Marketo's system channels), never 702.
	test: ICredentialTestRequest = {
		request: {
			// The instance root by the same rules as the nodes (nodes/shared/transport/endpoints.ts):
			// an expression cannot import code, so it is generated from those rules' regular expressions.
			baseURL: `={{ ${instanceRootExpression('$credentials.restEndpoint')} }}`,
			url: '/rest/asset/v1/channels.json',
			method: 'GET',
			qs: { maxReturn: 1 },
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errors[0].code',
					value: '603',
					message: ASSET_ACCESS_DENIED_MESSAGE,
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errors[0].code',
					value: '607',
					message:
						"Marketo's daily API quota is used up (607); it resets at midnight US Central time (Admin > Web Services > API Call Information)",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errors[0].code',
					value: '601',
					message:
						'Marketo did not accept the access token (601): check that the Client ID belongs to an active LaunchPoint service',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'success',
					value: false,
					message:
						"Marketo answered with an error: check the REST API Endpoint (Admin > Web Services) and the API user's role",
				},
			},
		],
	};
}
