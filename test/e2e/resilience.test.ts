/**
 * What a long import meets in production, in a real n8n: the access token expiring while the
 * run waits, other integrations filling Marketo's shared import queue, and a batch Marketo
 * ends as Failed. Each test gets its own simulator (and so its own credential).
 */
import * as path from 'node:path';

import type { StoredCredential } from '../../scripts/n8n-runtime';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator';
import {
	E2E_LINE,
	EXAMPLES_DIR,
	N8nInstance,
	exampleWorkflow,
	expectSuccess,
	explain,
	jsonOf,
	outputOf,
	simulatorCredential,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const LEADS_CSV = path.join(EXAMPLES_DIR, 'data', 'leads.csv');

describe(`resilience on n8n line ${E2E_LINE}`, () => {
	let n8n: N8nInstance;
	const simulators: RunningSimulator[] = [];

	beforeAll(() => {
		n8n = N8nInstance.create();
	});

	afterAll(async () => {
		await Promise.all(simulators.map((simulator) => simulator.close()));
		n8n?.remove();
	});

	/** A simulator, a credential for it and example 01 wired to both, imported into n8n. */
	async function prepare(id: string, options: SimulatorOptions) {
		const simulator = await startSimulator(options);
		simulators.push(simulator);
		const credential: StoredCredential = simulatorCredential(
			simulator,
			`${id}Cred`.padEnd(16, '0').slice(0, 16),
		);
		await n8n.importCredentials([credential]);
		const workflow = exampleWorkflow('01-csv-file-to-leads.json', {
			id: `${id}Flow`.padEnd(16, '0').slice(0, 16),
			credential,
			filePath: LEADS_CSV,
		});
		await n8n.importWorkflow(workflow);
		return { simulator, credential, workflow };
	}

	test('the access token expires mid-run: the run succeeds and n8n stores the refreshed token', async () => {
		const { simulator, credential, workflow } = await prepare('e2eTokenExp', {
			rowsPerSecond: 2_000,
			seed: 11,
		});
		// The token expires as Wait for Batch's first status call arrives: that call meets the
		// expiry whenever it comes, however long n8n takes to start or the batch to import.
		const stopWatching = simulator.state.onCall((call) => {
			if (call.route !== 'leadBatchStatus') return;
			simulator.state.expireTokens();
			stopWatching();
		});

		const run = expectSuccess(await n8n.execute(workflow.id));
		const finishedAt = Date.now();

		expect(jsonOf(outputOf(run, 'Batch results'))).toMatchObject([{ status: 'Complete' }]);
		// Marketo refused the expired token once; n8n got a new one and asked again.
		const calls = simulator.state.calls;
		const refused = calls.findIndex((call) => call.marketoCode !== undefined);
		expect(calls.slice(refused, refused + 3).map((call) => [call.route, call.marketoCode])).toEqual(
			[
				['leadBatchStatus', '602'],
				['identity', undefined],
				['leadBatchStatus', undefined],
			],
		);
		const tokens = simulator.state.tokens;
		expect(tokens).toHaveLength(2);
		const [expired, latest] = tokens;
		const stored = await n8n.storedCredential(credential.id);
		expect(stored?.data.accessToken).toBe(latest.accessToken);
		expect(stored?.data.accessToken).not.toBe(expired.accessToken);
		// n8n dated the new token's expiry after Marketo issued it and before the run ended
		// (expires_in counts whole seconds).
		const lifetimeMs = latest.expiresAt - latest.issuedAt;
		expect(Number(stored?.data.accessTokenExpiresAt)).toBeGreaterThanOrEqual(
			latest.expiresAt - 1_000,
		);
		expect(Number(stored?.data.accessTokenExpiresAt)).toBeLessThanOrEqual(finishedAt + lifetimeMs);
		expect(simulator.state.listMembers(2001)).toHaveLength(18);
	});

	test('foreign jobs filling the shared queue delay the run but do not fail it', async () => {
		const { simulator, workflow } = await prepare('e2eForeignQ', {
			rowsPerSecond: 2_000,
			seed: 12,
		});

		// Ten jobs of another integration (2 s each, two at a time) fill the queue (10) as our
		// upload arrives, so it finds the queue full and must wait for a slot, whenever it comes.
		const stopWatching = simulator.state.onCall((call) => {
			if (call.route !== 'importLeads') return;
			simulator.state.addForeignJobs(10, 4_000);
			stopWatching();
		});
		const run = expectSuccess(await n8n.execute(workflow.id));

		const uploads = simulator.state.callsTo('importLeads');
		expect(uploads.map((call) => call.marketoCode)).toEqual(['1016', undefined]);
		expect(uploads.filter((call) => call.success === true)).toHaveLength(1);
		expect(jsonOf(outputOf(run, 'Batch results'))).toMatchObject([
			{ status: 'Complete', rowsFailed: 2 },
		]);
		expect(
			simulator.state.queue.filter((job) => job.owner === 'foreign' && job.status === 'Complete'),
		).toHaveLength(10);
		expect(simulator.state.listMembers(2001)).toHaveLength(18);
	});

	test("a batch Marketo ends as Failed stops the run with Marketo's message", async () => {
		const { simulator, workflow } = await prepare('e2eFailedBt', {
			rowsPerSecond: 50_000,
			seed: 13,
		});
		const marketoMessage = 'Import failed: the file could not be read (simulated)';
		simulator.state.failNextBatch(marketoMessage);

		const result = await n8n.execute(workflow.id);

		expect(result.code).not.toBe(0);
		const error = result.run?.data.resultData.error;
		expect(error).toBeDefined();
		expect(`${error?.message}`).toContain(marketoMessage);
		expect(error?.node?.name ?? result.run?.data.resultData.lastNodeExecuted).toBe(
			'Wait for batches',
		);
		expect(outputOf(result.run, 'Failed rows')).toHaveLength(0);
		expect(
			simulator.state.queue.filter((job) => job.owner === 'own').map((job) => job.status),
		).toEqual(['Failed']);
		// The output explains itself when this fails.
		if (!error) throw new Error(explain(result));
	});
});
