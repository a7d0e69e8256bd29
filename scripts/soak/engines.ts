/**
 * Where the soak's workflows run: one n8n process (`n8n execute` per run, SQLite; the e2e
 * set-up of test/e2e/support.ts), or n8n in queue mode (scripts/n8n-queue.js: a main process,
 * two workers, Redis, PostgreSQL, as `npm run test:queue` makes it), where each run is started
 * through a webhook and the worker running it may be killed mid-execution and started again.
 *
 * A killed worker, by line (docs/QUEUE-MODE.md): n8n 2.x runs a queued execution once, so it
 * ends in error ("failed to be processed too many times") holding no node's output; n8n 1.x
 * hands it to another worker, which goes on from the saved progress (re-running the node that
 * was running). When n8n itself ended the execution (its error names no node), the soak does
 * what a user does: it runs the workflow again. The batches the killed execution made are kept
 * apart (`supersededBatchIds`): the re-run cannot name them, and rows in both must never have
 * been imported by two batches at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

import { N8nInstance, type Workflow } from '../../test/e2e/support';
import type { RunningSimulator } from '../../test/simulator';
import { createQueueN8n, type QueueCluster } from '../n8n-queue';
import * as runtime from '../n8n-runtime';
import type { ExecuteResult, N8nRun, RuntimeLine, StoredCredential } from '../n8n-runtime';
import { fileHaystacks, filesUnder, n8nUserFolderFiles, type Haystack } from './secrets';

export interface KillReport {
	worker: string;
	atApiCall: number;
	executionId: string;
	/** What n8n recorded for the killed execution: its status and error. */
	n8nStatus: string;
	n8nError?: string;
	/** True when n8n ended it and the soak ran the workflow again. */
	rerun: boolean;
	/** Batches of the run that existed when the kill was done (made by the killed attempt). */
	batchesBeforeKill: number[];
}

export interface EngineRun {
	result: ExecuteResult;
	harnessError?: string;
	kill?: KillReport;
	/** Texts of this run to search for secrets (stdout/stderr, webhook answers). */
	texts: Haystack[];
}

