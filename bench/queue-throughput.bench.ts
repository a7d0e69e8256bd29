/**
 * Queue-mode throughput: the 1,000,000-row import of e2e-throughput (the same file, part size and
 * simulator speed, bench/large-import.ts) run by a worker of n8n 2.40.7 in queue mode
 * (scripts/n8n-queue.js: Redis, PostgreSQL, a main process and two workers, binary data in the
 * database). Line 2 only: line 1 is covered by `npm run test:queue`, and one line keeps the
 * bench short.
 *
 * The file is posted to example 04's webhook (Webhook -> Marketo Bulk Import -> Wait for Batch
 * -> Respond to Webhook), so the main process stores it and a worker imports it, as a team that
 * scales out runs it.
 *
 * - makespan ratio = ideal / actual, defined as in e2e-throughput (from the Import node's start
 *   to the end of Wait for Batch, both read from the stored execution), reported: the target
 *   stays on the one-process run. Here four n8n processes, Redis and PostgreSQL share the two
 *   cores with the simulator, and the figure follows the machine's load more than the nodes. The ideal
 *   counts the time to the first upload, which is long here: n8n's database store (2.40.7
 *   DatabaseManager.getAsStream) fetches the whole file from PostgreSQL each time a node opens
 *   it, and Bulk Import opens it three times before its first upload (encoding, check, cut);
 *   Wait for Batch opens it once more to tie the failed rows back. The JSON keeps each part's
 *   submission time and the Wait node's start to show where the time went.
 * - peak RSS (VmHWM) of the worker that ran the execution, reported: it is mostly n8n's database
 *   store holding the file (the nodes' own growth is bounded in bench/csv.bench.ts). Both
 *   workers (and their RSS before the upload) and the main process are kept in the JSON.
 * Every row is accounted for: the webhook's answer and the stored execution must hold exactly
 * the file's refused and warned rows, and the simulator's batches every row of the file.
 *
 * Full run: 1,000,000 rows (~125 MB, 14 parts). --quick: 10,000 rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as n8n from '../scripts/n8n-runtime';
import { createQueueN8n, type QueueCluster } from '../scripts/n8n-queue';
import { startSimulator, type RunningSimulator } from '../test/simulator';
import {
	exampleWorkflow,
	expectSucceeded,
	findNode,
	finishedExecution,
	newestExecutionError,
	outputOf,
	postFile,
	simulatorCredential,
} from '../test/queue/support';
import {
	LARGE_IMPORT_FULL,
	LARGE_IMPORT_QUICK,
	assertRowsAccountedFor,
	generateLargeImportFile,
	idealMakespanMs,
	importTiming,
	largeImportOptions,
	makespanResult,
	processingMs,
	readMemoryKb,
	samplePeakRss,
} from './large-import';
import type { BenchContext, BenchResult } from './types';

const WORKFLOW_ID = 'benchQueueImport';
const CREDENTIAL_ID = 'benchQueueCred01';
const WEBHOOK_PATH = 'marketo-bench-upload';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
	if (!ctx.wants('queue-throughput')) return [];
	const shape = ctx.quick ? LARGE_IMPORT_QUICK : LARGE_IMPORT_FULL;
	const { file, bytes, expected } = await generateLargeImportFile(ctx, shape);
	ctx.log(
		`queue-throughput: ${shape.rows} rows, ${(bytes / 1e6).toFixed(1)} MB at ${shape.rowsPerSecond} rows/s`,
	);

	const tarball = n8n.buildAndPack();
	let simulator: RunningSimulator | undefined;
	let cluster: QueueCluster | undefined;
	let sampler: ReturnType<typeof samplePeakRss> | undefined;
	try {
		simulator = await startSimulator({ rowsPerSecond: shape.rowsPerSecond, seed: 5 });
		cluster = await createQueueN8n({ line: '2', tarball, name: 'bench', workers: 2 });
		const credential = simulatorCredential(simulator, CREDENTIAL_ID);
		await cluster.importCredentials([credential]);
		const workflow = exampleWorkflow('04-webhook-csv-upload.json', WORKFLOW_ID, credential);
		const webhook = findNode(workflow, 'CSV upload');
		webhook.parameters.path = WEBHOOK_PATH;
		webhook.webhookId = '6d1f4a0e-0008-4c3e-9a51-00000000b001';
		findNode(workflow, 'Import leads').parameters.options = largeImportOptions(shape);
		await cluster.importWorkflow(workflow);
		await cluster.start();
		await cluster.activate(WORKFLOW_ID);

		const workerPids = cluster.workers.map((worker) => worker.handle.pid!);
		const mainPid = cluster.main.handle.pid!;
		// What the workers hold before the file comes (n8n itself), to tell the import's share.
		const rssBeforeKb = workerPids.map((pid) => readMemoryKb(pid, 'VmRSS'));
		sampler = samplePeakRss([...workerPids, mainPid]);
		ctx.log(
			`queue-throughput: posting the file to the webhook of n8n ${cluster.runtime.version} in queue mode...`,
		);
		// Example 4 answers when Wait for Batch is done: minutes, more than fetch waits by default.
		const response = await postFile(
			`${cluster.main.url}/webhook/${WEBHOOK_PATH}`,
			'data',
			'bench-leads.csv',
			fs.readFileSync(file),
			{
				answerTimeoutMs: 60 * 60 * 1000,
			},
		);
		if (response.status !== 200) {
			throw new Error(
				`the webhook answered HTTP ${response.status}: ${response.text.slice(0, 2000)}\n` +
					`${await newestExecutionError(cluster, WORKFLOW_ID)}\n${cluster.logs(40)}`,
			);
		}
		const answer = response.body as Record<string, unknown>;
		const executionId = String(answer.executionId);
		const data = expectSucceeded(
			cluster,
			await finishedExecution(cluster, executionId, 10 * 60 * 1000),
		);
		sampler.stop();

		// Every row accounted for: in the caller's answer, in the run data and in Marketo's batches.
		const counted = {
			failedRows: Number(answer.rowsFailed),
			warningRows: Number(answer.rowsWithWarning),
		};
		assertRowsAccountedFor('queue-throughput (webhook answer)', counted, expected);
		if (Number(answer.rowsImported) + counted.failedRows !== shape.rows) {
			throw new Error(
				`queue-throughput: ${String(answer.rowsImported)} imported + ${counted.failedRows} failed is not ${shape.rows} rows`,
			);
		}
		const stored = {
			failedRows: outputOf(data, 'Failed rows').length,
			warningRows: outputOf(data, 'Warning rows').length,
		};
		assertRowsAccountedFor('queue-throughput (stored execution)', stored, expected);
		const jobs = simulator.state.queue.filter((job) => job.owner !== 'foreign');
		const rowsInBatches = jobs.reduce((sum, job) => sum + job.rows, 0);
		if (rowsInBatches !== shape.rows || jobs.some((job) => job.status !== 'Complete')) {
			throw new Error(
				`queue-throughput: Marketo's batches hold ${rowsInBatches} of ${shape.rows} rows, not all of them Complete`,
			);
		}

		const ran = cluster.workersThatRan(executionId);
		if (ran.length === 0)
			throw new Error(`queue-throughput: no worker says it ran execution ${executionId}`);
		const peakMbOf = (pid: number) => Math.round(sampler!.peakKb(pid) / 1024);
		const workerPeaks = Object.fromEntries(
			cluster.workers.map((worker) => [worker.name, peakMbOf(worker.handle.pid!)]),
		);
		const ranPeakMb = Math.max(
			...cluster.workers
				.filter((worker) => ran.includes(worker.name))
				.map((worker) => peakMbOf(worker.handle.pid!)),
		);

		const timing = importTiming(data, 'Import leads', 'Wait for batches');
		const waitStart = data.resultData.runData['Wait for batches'].at(-1)!.startTime;
		const ideal = idealMakespanMs(processingMs(shape), timing.firstUploadMs);
		ctx.log(
			`queue-throughput: ${ran.join(', ')} ran it; makespan ${(timing.makespanMs / 1000).toFixed(1)} s, ideal ${(ideal / 1000).toFixed(1)} s`,
		);
		const details = {
			n8n: cluster.runtime.version,
			rows: shape.rows,
			bytes,
			parts: timing.parts.length,
			rowsPerSecond: shape.rowsPerSecond,
			workersThatRan: ran,
		};
		return [
			{
				// Reported beside the one-process target (see the header comment).
				...makespanResult(
					'queue-throughput makespan ratio, run by a worker in queue mode (ideal / actual)',
					{ idealMs: ideal, actualMs: timing.makespanMs, firstUploadMs: timing.firstUploadMs },
					{
						...details,
						// Where the time went: each part's submission and the Wait node's start, in s from the Import node's start.
						partsSubmittedAtS: timing.parts.map(
							(part) => (part.submittedAt - timing.importStart) / 1000,
						),
						waitStartS: (waitStart - timing.importStart) / 1000,
						// When Marketo's lanes were done with our batches: the rest is Wait for Batch noticing and tying back.
						lastBatchFinishedS:
							(Math.max(...jobs.map((job) => job.finishedAt ?? 0)) - timing.importStart) / 1000,
					},
				),
				reported: true,
			},
			{
				name: 'queue-throughput peak RSS of the worker that ran it',
				value: ranPeakMb,
				unit: 'MB',
				reported: true,
				details: {
					...details,
					workersMb: workerPeaks,
					workersRssBeforeUploadMb: rssBeforeKb.map((kb) => Math.round(kb / 1024)),
					mainMb: peakMbOf(mainPid),
				},
			},
		];
	} finally {
		sampler?.stop();
		await cluster?.stop();
		await simulator?.close();
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
}
