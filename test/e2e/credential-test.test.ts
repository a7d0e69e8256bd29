/**
 * The credential's "Test" button, the way the editor runs it: a real `n8n start`, the owner
 * signed in, and POST /rest/credentials/test with the credential as the form holds it.
 * (n8n has no CLI route for credential tests.)
 *
 * The endpoint forms admins paste (`https://123-ABC-456.mktorest.com/rest/v1`, a bare Munchkin
 * ID, ...) name Marketo's real host. `mktorestHosts.js`, preloaded into n8n, sends the requests
 * for 123-ABC-456.mktorest.com to the simulator and makes any other *.mktorest.com host unknown;
 * n8n itself and the package run unchanged.
 */
import * as path from 'node:path';

import * as n8nRuntime from '../../scripts/n8n-runtime';
import type { RunningN8n, StoredCredential } from '../../scripts/n8n-runtime';
import { startSimulator, type RunningSimulator } from '../simulator';
import { E2E_LINE, N8nInstance, explain, outputOf, simulatorCredential } from './support';

jest.setTimeout(10 * 60 * 1000);

const OWNER = {
	email: 'e2e-owner@example.com',
	password: 'E2e-Only-Passw0rd',
	firstName: 'E2E',
	lastName: 'Owner',
};

/** The instance the preload routes to the simulator; any other Munchkin host does not exist. */
const MUNCHKIN_HOST = '123-abc-456.mktorest.com';

/** Every REST API Endpoint form the README promises the Test button accepts. */
const ENDPOINT_FORMS = [
	'https://123-ABC-456.mktorest.com/rest',
	'https://123-ABC-456.mktorest.com/rest/',
	'https://123-ABC-456.mktorest.com/rest/v1',
	'https://123-ABC-456.mktorest.com/rest/v1/',
	'https://123-ABC-456.mktorest.com',
	'123-ABC-456.mktorest.com/rest/v1',
	'123-ABC-456',
];

/** A workflow running the credential in an HTTP Request node: what n8n's "Custom API Call" leads to. */
const CUSTOM_CALL_WORKFLOW_ID = 'e2eCustomApiCal1';

interface TestAnswer {
	data?: { status?: string; message?: string };
}