export interface SoakEngine {
	readonly dataDir: string;
	/** Where the harness writes the credential it imports (in clear): the secrets check's control. */
	readonly importFolder: string;
	importCredentials(credentials: StoredCredential[]): Promise<void>;
	importWorkflow(workflow: Workflow): Promise<void>;
	run(
		workflow: Workflow,
		simulator: RunningSimulator,
		options: { timeoutMs: number; killWorkerAtApiCall?: number },
	): Promise<EngineRun>;
	/** n8n's database and logs, as they are now. */
	secretHaystacks(): Promise<Haystack[]>;
	stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function singleProcessEngine(line: RuntimeLine): SoakEngine {
	const instance = N8nInstance.create({ line, folderPrefix: `n8n-soak-line${line}-` });
	const dataDir = path.dirname(instance.dataFile('.keep'));
	return {
		dataDir,
		importFolder: instance.userFolder,
		importCredentials: (credentials) => instance.importCredentials(credentials),
		importWorkflow: (workflow) => instance.importWorkflow(workflow),
		async run(workflow, _simulator, { timeoutMs }) {
			let result: ExecuteResult;
			let harnessError: string | undefined;
			try {
				result = await instance.execute(workflow.id, { timeoutMs });
			} catch (error) {
				harnessError = (error instanceof Error ? error.message : String(error)).split('\n')[0];
				result = { code: 1, stdout: '', stderr: harnessError, run: undefined };
			}
			return {
				result,
				harnessError,
				texts: [
					{ where: 'n8n execute stdout', text: result.stdout },
					{ where: 'n8n execute stderr', text: result.stderr },
				],
			};
		},
		async secretHaystacks() {
			return fileHaystacks(n8nUserFolderFiles(instance.userFolder));
		},
		async stop() {
			runtime.killAllChildren();
			instance.remove();
		},
	};
}

/** The workflow as a queue-mode team runs it: its Manual Trigger becomes a Webhook (same name). */
export function webhookTriggered(workflow: Workflow): Workflow {
	const copy = JSON.parse(JSON.stringify(workflow)) as Workflow;
	const trigger = copy.nodes.find((node) => node.type === 'n8n-nodes-base.manualTrigger');
	if (trigger) {
		Object.assign(trigger, {
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: `5a0c0000-50a4-4000-8000-${Buffer.from(copy.id).toString('hex').slice(0, 12).padEnd(12, '0')}`,
			parameters: {
				httpMethod: 'POST',
				path: webhookPath(copy),
				responseMode: 'onReceived',
				options: {},
			},
		});
	}
	return copy;
}

const webhookPath = (workflow: Workflow) => `soak-${workflow.id.toLowerCase()}`;
const ENDED = ['success', 'error', 'crashed', 'canceled'];

/** The part of n8n's own `pg` (PostgreSQL client) used here. */
interface PgModule {
	Client: new (config: Record<string, unknown>) => {
		connect(): Promise<void>;
		query<Row>(sql: string): Promise<{ rows: Row[] }>;
		end(): Promise<void>;
	};
}

/** Every row of every table, as text (a dump without pg_dump, which the npm PostgreSQL lacks). */
async function dumpDatabase(cluster: QueueCluster): Promise<string> {
	const pg = createRequire(path.join(cluster.runtime.dir, 'node_modules', 'n8n', 'package.json'))(
		'pg',
	) as PgModule;
	const { host, port, user, password, database } = cluster.stack.postgres;
	const client = new pg.Client({ host, port, user, password, database });
	await client.connect();
	try {
		const tables = await client.query<{ schemaname: string; tablename: string }>(
			"SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
		);
		const parts: string[] = [];
		for (const { schemaname, tablename } of tables.rows) {
			const rows = await client.query<{ row: string }>(
				`SELECT t::text AS row FROM "${schemaname}"."${tablename}" t`,
			);
			parts.push(`-- ${schemaname}.${tablename}`, ...rows.rows.map((r) => r.row));
		}
		return parts.join('\n');
	} finally {
		await client.end();
	}
}

export async function queueEngine(line: RuntimeLine, tarball: string): Promise<SoakEngine> {
	const cluster = await createQueueN8n({
		line,
		tarball,
		name: 'soak',
		workers: 2,
		env: {
			// The batch IDs Bulk Import output stay in the execution while it runs; a dead worker
			// is noticed in seconds, not minutes (as test/queue/worker-killed.test.ts does).
			EXECUTIONS_DATA_SAVE_ON_PROGRESS: 'true',
			QUEUE_WORKER_LOCK_DURATION: '15000',
			QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
			QUEUE_WORKER_STALLED_INTERVAL: '10000',
		},
	});
	const started = { value: false };
	const workflowIds: string[] = [];

	const ensureStarted = async () => {
		if (started.value) return;
		await cluster.start();
		started.value = true;
	};
	const executionIds = async (workflowId: string) =>
		new Set((await cluster.executions(workflowId)).map((execution) => execution.id));
	/** Posts to the workflow's webhook; resolves the id of the execution it started. */
	const trigger = async (workflow: Workflow, known: Set<string>, texts: Haystack[]) => {
		const answer = await fetch(`${cluster.main.url}/webhook/${webhookPath(workflow)}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		});
		texts.push({ where: 'webhook answer', text: await answer.text() });
		for (let i = 0; i < 600; i++) {
			const fresh = [...(await executionIds(workflow.id))].filter((id) => !known.has(id));
			if (fresh.length > 0) {
				known.add(fresh[0]);
				return fresh[0];
			}
			await sleep(100);
		}
		throw new Error(`no execution of ${workflow.id} appeared after the webhook call`);
	};
	const ended = async (executionId: string, deadline: number) => {
		for (;;) {
			const execution = await cluster.execution(executionId);
			if (ENDED.includes(execution.status)) return execution;
			if (Date.now() > deadline)
				throw new Error(`execution ${executionId} did not end in time (${execution.status})`);
			await sleep(1000);
		}
	};
	const workerIndexRunning = (executionId: string) =>
		cluster.workers.findIndex((worker) =>
			new RegExp(`Worker started execution ${executionId} \\(job`).test(worker.handle.output()),
		);

	return {
		dataDir: cluster.dataDir,
		importFolder: cluster.folders.main,
		importCredentials: (credentials) => cluster.importCredentials(credentials),
		async importWorkflow(workflow) {
			const triggered = webhookTriggered(workflow);
			await cluster.importWorkflow(triggered);
			workflowIds.push(triggered.id);
			await ensureStarted();
			await cluster.activate(triggered.id);
		},
		async run(workflow, simulator, { timeoutMs, killWorkerAtApiCall }) {
			const deadline = Date.now() + timeoutMs;
			const texts: Haystack[] = [];
			const known = await executionIds(workflow.id);
			let executionId: string | undefined;
			let kill: Promise<{ worker: string; batches: number[] } | undefined> | undefined;
			let apiCalls = 0;
			const ownBatches = () =>
				simulator.state.queue.filter((job) => job.owner === 'own').map((job) => job.batchId);
			const killWorker = async () => {
				while (executionId === undefined) await sleep(50);
				let index = -1;
				for (let i = 0; i < 100 && index < 0; i++) {
					index = workerIndexRunning(executionId);
					if (index < 0) await sleep(50);
				}
				if (index < 0) return undefined;
				const worker = cluster.workers[index].name;
				const restarted = cluster.restartWorker(index);
				const batches = ownBatches();
				await restarted;
				return { worker, batches };
			};
			const stopListening = simulator.state.onCall((call) => {
				if (call.route === 'identity') return;
				apiCalls++;
				if (apiCalls === killWorkerAtApiCall && !kill) kill = killWorker();
			});
			let harnessError: string | undefined;
			let run: N8nRun | undefined;
			let status = 'unknown';
			let killReport: KillReport | undefined;
			try {
				executionId = await trigger(workflow, known, texts);
				let execution = await ended(executionId, deadline);
				const killed = kill ? await kill : undefined;
				if (killed) {
					const error = execution.data?.resultData?.error;
					// n8n, not a node, ended it: the user runs the workflow again.
					const rerun = execution.status !== 'success' && !error?.node;
					killReport = {
						worker: killed.worker,
						atApiCall: killWorkerAtApiCall as number,
						executionId,
						n8nStatus: execution.status,
						n8nError: error?.message,
						rerun,
						batchesBeforeKill: killed.batches,
					};
					texts.push({ where: `execution ${executionId}`, text: JSON.stringify(execution) });
					if (rerun) {
						executionId = await trigger(workflow, known, texts);
						execution = await ended(executionId, deadline);
					}
				}
				run = { status: execution.status, data: execution.data } as N8nRun;
				status = execution.status;
			} catch (error) {
				harnessError = (error instanceof Error ? error.message : String(error)).split('\n')[0];
			} finally {
				stopListening();
				if (kill) await kill.catch(() => undefined);
			}
			return {
				result: {
					code: status === 'success' ? 0 : 1,
					stdout: '',
					stderr: harnessError ?? '',
					run,
				},
				harnessError,
				kill: killReport,
				texts,
			};
		},
		async secretHaystacks() {
			const logs = fileHaystacks(filesUnder(cluster.stack.dir, (name) => name.endsWith('.log')));
			const memory: Haystack[] = [cluster.main, ...cluster.workers].flatMap((process) => [
				{ where: `${process.name} output`, text: process.handle.output() },
				...('previousOutput' in process && process.previousOutput
					? [{ where: `${process.name} earlier output`, text: process.previousOutput }]
					: []),
			]);
			return [...logs, ...memory, { where: 'PostgreSQL dump', text: await dumpDatabase(cluster) }];
		},
		async stop() {
			await cluster.stop();
		},
	};
}

/** The package packed once for the queue cluster's user folders. */
export function packOnce(): { tarball: string; remove: () => void } {
	const tarball = runtime.buildAndPack();
	return {
		tarball,
		remove: () => fs.rmSync(path.dirname(tarball), { recursive: true, force: true }),
	};
}
