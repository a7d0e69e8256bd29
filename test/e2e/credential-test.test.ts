/**
 * The credential's "Test" button, the way the editor runs it: a real `n8n start`, the owner
 * signed in, and POST /rest/credentials/test with the credential as the form holds it.
 * (n8n has no CLI route for credential tests.)
 */
import * as n8nRuntime from '../../scripts/n8n-runtime';
import type { RunningN8n, StoredCredential } from '../../scripts/n8n-runtime';
import { startSimulator, type RunningSimulator } from '../simulator';
import { E2E_LINE, N8nInstance, simulatorCredential } from './support';

jest.setTimeout(10 * 60 * 1000);

const OWNER = {
	email: 'e2e-owner@example.com',
	password: 'E2e-Only-Passw0rd',
	firstName: 'E2E',
	lastName: 'Owner',
};

interface TestAnswer {
	data?: { status?: string; message?: string };
}

describe(`credential test on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let instance: N8nInstance;
	let server: RunningN8n;
	let cookie: string;
	let credential: StoredCredential;

	beforeAll(async () => {
		simulator = await startSimulator({ seed: 7 });
		instance = N8nInstance.create();
		credential = simulatorCredential(simulator, 'e2eCredTestCred1');
		await instance.importCredentials([credential]);
		server = await n8nRuntime.startN8n(instance.runtime, instance.userFolder);
		cookie = await n8nRuntime.signInOwner(server.url, OWNER);
	});

	afterAll(async () => {
		await server?.stop();
		await simulator?.close();
		instance?.remove();
	});

	async function testCredential(data: Record<string, unknown>) {
		const answer = await n8nRuntime.restRequest(server.url, 'POST', '/rest/credentials/test', {
			cookie,
			body: { credentials: { ...credential, data } },
		});
		expect(answer.status).toBe(200);
		return (answer.body as TestAnswer).data ?? {};
	}

	test('passes with the right client id and secret, after fetching a token from the identity service', async () => {
		simulator.state.clearCalls();
		const result = await testCredential(credential.data);
		expect(result).toMatchObject({ status: 'OK' });
		expect(simulator.state.callsTo('identity').length).toBeGreaterThanOrEqual(1);
		// The test request itself reached Marketo's REST API with the token.
		const restCalls = simulator.state.calls.filter((call) => call.route !== 'identity');
		expect(restCalls.some((call) => call.authStyle === 'bearer' && call.httpStatus === 200)).toBe(true);
	});

	test('fails with a clear message and no secret in it when the client secret is wrong', async () => {
		const wrongSecret = 'wrong-secret-0123456789abcdef';
		const result = await testCredential({ ...credential.data, clientSecret: wrongSecret, accessToken: '' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Client ID or Client Secret/);
		expect(result.message).not.toContain(wrongSecret);
		expect(result.message).not.toContain(simulator.clientSecret);
	});
});
