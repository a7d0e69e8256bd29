/**
 * The Marketo API credential's Test against the simulator, in-process, the way n8n's
 * CredentialsTester runs a credential's `test` (n8n 1.123 and 2.x alike): n8n-core's credentials
 * flow gets a token (preAuthentication) and sends the one test request with it; then the first
 * `responseSuccessBody` rule whose key path equals its value is the verdict. Run on both lines
 * (the `integration-line1` project swaps in n8n 1.x's n8n-core and n8n-workflow).
 *
 * A role lacking the asset permission used to pass the Test (it read lead fields only) and fail
 * later in the Program and Member Status dropdowns, or at run time, with 603.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, INodeType } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { MarketoApi } from '../../credentials/MarketoApi.credentials';
import { runNode, simulatorCredentials } from '../harness';
import { testBaseUrl } from '../unit/credential/testBaseUrl';
import { useSimulator } from './support';

const sim = useSimulator();
const credentialType = new MarketoApi();

/** A node that sends the credential's test request with the credential, as n8n's tester does. */
const testRequestNode: INodeType = {
	description: {
		displayName: 'Credential Test Request',
		name: 'credentialTestRequest',
		group: ['transform'],
		version: 1,
		description: 'Sends the Marketo API credential test request',
		defaults: { name: 'Credential Test Request' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'marketoApi', required: true }],
		properties: [],
	},
	async execute(this: IExecuteFunctions) {
		const { request } = credentialType.test;
		const credentials = await this.getCredentials('marketoApi');
		const options: IHttpRequestOptions = {
			method: request.method ?? 'GET',
			baseURL: testBaseUrl(String(credentials.restEndpoint)) as string,
			url: request.url as string,
			qs: request.qs,
			json: true,
		};
		const body = (await this.helpers.httpRequestWithAuthentication.call(
			this,
			'marketoApi',
			options,
		)) as IDataObject;
		return [[{ json: body, pairedItem: { item: 0 } }]];
	},
};

/** n8n's verdict: the first responseSuccessBody rule whose key path (lodash `get`) equals its value. */
function verdict(body: IDataObject): { status: 'OK' | 'Error'; message?: string } {
	const valueAt = (path: string) =>
		path
			.replace(/\[(\d+)\]/g, '.$1')
			.split('.')
			.reduce<unknown>((value, key) => (value as IDataObject | undefined)?.[key], body);
	for (const rule of credentialType.test.rules ?? []) {
		const { key, value, message } = rule.properties as {
			key: string;
			value: unknown;
			message: string;
		};
		if (rule.type === 'responseSuccessBody' && valueAt(key) === value)
			return { status: 'Error', message };
	}
	return { status: 'OK' };
}

async function testCredential() {
	const result = await runNode({
		node: testRequestNode,
		parameters: {},
		input: [{ json: {} }],
		credentials: { marketoApi: simulatorCredentials(sim()) },
	});
	return verdict(result.outputs[0][0].json);
}

describe('the Marketo API credential Test', () => {
	afterEach(() =>
		sim().state.setPermissions({ readLead: true, writeLead: true, readAssets: true }),
	);

	it('passes for a role with every permission the nodes use', async () => {
		expect(await testCredential()).toEqual({ status: 'OK' });
		expect(
			sim().state.calls.map((call) => `${call.authStyle} ${call.path} ${call.httpStatus}`),
		).toEqual(['none /identity/oauth/token 200', 'bearer /rest/asset/v1/channels.json 200']);
	});

	it('reports a role lacking the asset permission, naming it and what will not work', async () => {
		sim().state.setPermissions({ readAssets: false });

		const result = await testCredential();

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Marketo denied access \(603\) to its asset API/);
		expect(result.message).toContain("'Read-Only Assets' (Admin > Users & Roles > Roles)");
		expect(result.message).toContain('Import Program Members does not work');
		expect(result.message).toContain('IP allow-list');
	});
});
