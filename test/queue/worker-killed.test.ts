/**
 * A worker killed (SIGKILL: no graceful stop) while Marketo Wait for Batch waits for a batch
 * it submitted. What n8n does with the execution differs by line (n8n's Bull settings); in
 * both, the batch goes on in Marketo, and checking it again with Check Once ("Define Below",
 * the batch ID) gets every row back: the counts and each failed and warning row with its
 * reason and columns.
 *
 * The cluster saves execution progress (EXECUTIONS_DATA_SAVE_ON_PROGRESS, so the batch IDs
 * that Bulk Import output are in the execution) and notices a dead worker sooner than n8n's
 * defaults (lock 15 s instead of 60 s, stalled check every 10 s instead of 30 s).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectedOutcomes, generateLeadsCsv, leadEmail } from '../../scripts/generate-leads';
import type { QueueCluster } from '../../scripts/n8n-queue';
import { startSimulator, type RunningSimulator } from '../simulator';
import {
	QUEUE_LINE,
	createCluster,
	eventually,
	exampleWorkflow,
	expectSucceeded,
	finishedExecution,
	jsonOf,
	outputOf,
	postFile,
	simulatorCredential,
	sleep,
	type Workflow,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'queueKillSimCred';
const ROWS = 600;
const SHAPE = { failEvery: 100, warnEvery: 150 };

interface MarketoRowMeta {
	reason: string;
	rowNumber: number | null;
	tieBack: string;
}

/** Webhook with a batch ID in its JSON body -> Check Once on that batch (Batch Source "Define Below"). */
function checkBatchWorkflow(credential: { id: string; name: string }): Workflow {
	return {
		id: 'queueKillCheck01',
		name: 'Check a batch again (queueKillCheck01)',
		active: false,
		nodes: [
			{
				id: '6d1f4a0e-0008-4c3e-9a51-000000000001',
				name: 'Batch ID',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 300],
				webhookId: '6d1f4a0e-0008-4c3e-9a51-00000000a008',
				parameters: {
					httpMethod: 'POST',
					path: 'marketo-check-batch',
					responseMode: 'onReceived',
					options: {},
				},
			},
			{
				id: '6d1f4a0e-0008-4c3e-9a51-000000000002',
				name: 'Check once',
				type: 'n8n-nodes-marketo-bulk.marketoWaitForBatch',
				typeVersion: 1,
				position: [300, 300],
				parameters: {
					mode: 'checkOnce',
					batchSource: 'define',
					batchId: '={{ $json.body.batchId }}',
					importType: 'leads',
					fileFormat: 'csv',
					options: {},
				},
				credentials: { marketoApi: { id: credential.id, name: credential.name } },
			},
		],
		connections: { 'Batch ID': { main: [[{ node: 'Check once', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

describe(`a worker killed during Wait for Batch, n8n line ${QUEUE_LINE}`, () => {
	let simulator: RunningSimulator;
	let cluster: QueueCluster;

	beforeAll(async () => {
		// 600 rows at 10 a second: a minute of importing to kill the worker in.
		simulator = await startSimulator({ rowsPerSecond: 10, seed: 31 });
		cluster = await createCluster('worker-killed', {
			concurrency: 1,
			env: {
				EXECUTIONS_DATA_SAVE_ON_PROGRESS: 'true',
				QUEUE_WORKER_LOCK_DURATION: '15000',
				QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
				QUEUE_WORKER_STALLED_INTERVAL: '10000',
			},
		});
		const credential = simulatorCredential(simulator, CREDENTIAL_ID);
		await cluster.importCredentials([credential]);
		await cluster.importWorkflow(
			exampleWorkflow('04-webhook-csv-upload.json', 'queueKillUpload1', credential),
		);
		await cluster.importWorkflow(checkBatchWorkflow(credential));
		await cluster.start();
		await cluster.activate('queueKillUpload1');
		await cluster.activate('queueKillCheck01');
	});

	afterAll(async () => {
		await cluster?.stop();
		await simulator?.close();
	});

	test('what n8n does with the execution, and Check Once gets every row of the submitted batch back', async () => {
		const expected = expectedOutcomes(ROWS, SHAPE);
		const file = path.join(cluster.dataDir, 'leads-killed.csv');
		await generateLeadsCsv(file, { rows: ROWS, ...SHAPE });
		const answer = postFile(
			`${cluster.main.url}/webhook/marketo-csv-upload`,
			'data',
			'leads-killed.csv',
			fs.readFileSync(file),
		);

		// The batch is importing and Wait for Batch is waiting for it: kill that worker.
		await eventually(
			'a batch importing',
			async () =>
				simulator.state.queue.some((job) => job.status === 'Importing') ? true : undefined,
			60_000,
			200,
		);
		await sleep(2000);
		const [executionSummary] = await cluster.executions('queueKillUpload1');
		const executionId = executionSummary.id;
		const [victimName] = cluster.workersThatRan(executionId);
		const victim = cluster.workers.find((worker) => worker.name === victimName);
		if (!victim) throw new Error(`no worker ran execution ${executionId}\n${cluster.logs(30)}`);
		process.kill(-victim.handle.pid, 'SIGKILL');
		const killedAt = Date.now();
		// While n8n has not noticed yet, the saved progress holds what Bulk Import output: the batch IDs.
		const progress = await cluster.execution(executionId);
		const imported = jsonOf(outputOf(progress.data, 'Import leads'));

		const response = await answer;
		const execution = await finishedExecution(cluster, executionId, 180_000);
		const seconds = Math.round((Date.now() - killedAt) / 1000);
		const batchIds = simulator.state.queue.map((job) => job.batchId);
		// Never a second import of the file: one batch.
		expect(batchIds).toHaveLength(1);

		if (QUEUE_LINE === '2') {
			// n8n 2.x runs a job once (Bull maxStalledCount 0): the execution fails and the caller gets a 500.
			expect(execution.status).toBe('error');
			expect(execution.data.resultData.error?.message).toMatch(
				/failed to be processed too many times/,
			);
			expect(response.status).toBe(500);
			expect(cluster.workerStarts(executionId)).toEqual([victimName]);
		} else {
			// n8n 1.x hands a stalled job to another worker once (QUEUE_WORKER_MAX_STALLED_COUNT 1), which goes
			// on from the saved progress: Wait for Batch again, on the batch already submitted.
			const data = expectSucceeded(cluster, execution);
			expect(cluster.workerStarts(executionId)).toHaveLength(2);
			expect(response.status).toBe(200);
			expect(response.body).toMatchObject({
				rowsImported: ROWS - expected.failed.length,
				rowsFailed: expected.failed.length,
			});
			const failed = jsonOf(outputOf(data, 'Failed rows'));
			expect(
				failed
					.map((row) => (row._marketo as MarketoRowMeta).rowNumber)
					.sort((a, b) => Number(a) - Number(b)),
			).toEqual(expected.failed);
		}
		expect(imported.map((item) => item.batchId)).toEqual(batchIds);
		const keptBatchIds = jsonOf(outputOf(execution.data, 'Import leads')).map(
			(item) => item.batchId,
		);
		process.stderr.write(
			`worker killed on line ${QUEUE_LINE}: execution ${execution.status} ${seconds} s after the kill; caller got HTTP ${response.status}; ` +
				`workers that took it up: ${cluster.workerStarts(executionId).join(', ')}; ` +
				`batch IDs in the ended execution: ${JSON.stringify(keptBatchIds)}\n`,
		);

		// Rerun: Check Once on the batch ID gets every row of it.
		await eventually(
			'the batch to end in Marketo',
			async () => (simulator.state.queue[0].status === 'Complete' ? true : undefined),
			120_000,
		);
		const check = await fetch(`${cluster.main.url}/webhook/marketo-check-batch`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ batchId: imported[0].batchId }),
		});
		expect(check.status).toBe(200);
		const checks = await eventually(
			'the check to run',
			async () => {
				const executions = await cluster.executions('queueKillCheck01');
				const ended = executions.filter((e) => e.status === 'success' || e.status === 'error');
				return ended.length > 0 ? ended : undefined;
			},
			60_000,
		);
		const checkData = expectSucceeded(cluster, await cluster.execution(checks[0].id));
		expect(jsonOf(outputOf(checkData, 'Check once'))).toEqual([
			expect.objectContaining({
				status: 'Complete',
				rowsProcessed: ROWS - expected.failed.length,
				rowsFailed: expected.failed.length,
				rowsWithWarning: expected.warned.length,
			}),
		]);
		const failedRows = jsonOf(outputOf(checkData, 'Check once', 1));
		const warnedRows = jsonOf(outputOf(checkData, 'Check once', 2));
		expect(failedRows.map((row) => row.email).sort()).toEqual(
			expected.failed.map(leadEmail).sort(),
		);
		expect(warnedRows.map((row) => row.email).sort()).toEqual(
			expected.warned.map(leadEmail).sort(),
		);
		expect(
			failedRows.every(
				(row) =>
					(row._marketo as MarketoRowMeta).reason === 'Invalid data type in field Loyalty Points',
			),
		).toBe(true);
		// Without the submitted file, the rows say so instead of guessing a row number.
		expect(
			failedRows.every((row) => (row._marketo as MarketoRowMeta).tieBack === 'no-submitted-file'),
		).toBe(true);
		expect(simulator.state.leads.length).toBe(ROWS - expected.failed.length);
	});
});
