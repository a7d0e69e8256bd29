import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';
import { UserError } from 'n8n-workflow';

import {
	INVALID_CLIENT_MESSAGE,
	MarketoApi,
	tokenExpiryFrom,
	tokenFieldsFromAnswer,
} from '../../../credentials/MarketoApi.credentials';
import { testBaseUrl } from './testBaseUrl';

const credential = new MarketoApi();
const SECRET = 'the-client-secret-42';

type Answer = { statusCode: number; body: unknown } | Error;

/** Runs preAuthentication with an httpRequest that records the request and returns `answer`. */
async function preAuthenticate(answer: Answer, data: IDataObject = {}) {
	const sent: IHttpRequestOptions[] = [];
	const helpers = {
		helpers: {
			httpRequest: async (options: IHttpRequestOptions) => {
				sent.push(options);
				if (answer instanceof Error) throw answer;
				return answer;
			},
		},
	};
	const run = credential.preAuthentication.call(helpers as never, {
		restEndpoint: 'https://123-ABC-456.mktorest.com/rest',
		clientId: 'cid',
		clientSecret: SECRET,
		...data,
	});
	return { run, sent };
}

describe('preAuthentication', () => {
	it('asks identity with client credentials and returns the token and its expiry', async () => {
		const before = Date.now();
		const { run, sent } = await preAuthenticate({
			statusCode: 200,
			body: { access_token: 'tok-1', expires_in: 3599, token_type: 'bearer' },
		});
		const fields = await run;
		expect(sent[0]).toMatchObject({
			method: 'GET',
			url: 'https://123-ABC-456.mktorest.com/identity/oauth/token',
			qs: { grant_type: 'client_credentials', client_id: 'cid', client_secret: SECRET },
		});
		expect(fields.accessToken).toBe('tok-1');
		expect(fields.accessTokenExpiresAt).toBeGreaterThanOrEqual(before + 3_599_000);
		expect(fields.accessTokenExpiresAt).toBeLessThanOrEqual(Date.now() + 3_599_000);
	});

	it('uses the identity override when given', async () => {
		const { run, sent } = await preAuthenticate(
			{ statusCode: 200, body: { access_token: 't', expires_in: 10 } },
			{ identityEndpoint: 'https://id.example.com/identity/' },
		);
		await run;
		expect(sent[0].url).toBe('https://id.example.com/identity/oauth/token');
	});

	it('explains a 401 in LaunchPoint words', async () => {
		const { run } = await preAuthenticate({
			statusCode: 401,
			body: { error: 'invalid_client', error_description: 'Bad client credentials' },
		});
		await expect(run).rejects.toThrow(INVALID_CLIENT_MESSAGE);
	});

	it.each([
		['a 404 page', { statusCode: 404, body: '<html>Not Found</html>' }],
		['a 200 that is not a token', { statusCode: 200, body: '<html>Welcome</html>' }],
		[
			'a refused connection',
			Object.assign(new Error(`connect ECONNREFUSED url?client_secret=${SECRET}`), {
				code: 'ECONNREFUSED',
			}),
		],
		['an unknown host', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })],
	])(
		'says the identity service is unreachable for %s, without the secret',
		async (_name, answer) => {
			const { run } = await preAuthenticate(answer as Answer);
			const error = await run.catch((e: Error) => e);
			expect(error).toBeInstanceOf(UserError);
			expect((error as Error).message).toMatch(
				/^Could not reach Marketo's identity service at https:\/\/123-ABC-456\.mktorest\.com\/identity .*check the REST API Endpoint \(Admin > Web Services\)$/,
			);
			expect((error as Error).message).not.toContain(SECRET);
			// n8n rewrites messages containing raw network codes; ours must not contain them.
			expect((error as Error).message).not.toMatch(/ECONNREFUSED|ENOTFOUND/);
		},
	);
});

describe('token expiry', () => {
	it('is now + expires_in seconds, and "now" for a missing or zero lifetime', () => {
		expect(tokenExpiryFrom(3600, 1_000)).toBe(3_601_000);
		expect(tokenExpiryFrom('20', 0)).toBe(20_000);
		expect(tokenExpiryFrom(0, 5)).toBe(5);
		expect(tokenExpiryFrom(undefined, 5)).toBe(5);
	});

	it('keeps a nearly expired token with its real expiry (Marketo cannot renew it early)', () => {
		expect(
			tokenFieldsFromAnswer(200, { access_token: 'same', expires_in: 12 }, 'https://h/identity', 0),
		).toEqual({
			accessToken: 'same',
			accessTokenExpiresAt: 12_000,
		});
	});
});

describe('credential shape', () => {
	it('has the fields and the generic Bearer header n8n expects', () => {
		const byName = Object.fromEntries(credential.properties.map((p) => [p.name, p]));
		expect(credential.name).toBe('marketoApi');
		expect(byName.clientSecret.typeOptions?.password).toBe(true);
		expect(byName.accessToken).toMatchObject({
			type: 'hidden',
			default: '',
			typeOptions: { expirable: true },
		});
		expect(byName.accessTokenExpiresAt.type).toBe('hidden');
		expect(credential.authenticate.properties.headers).toEqual({
			Authorization: '=Bearer {{$credentials.accessToken}}',
		});
	});
});

describe('credential test', () => {
	it.each([
		['https://123-ABC-456.mktorest.com/rest', 'https://123-ABC-456.mktorest.com'],
		['https://123-ABC-456.mktorest.com/rest/ ', 'https://123-ABC-456.mktorest.com'],
		['123-ABC-456', 'https://123-ABC-456.mktorest.com'],
		['123-ABC-456.mktorest.com', 'https://123-ABC-456.mktorest.com'],
		['http://127.0.0.1:8765/rest', 'http://127.0.0.1:8765'],
	])('n8n resolves the test baseURL for %j to %s', (restEndpoint, root) => {
		expect(testBaseUrl(restEndpoint)).toBe(root);
		expect(credential.test.request.url).toBe('/rest/asset/v1/channels.json');
	});

	/** n8n's credentials tester: the first responseSuccessBody rule whose key path equals its value wins. */
	function verdict(body: IDataObject): string {
		const valueAt = (path: string) =>
			path
				.replace(/\[(\d+)\]/g, '.$1')
				.split('.')
				.reduce<unknown>((value, key) => (value as IDataObject | undefined)?.[key], body);
		for (const rule of credential.test.rules ?? []) {
			const { key, value, message } = rule.properties as {
				key: string;
				value: unknown;
				message: string;
			};
			if (rule.type === 'responseSuccessBody' && valueAt(key) === value) return message;
		}
		return 'Connection successful!';
	}

	it('tells a missing permission, a used-up quota and other errors apart', () => {
		expect(
			verdict({ success: false, errors: [{ code: '603', message: 'Access denied' }] }),
		).toMatch(
			/603.*asset API.*Read-Only Assets.*Users & Roles.*Import Program Members.*IP allow-list/,
		);
		expect(
			verdict({ success: false, errors: [{ code: '607', message: 'Daily quota reached' }] }),
		).toMatch(/607.*midnight/);
		expect(verdict({ success: false, errors: [{ code: '610', message: 'Not found' }] })).toMatch(
			/REST API Endpoint/,
		);
		expect(
			verdict({ success: true, errors: [], warnings: [], result: [{ id: 1, name: 'Webinar' }] }),
		).toBe('Connection successful!');
	});
});