describe(`credential test on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let instance: N8nInstance;
	let server: RunningN8n | undefined;
	let cookie: string;
	let credential: StoredCredential;

	beforeAll(async () => {
		simulator = await startSimulator({ seed: 7 });
		instance = N8nInstance.create();
		credential = simulatorCredential(simulator, 'e2eCredTestCred1');
		await instance.importCredentials([credential]);
		await instance.importWorkflow(customApiCallWorkflow(simulator, credential));
		server = await n8nRuntime.startN8n(instance.runtime, instance.userFolder, {
			env: {
				NODE_OPTIONS: `--max-old-space-size=4096 --require ${path.join(__dirname, 'mktorestHosts.js')}`,
				MARKETO_E2E_HOSTS: JSON.stringify({ [MUNCHKIN_HOST]: simulator.baseUrl }),
			},
		});
		cookie = await n8nRuntime.signInOwner(server.url, OWNER);
	});

	afterAll(async () => {
		await server?.stop();
		await simulator?.close();
		instance?.remove();
	});

	async function testCredential(data: Record<string, unknown>) {
		if (!server) throw new Error('n8n is not running');
		const answer = await n8nRuntime.restRequest(server.url, 'POST', '/rest/credentials/test', {
			cookie,
			body: { credentials: { ...credential, data } },
		});
		expect(answer.status).toBe(200);
		return (answer.body as TestAnswer).data ?? {};
	}

	/** The form with only the REST API Endpoint filled in (no Identity override, no stored token). */
	function withEndpoint(restEndpoint: string, extra: Record<string, unknown> = {}) {
		return { ...credential.data, restEndpoint, identityEndpoint: '', accessToken: '', ...extra };
	}

	test('passes with the right client id and secret, after fetching a token from the identity service', async () => {
		simulator.state.clearCalls();
		const result = await testCredential(credential.data);
		expect(result).toMatchObject({ status: 'OK' });
		expect(simulator.state.callsTo('identity').length).toBeGreaterThanOrEqual(1);
		// The test request itself reached Marketo's REST API with the token.
		const restCalls = simulator.state.calls.filter((call) => call.route !== 'identity');
		expect(restCalls.some((call) => call.authStyle === 'bearer' && call.httpStatus === 200)).toBe(
			true,
		);
	});

	test.each(ENDPOINT_FORMS)('passes with the REST API Endpoint %j', async (restEndpoint) => {
		simulator.state.clearCalls();
		const result = await testCredential(withEndpoint(restEndpoint));
		expect(result).toMatchObject({ status: 'OK' });
		// The token came from <instance>/identity and the Test request went to the right path.
		expect(
			simulator.state.calls.map((call) => `${call.authStyle} ${call.path} ${call.httpStatus}`),
		).toEqual(
			expect.arrayContaining([
				'none /identity/oauth/token 200',
				'bearer /rest/asset/v1/channels.json 200',
			]),
		);
	});

	test('fails with a clear message and no secret in it when the client secret is wrong', async () => {
		const wrongSecret = 'wrong-secret-0123456789abcdef';
		const result = await testCredential({
			...credential.data,
			clientSecret: wrongSecret,
			accessToken: '',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Client ID or Client Secret/);
		expect(result.message).not.toContain(wrongSecret);
		expect(result.message).not.toContain(simulator.clientSecret);
	});

	test('fails naming the identity address it could not reach when the host is wrong', async () => {
		simulator.state.clearCalls();
		const result = await testCredential(withEndpoint('https://999-XYZ-999.mktorest.com/rest/v1'));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/Could not reach Marketo's identity service at https:\/\/999-XYZ-999\.mktorest\.com\/identity \(host name not found\).*REST API Endpoint/,
		);
		expect(result.message).not.toContain(simulator.clientSecret);
		expect(simulator.state.calls).toHaveLength(0);
	});

	test('fails naming the missing permission, and what will not work, when the role lacks the asset permission', async () => {
		simulator.state.setPermissions({ readAssets: false });
		try {
			const result = await testCredential(withEndpoint('https://123-ABC-456.mktorest.com/rest/v1'));
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				/603.*asset API.*Read-Only Assets.*Users & Roles.*Import Program Members does not work/,
			);
		} finally {
			simulator.state.setPermissions({ readAssets: true });
		}
	});

	test('gives the editor the nodes as described: Docs links, codex, and only operations the node runs', async () => {
		if (!server) throw new Error('n8n is not running');
		const response = await fetch(`${server.url}/types/nodes.json`, { headers: { cookie } });
		expect(response.status).toBe(200);
		const types = (await response.json()) as Array<{
			name: string;
			documentationUrl?: string;
			codex?: {
				categories?: string[];
				resources?: { primaryDocumentation?: Array<{ url: string }> };
			};
			properties: Array<{ name: string; options?: Array<{ name: string; value: unknown }> }>;
		}>;
		const byName = (name: string) =>
			types.filter((type) => type.name === `n8n-nodes-marketo-bulk.${name}`).at(-1);
		const readme = 'https://github.com/n8n-nodes-marketo-bulk/n8n-nodes-marketo-bulk';
		for (const [name, anchor] of [
			['marketoBulkImport', 'marketo-bulk-import'],
			['marketoWaitForBatch', 'marketo-wait-for-batch'],
		]) {
			const type = byName(name);
			expect(type?.documentationUrl).toBe(`${readme}#${anchor}`);
			// The codex file ships next to the compiled node, so n8n files the node under Marketing.
			expect(type?.codex?.categories).toContain('Marketing');
			expect(type?.codex?.resources?.primaryDocumentation?.[0]?.url).toBe(`${readme}#${anchor}`);
		}
		// n8n appends "Custom API Call" only to a node whose default version is its only version
		// (LoadNodesAndCredentials.injectCustomApiCallOptions). Bulk Import has versions 1 and 2,
		// so its operations are the three imports and nothing it cannot run; other Marketo calls are
		// made with the credential in an HTTP Request node (the next test).
		const operations =
			byName('marketoBulkImport')?.properties.find((p) => p.name === 'operation')?.options ?? [];
		expect(operations.map((option) => option.value).sort()).toEqual([
			'importCustomObjects',
			'importLeads',
			'importProgramMembers',
		]);
	});

	// Last: it stops the server, because `n8n execute` needs the database to itself.
	test('works as the predefined credential of an HTTP Request node (n8n\'s "Custom API Call")', async () => {
		await server?.stop();
		server = undefined;
		simulator.state.clearCalls();
		const result = await instance.execute(CUSTOM_CALL_WORKFLOW_ID);
		const items = outputOf(result.run, 'Marketo API call');
		expect({ items: items.length, error: result.run?.data.resultData.error?.message }).toEqual({
			items: 1,
			error: undefined,
		});
		expect(items[0].json).toMatchObject({ success: true });
		// With the token n8n stored when the Test button fetched one (or a new one from identity).
		const apiCalls = simulator.state.calls.filter((call) => call.route !== 'identity');
		expect(apiCalls.map((call) => `${call.authStyle} ${call.path} ${call.httpStatus}`)).toEqual([
			'bearer /rest/v1/leads/describe2.json 200',
		]);
		if (result.code !== 0) throw new Error(explain(result));
	});
});

function customApiCallWorkflow(simulator: RunningSimulator, credential: StoredCredential) {
	return {
		id: CUSTOM_CALL_WORKFLOW_ID,
		name: `Custom API call with the Marketo API credential (${CUSTOM_CALL_WORKFLOW_ID})`,
		active: false,
		settings: { executionOrder: 'v1' },
		connections: { Start: { main: [[{ node: 'Marketo API call', type: 'main', index: 0 }]] } },
		nodes: [
			{
				id: 'b3c1a0de-0000-4000-8000-000000000001',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'b3c1a0de-0000-4000-8000-000000000002',
				name: 'Marketo API call',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [240, 0],
				parameters: {
					url: `${simulator.restUrl}/v1/leads/describe2.json`,
					authentication: 'predefinedCredentialType',
					nodeCredentialType: 'marketoApi',
					options: {},
				},
				credentials: { marketoApi: { id: credential.id, name: credential.name } },
			},
		],
	};
}
