/**
 * Two workflows import into the same Marketo at the same time, each on its own worker (each
 * worker runs one execution at a time here). Each worker has its own rate limiter and its own
 * picture of Marketo's queue, so together they overrun the instance: the simulator is set up
 * tight (a queue of 2 jobs, one processing; 15 calls per 5 s; 2 calls at once, and a fifth of
 * the answers 0.8 s late) so that 1016, 606 and 615 answers come. Both must finish and every row must be accounted for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectedOutcomes, generateLeadsCsv } from '../../scripts/generate-leads';
import type { QueueCluster } from '../../scripts/n8n-queue';
import { startSimulator, type RunningSimulator } from '../simulator';
import {
	QUEUE_LINE,
	createCluster,
	exampleWorkflow,
	expectSucceeded,
	findNode,
	finishedExecution,
	jsonOf,
	newestExecutionError,
	outputOf,
	postFile,
	simulatorCredential,
	type Workflow,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'queueConcurCred1';
const ROWS = 500;
const SHAPE = { failEvery: 50, warnEvery: 70 };

interface MarketoRowMeta {
	reason: string;
	rowNumber: number | null;
	tieBack: string;
}

/** Example 4 with its own id and path, cut into parts of 10 kB (about 80 rows) to make many batches. */
function uploadWorkflow(
	id: string,
	pathName: string,
	webhookId: string,
	credential: ReturnType<typeof simulatorCredential>,
): Workflow {
	const workflow = exampleWorkflow('04-webhook-csv-upload.json', id, credential);
	const webhook = findNode(workflow, 'CSV upload');
	webhook.parameters.path = pathName;
	webhook.webhookId = webhookId;
	findNode(workflow, 'Import leads').parameters.options = { partSizeMb: 0.01 };
	return workflow;
}

describe(`two imports at once from two workers, n8n line ${QUEUE_LINE}`, () => {
	let simulator: RunningSimulator;
	let cluster: QueueCluster;

	beforeAll(async () => {
		simulator = await startSimulator({
			rowsPerSecond: 200,
			seed: 21,
			queue: { maxProcessing: 1, maxQueued: 2 },
			limits: { callsPerWindow: 15, windowSeconds: 5, maxConcurrent: 2 },
			// Some answers take a while, so the two workers' calls overlap (615).
			faults: { slowResponseRate: 0.2, slowResponseMs: 800 },
		});
		// One execution at a time per worker: two executions at once are on two workers.
		cluster = await createCluster('concurrency', { concurrency: 1 });
		const credential = simulatorCredential(simulator, CREDENTIAL_ID);
		await cluster.importCredentials([credential]);
		await cluster.importWorkflow(
			uploadWorkflow(
				'queueConcurrentA',
				'marketo-upload-a',
				'6d1f4a0e-0007-4c3e-9a51-00000000a00a',
				credential,
			),
		);
		await cluster.importWorkflow(
			uploadWorkflow(
				'queueConcurrentB',
				'marketo-upload-b',
				'6d1f4a0e-0007-4c3e-9a51-00000000a00b',
				credential,
			),
		);
		await cluster.start();
		await cluster.activate('queueConcurrentA');
		await cluster.activate('queueConcurrentB');
	});

	afterAll(async () => {
		await cluster?.stop();
		await simulator?.close();
	});

	test('both finish, every row is accounted for, and the 1016/606/615 answers are absorbed', async () => {
		const expected = expectedOutcomes(ROWS, SHAPE);
		const files = await Promise.all(
			['a', 'b'].map(async (name) => {
				const file = path.join(cluster.dataDir, `leads-${name}.csv`);
				await generateLeadsCsv(file, { rows: ROWS, ...SHAPE });
				// Each file its own leads: lead0000001@example.com -> a-lead0000001@example.com
				const text = fs.readFileSync(file, 'utf8').replace(/^lead/gm, `${name}-lead`);
				fs.writeFileSync(file, text);
				return { name, file, text };
			}),
		);

		const started = Date.now();
		const responses = await Promise.all(
			files.map(async ({ name, text }) => ({
				name,
				response: await postFile(
					`${cluster.main.url}/webhook/marketo-upload-${name}`,
					'data',
					`leads-${name}.csv`,
					text,
					{
						registerWaitMs: 30_000,
					},
				),
			})),
		);
		const seconds = (Date.now() - started) / 1000;

		const workers = new Set<string>();
		for (const { name, response } of responses) {
			const workflowId = name === 'a' ? 'queueConcurrentA' : 'queueConcurrentB';
			if (response.status !== 200) {
				throw new Error(
					`${name}: HTTP ${response.status}: ${response.text}\n${await newestExecutionError(cluster, workflowId)}\n${cluster.logs(40)}`,
				);
			}
			const body = response.body as Record<string, unknown>;
			expect(body).toMatchObject({
				rowsImported: ROWS - expected.failed.length,
				rowsFailed: expected.failed.length,
				rowsWithWarning: expected.warned.length,
			});
			const batches = body.batches as Array<{ status: string }>;
			expect(batches.length).toBeGreaterThanOrEqual(5);
			expect(batches.every((batch) => batch.status === 'Complete')).toBe(true);
			const failed = body.failedRows as Array<Record<string, unknown>>;
			const meta = failed.map((row) => row._marketo as MarketoRowMeta);
			expect(meta.map((m) => m.rowNumber).sort((x, y) => (x as number) - (y as number))).toEqual(
				expected.failed,
			);
			expect(meta.every((m) => m.tieBack === 'exact')).toBe(true);

			const executionId = String(body.executionId);
			const ran = cluster.workersThatRan(executionId);
			expect(ran).toHaveLength(1);
			workers.add(ran[0]);
			const data = expectSucceeded(cluster, await finishedExecution(cluster, executionId));
			expect(
				jsonOf(outputOf(data, 'Warning rows'))
					.map((row) => (row._marketo as MarketoRowMeta).rowNumber)
					.sort((x, y) => (x as number) - (y as number)),
			).toEqual(expected.warned);
		}
		expect(workers.size).toBe(2);

		// Marketo holds every row of both files but the refused ones, each once.
		expect(simulator.state.leads.length).toBe(2 * (ROWS - expected.failed.length));
		const jobs = simulator.state.queue;
		expect(jobs.every((job) => job.status === 'Complete')).toBe(true);
		// No row was submitted twice: the batches hold each file's rows once.
		expect(jobs.reduce((sum, job) => sum + job.rows, 0)).toBe(2 * ROWS);

		const calls = simulator.state.calls.filter((call) => call.route !== 'identity');
		const codes = (code: string) => calls.filter((call) => call.marketoCode === code).length;
		const report = {
			seconds,
			apiCalls: calls.length,
			batches: jobs.length,
			'1016': codes('1016'),
			'606': codes('606'),
			'615': codes('615'),
		};
		process.stderr.write(`two imports at once on line ${QUEUE_LINE}: ${JSON.stringify(report)}\n`);
		// The set-up is tight enough that the two workers overrun the queue and the rate window.
		expect(report['1016']).toBeGreaterThan(0);
		expect(report['606'] + report['615']).toBeGreaterThan(0);
	});
});
