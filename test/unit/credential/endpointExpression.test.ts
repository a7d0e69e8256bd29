/**
 * The credential's Test button and the nodes must find the same Marketo instance for whatever
 * the admin pasted. The Test request is declarative, so its `baseURL` is an n8n expression
 * (generated from the rules in endpoints.ts); here n8n's own expression engine evaluates it and
 * the result is compared with endpoints.ts, on the endpoint forms people paste and on generated ones.
 */
import * as fc from 'fast-check';
import {
	ENDPOINT_RULES,
	identityUrlFrom,
	instanceRootExpression,
	instanceRootFrom,
	normalizeRestEndpoint,
} from '../../../nodes/shared/transport/endpoints';
import { MarketoApi } from '../../../credentials/MarketoApi.credentials';
import { testBaseUrl } from './testBaseUrl';

const credential = new MarketoApi();
const baseURL = credential.test.request.baseURL as string;

/** Every form the README promises, and what the nodes call. */
const PASTED_FORMS: Array<[string, string]> = [
	['https://123-ABC-456.mktorest.com/rest', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/rest/', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/rest/v1', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/rest/v1/', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/', 'https://123-ABC-456.mktorest.com'],
	['123-ABC-456.mktorest.com/rest/v1', 'https://123-ABC-456.mktorest.com'],
	['123-ABC-456.mktorest.com/rest', 'https://123-ABC-456.mktorest.com'],
	['123-ABC-456.mktorest.com', 'https://123-ABC-456.mktorest.com'],
	['123-ABC-456', 'https://123-ABC-456.mktorest.com'],
	['123-abc-456', 'https://123-ABC-456.mktorest.com'],
	['  https://123-ABC-456.mktorest.com/REST/V1//  ', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/rest?x=1#y', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/identity', 'https://123-ABC-456.mktorest.com'],
	['https://123-ABC-456.mktorest.com/bulk/v1', 'https://123-ABC-456.mktorest.com'],
	['http://127.0.0.1:8765/rest', 'http://127.0.0.1:8765'],
	['http://localhost:8765/rest/v1/', 'http://localhost:8765'],
	['https://proxy.example.com/marketo/rest', 'https://proxy.example.com/marketo'],
];

describe('the credential Test request and the nodes agree on the instance', () => {
	it.each(PASTED_FORMS)('%j -> %s for the nodes and for the Test button', (pasted, root) => {
		expect(instanceRootFrom(pasted)).toBe(root);
		expect(testBaseUrl(pasted)).toBe(root);
		// The Test request then calls root + '/rest/asset/v1/channels.json' (the asset API, so a
		// role without asset permission fails Test: issue 21); preAuthentication gets the token.
		expect(credential.test.request.url).toBe('/rest/asset/v1/channels.json');
		expect(identityUrlFrom({ restEndpoint: pasted })).toBe(`${root}/identity`);
	});

	it('is the expression generated from the shared rules, and nothing else', () => {
		expect(baseURL).toBe(`={{ ${instanceRootExpression('$credentials.restEndpoint')} }}`);
		for (const rule of Object.values(ENDPOINT_RULES)) expect(baseURL).toContain(String(rule));
		// n8n ends an expression at the first "}}": the generated body must not contain one.
		const body = baseURL.slice('={{'.length, -'}}'.length);
		expect(body).not.toMatch(/\{\{|\}\}/);
	});

	/** Text shaped like what admins paste: scheme or not, host, port, path, API suffix, slashes, junk. */
	const pastedText = fc
		.tuple(
			fc.constantFrom('', ' ', '\t'),
			fc.constantFrom('', 'https://', 'http://', 'HTTPS://', 'ftp://', 'https:/'),
			fc.constantFrom(
				'123-ABC-456',
				'123-abc-456',
				'123-ABC-456.mktorest.com',
				'123-abc-456.MKTOREST.com',
				'127.0.0.1',
				'localhost',
				'intranet',
				'proxy.example.com',
				'rest',
				'',
			),
			fc.constantFrom('', ':8765', ':443'),
			fc.constantFrom('', '/marketo', '/rest/rest', '/a b'),
			fc.constantFrom(
				'',
				'/rest',
				'/REST',
				'/rest/v1',
				'/Rest/V1',
				'/bulk',
				'/bulk/v1',
				'/identity',
				'/rest/v2',
				'/restful',
			),
			fc.constantFrom('', '/', '//', '/ '),
			fc.constantFrom('', '?x=1', '#top', '?a=/rest'),
			fc.constantFrom('', ' ', '\n'),
		)
		.map((parts) => parts.join(''));

	it('gives the same root as the nodes for any pasted text the nodes accept', () => {
		fc.assert(
			fc.property(fc.oneof(pastedText, fc.string()), (pasted) => {
				const fromExpression = testBaseUrl(pasted);
				// Rules 1-5 are the same for every input, valid or not...
				expect(fromExpression).toBe(normalizeRestEndpoint(pasted));
				// ...and whatever the nodes accept, the Test button calls too.
				let root: string | undefined;
				try {
					root = instanceRootFrom(pasted);
				} catch {
					root = undefined;
				}
				if (root !== undefined) expect(fromExpression).toBe(root);
			}),
			{ numRuns: 400, seed: 13 },
		);
	});

	it('refuses what is not an endpoint in preAuthentication, before the Test request is built', async () => {
		const helpers = { helpers: { httpRequest: jest.fn() } };
		for (const restEndpoint of ['', 'not a url', 'https://intranet/rest', '12-ABC-456']) {
			await expect(
				credential.preAuthentication.call(helpers as never, {
					restEndpoint,
					identityEndpoint: 'https://123-ABC-456.mktorest.com/identity',
					clientId: 'cid',
					clientSecret: 'secret',
				}),
			).rejects.toThrow(/Admin > Web Services/);
		}
		expect(helpers.helpers.httpRequest).not.toHaveBeenCalled();
	});
});
