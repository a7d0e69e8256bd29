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
		const credential: StoredCredential = simulatorCredential(simulator, `${id}Cred`.padEnd(16, '0').slice(0, 16));
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
		// 20 rows at 2 rows/s keep the batch busy ~10 s; tokens live 3 s.
		const { simulator, credential, workflow } = await prepare('e2eTokenExp', {
			tokenLifetimeSeconds: 3,
			rowsPerSecond: 2,
			seed: 11,
		});

		const run = expectSuccess(await n8n.execute(workflow.id));

		expect(jsonOf(outputOf(run, 'Batch results'))).toMatchObject([{ status: 'Complete' }]);
		const tokens = simulator.state.tokens;
		expect(tokens.length).toBeGreaterThanOrEqual(2);
		// Calls were made with more than one token, and none was left failing on an expired one.
		const stored = await n8n.storedCredential(credential.id);
		const latest = [...tokens].sort((a, b) => a.issuedAt - b.issuedAt).at(-1)!;
		expect(stored?.data.accessToken).toBe(latest.accessToken);
		expect(stored?.data.accessToken).not.toBe(tokens[0].accessToken);
		expect(Math.abs(Number(stored?.data.accessTokenExpiresAt) - latest.expiresAt)).toBeLessThan(2_000);
		expect(simulator.state.listMembers(2001)).toHaveLength(18);
	});

	test('foreign jobs filling the shared queue delay the run but do not fail it', async () => {
		const { simulator, workflow } = await prepare('e2eForeignQ', { rowsPerSecond: 2_000, seed: 12 });

		// Ten jobs of another integration (10 s each, two at a time) fill the queue (10) as n8n
		// starts, so our upload finds it full and must wait for a slot.
		const run = expectSuccess(
			await n8n.execute(workflow.id, { onSpawn: () => simulator.state.addForeignJobs(10, 20_000) }),
		);

		const uploads = simulator.state.callsTo('importLeads');
		expect(uploads.some((call) => call.marketoCode === '1016')).toBe(true);
		expect(uploads.filter((call) => call.success === true)).toHaveLength(1);
		expect(jsonOf(outputOf(run, 'Batch results'))).toMatchObject([{ status: 'Complete', rowsFailed: 2 }]);
		expect(simulator.state.queue.filter((job) => job.owner === 'foreign' && job.status === 'Complete')).toHaveLength(10);
		expect(simulator.state.listMembers(2001)).toHaveLength(18);
	});

	test("a batch Marketo ends as Failed stops the run with Marketo's message", async () => {
		const { simulator, workflow } = await prepare('e2eFailedBt', { rowsPerSecond: 50_000, seed: 13 });
		const marketoMessage = 'Import failed: the file could not be read (simulated)';
		simulator.state.failNextBatch(marketoMessage);

		const result = await n8n.execute(workflow.id);

		expect(result.code).not.toBe(0);
		const error = result.run?.data.resultData.error;
		expect(error).toBeDefined();
		expect(`${error?.message}`).toContain(marketoMessage);
		expect(error?.node?.name ?? result.run?.data.resultData.lastNodeExecuted).toBe('Wait for batches');
		expect(outputOf(result.run, 'Failed rows')).toHaveLength(0);
		expect(simulator.state.queue.filter((job) => job.owner === 'own').map((job) => job.status)).toEqual(['Failed']);
		// The output explains itself when this fails.
		if (!error) throw new Error(explain(result));
	});
});
