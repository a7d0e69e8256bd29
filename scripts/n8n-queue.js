'use strict';
/**
 * n8n in queue mode (n8n's "scaling mode"), as a team that imports millions of rows runs it:
 * one main process (editor, REST API, webhooks, schedule triggers, the Wait node's timer),
 * workers that take the executions from a Redis queue, and PostgreSQL for workflows,
 * credentials, executions and binary data. Used by `npm run test:queue` and
 * `npm run dev -- --queue`.
 *
 * Redis and PostgreSQL come from scripts/queue-stack.js; n8n from the runtime that
 * scripts/n8n-runtime.js installs under .cache. Every process gets its own user folder with
 * the package installed the way n8n's Community Nodes install does it, so a worker shares
 * nothing with the main process but the database, Redis and the data folder the workflows
 * read files from (on several machines: a shared volume).
 *
 * Binary data: database mode on both lines (README "Queue mode"). n8n 2.x uses it by default in
 * queue mode (n8n-core BinaryDataConfig: `mode ??= executions.mode === 'queue' ? 'database' :
 * 'filesystem'`); n8n 1.123 keeps binary data in memory by default ('default' mode) and offers
 * 'database' only when N8N_AVAILABLE_BINARY_DATA_MODES names it (n8n's base-command
 * initBinaryDataService registers its DatabaseManager only then).
 *
 * Plain Node.js, no dependency outside Node's standard library.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const runtime = require('./n8n-runtime');
const stackModule = require('./queue-stack');

/** Local-only owner account of the queue-mode instances (tests and `npm run dev -- --queue`). */
const QUEUE_OWNER = {
	email: 'queue@marketo-bulk.local',
	password: 'Local-Queue-0nly',
	firstName: 'Queue',
	lastName: 'Tester',
};

function log(message) {
	process.stderr.write(`[n8n-queue] ${message}\n`);
}

/** The environment shared by every n8n process of the cluster (main, workers, CLI commands). */
function queueEnv(line, stack, dataDir, extra = {}) {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: stack.redis.host,
		QUEUE_BULL_REDIS_PORT: String(stack.redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: stack.postgres.host,
		DB_POSTGRESDB_PORT: String(stack.postgres.port),
		DB_POSTGRESDB_DATABASE: stack.postgres.database,
		DB_POSTGRESDB_USER: stack.postgres.user,
		DB_POSTGRESDB_PASSWORD: stack.postgres.password,
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		...(line === '1' ? { N8N_AVAILABLE_BINARY_DATA_MODES: 'filesystem,database' } : {}),
		// Executions started from the editor go to the workers too (n8n's own advice in queue mode).
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// A stop waits this long for running executions, not n8n's default 30 s.
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
		// The folder the example workflows read their files from, the same for every process.
		N8N_RESTRICT_FILE_ACCESS_TO: [dataDir, os.tmpdir()].join(';'),
		...extra,
	};
}

/**
 * Prepares a cluster: starts Redis and PostgreSQL, makes the user folders (main, worker-1..n)
 * with the package installed from `tarball`, and returns a handle. Nothing of n8n runs until
 * `start()`; import credentials and workflows first (they go into PostgreSQL).
 *
 * options: { line = '2', tarball, workers = 2, concurrency = 5, name = 'queue', echo = false,
 *            mainPort, env = {}, owner = QUEUE_OWNER (the editor account signIn() sets up) }
 */
async function createQueueN8n(options) {
	const {
		line = '2',
		tarball,
		workers: workerCount = 2,
		concurrency = 5,
		name = 'queue',
		echo = false,
	} = options;
	const n8nRuntime = runtime.ensureRuntime(line);
	const stack = await stackModule.startStack({ name: `${name}-line${line}` });
	const processes = [];
	let stopped = false;
	// Every n8n command migrates the database first; two at once on a fresh database collide
	// (n8n 1.x workers migrate too). The first command runs alone.
	let migrated = false;

	const dataDir = path.join(stack.dir, 'data');
	fs.mkdirSync(dataDir, { recursive: true });
	const folders = { main: path.join(stack.dir, 'main'), workers: [] };
	for (let i = 1; i <= workerCount; i++) folders.workers.push(path.join(stack.dir, `worker-${i}`));

	const env = queueEnv(line, stack, dataDir, options.env);
	const cluster = {
		line,
		runtime: n8nRuntime,
		stack,
		dataDir,
		folders,
		env,
		main: undefined,
		workers: [],
		cookie: undefined,

		/** `n8n <args>` against the cluster's database (from the main's user folder). */
		async cli(args) {
			const result = await runtime.runN8n(n8nRuntime, folders.main, args, { env });
			if (result.code !== 0) {
				throw new Error(
					`n8n ${args.join(' ')} exited with ${result.code}\n${(result.stdout + result.stderr).slice(-4000)}`,
				);
			}
			migrated = true;
			return result;
		},

		async importCredentials(credentials) {
			const file = path.join(folders.main, `credentials-${Date.now()}.json`);
			fs.writeFileSync(file, JSON.stringify(credentials, null, 2));
			await cluster.cli(['import:credentials', `--input=${file}`]);
		},

		async importWorkflow(workflow) {
			if (!workflow.id) throw new Error('importWorkflow: the workflow needs an id');
			const file = path.join(folders.main, `workflow-${workflow.id}.json`);
			fs.writeFileSync(file, JSON.stringify(workflow, null, 2));
			await cluster.cli(['import:workflow', `--input=${file}`]);
			return workflow.id;
		},

		/** Starts the workers, then the main process; resolves when all are ready. */
		async start({ readyTimeoutMs = 300000 } = {}) {
			const started = Date.now();
			if (!migrated) await cluster.cli(['list:workflow']);
			const workerStarts = folders.workers.map((_, index) => startWorker(index, readyTimeoutMs));
			// The database is migrated (above), so the main process and the workers start together.
			const port = options.mainPort ?? (await stackModule.findFreePort());
			const brokerPort = await stackModule.findFreePort();
			const handle = stackModule.startProcess(
				'main',
				n8nRuntime.nodeBin,
				[n8nRuntime.n8nBin, 'start'],
				{
					cwd: folders.main,
					env: runtime.n8nEnv(n8nRuntime, folders.main, {
						...env,
						N8N_PORT: String(port),
						N8N_LISTEN_ADDRESS: '127.0.0.1',
						N8N_HOST: 'localhost',
						N8N_RUNNERS_BROKER_PORT: String(brokerPort),
						N8N_EDITOR_BASE_URL: `http://localhost:${port}`,
						WEBHOOK_URL: `http://localhost:${port}/`,
					}),
					logFile: path.join(stack.dir, 'main.log'),
					onOutput: echo ? (chunk) => process.stderr.write(prefixLines('main', chunk)) : undefined,
				},
			);
			processes.push(handle);
			stackModule.registerProcess(stack.dir, handle.pid, folders.main);
			cluster.main = {
				name: 'main',
				handle,
				port,
				url: `http://localhost:${port}`,
				folder: folders.main,
			};
			const base = `http://127.0.0.1:${port}`;
			await Promise.all([
				waitUntil(
					'n8n main',
					handle,
					readyTimeoutMs,
					async () =>
						(await runtime.httpGetStatus(`${base}/healthz/readiness`)) === 200 &&
						(await runtime.httpGetStatus(`${base}/rest/settings`)) === 200,
				),
				...workerStarts,
			]);
			log(
				`n8n ${n8nRuntime.version} in queue mode: main ${cluster.main.url} and ${workerCount} workers ready after ${((Date.now() - started) / 1000).toFixed(1)} s`,
			);
			return cluster;
		},

		/**
		 * Kills worker `index` (0-based) at once (SIGKILL: no graceful stop, as a crashed
		 * machine), then starts it again in the same user folder; resolves when it is ready.
		 * Its log so far stays readable as `worker.previousOutput`.
		 */
		async restartWorker(index, { readyTimeoutMs = 300000 } = {}) {
			const old = cluster.workers[index];
			// SIGKILL to its process group; stop() also closes its log file.
			if (old) await old.handle.stop('SIGKILL', 1000);
			const previousOutput = `${old?.previousOutput ?? ''}${old?.handle.output() ?? ''}`;
			await startWorker(index, readyTimeoutMs);
			cluster.workers[index].previousOutput = previousOutput;
			return cluster.workers[index];
		},

		/** Owner set up (first time) and logged in; the cookie is kept for the REST calls below. */
		async signIn() {
			if (!cluster.cookie)
				cluster.cookie = await runtime.signInOwner(cluster.main.url, options.owner ?? QUEUE_OWNER);
			return cluster.cookie;
		},

		async rest(method, pathName, body) {
			const cookie = await cluster.signIn();
			const response = await runtime.restRequest(cluster.main.url, method, pathName, {
				body,
				cookie,
			});
			if (response.status >= 400) {
				throw new Error(
					`${method} ${pathName}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 2000)}`,
				);
			}
			return response.body?.data ?? response.body;
		},

		/**
		 * Activates (2.x: publishes) a workflow: its webhooks are registered and its schedule
		 * triggers start, in the main process.
		 */
		async activate(workflowId) {
			const workflow = await cluster.rest('GET', `/rest/workflows/${workflowId}`);
			if (line === '1') {
				await cluster.rest('PATCH', `/rest/workflows/${workflowId}`, {
					active: true,
					versionId: workflow.versionId,
				});
			} else {
				await cluster.rest('POST', `/rest/workflows/${workflowId}/activate`, {
					versionId: workflow.versionId,
				});
			}
		},

		async deactivate(workflowId) {
			const workflow = await cluster.rest('GET', `/rest/workflows/${workflowId}`);
			if (line === '1') {
				await cluster.rest('PATCH', `/rest/workflows/${workflowId}`, {
					active: false,
					versionId: workflow.versionId,
				});
			} else {
				await cluster.rest('POST', `/rest/workflows/${workflowId}/deactivate`, {});
			}
		},

		/**
		 * One execution as n8n stores it, with its run data parsed: { id, status, finished,
		 * mode, waitTill, data: IRun-like { resultData: { runData, error? } } }.
		 */
		async execution(executionId) {
			const execution = await cluster.rest('GET', `/rest/executions/${executionId}`);
			const flatted = createRequire(
				path.join(n8nRuntime.dir, 'node_modules', 'n8n', 'package.json'),
			)('flatted');
			return {
				...execution,
				data: typeof execution.data === 'string' ? flatted.parse(execution.data) : execution.data,
			};
		},

		/** The executions of a workflow, newest first (id, status, mode, startedAt, stoppedAt). */
		async executions(workflowId) {
			const filter = encodeURIComponent(JSON.stringify({ workflowId }));
			const body = await cluster.rest('GET', `/rest/executions?filter=${filter}&limit=100`);
			return body.results ?? body;
		},

		/** The workers that ran (a part of) an execution, by their log ("Worker started execution <id>"). */
		workersThatRan(executionId) {
			const started = new RegExp(`Worker started execution ${executionId} \\(job`);
			return cluster.workers
				.filter((worker) => started.test(worker.handle.output()))
				.map((worker) => worker.name);
		},

		/**
		 * One worker name per time a worker took up the execution: a resumed execution (after a
		 * long Wait) is started again, possibly by another worker.
		 */
		workerStarts(executionId) {
			const started = new RegExp(`Worker started execution ${executionId} \\(job`, 'g');
			return cluster.workers.flatMap((worker) =>
				Array((worker.handle.output().match(started) ?? []).length).fill(worker.name),
			);
		},

		/** True once the main process has enqueued the execution (sent it to the workers). */
		enqueuedByMain(executionId) {
			return new RegExp(`Enqueued execution ${executionId} \\(job`).test(
				cluster.main.handle.output(),
			);
		},

		/** Every process of the cluster's logs, for a failure message. */
		logs(lines = 60) {
			const parts = [];
			for (const handle of processes) {
				parts.push(`--- ${handle.name}\n${handle.output().split('\n').slice(-lines).join('\n')}`);
			}
			return parts.join('\n');
		},

		/** Stops n8n (workers and main), then Redis and PostgreSQL; deletes the run's folder. */
		async stop() {
			if (stopped) return;
			stopped = true;
			await Promise.all(processes.map((handle) => handle.stop('SIGTERM', 20000)));
			await stack.stop();
		},
	};

	/** Starts worker `index` (0-based) in its user folder; resolves when it is ready. */
	async function startWorker(index, readyTimeoutMs) {
		const folder = folders.workers[index];
		const healthPort = await stackModule.findFreePort();
		const brokerPort = await stackModule.findFreePort();
		const handle = stackModule.startProcess(
			`worker-${index + 1}`,
			n8nRuntime.nodeBin,
			[n8nRuntime.n8nBin, 'worker', `--concurrency=${concurrency}`],
			{
				cwd: folder,
				env: runtime.n8nEnv(n8nRuntime, folder, {
					...env,
					N8N_RUNNERS_BROKER_PORT: String(brokerPort),
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				}),
				logFile: path.join(stack.dir, `worker-${index + 1}.log`),
				onOutput: echo
					? (chunk) => process.stderr.write(prefixLines(`worker-${index + 1}`, chunk))
					: undefined,
			},
		);
		processes.push(handle);
		stackModule.registerProcess(stack.dir, handle.pid, folder);
		const worker = { name: `worker-${index + 1}`, handle, healthPort, folder };
		cluster.workers[index] = worker;
		await waitUntil(
			`n8n worker ${index + 1}`,
			handle,
			readyTimeoutMs,
			async () =>
				handle.output().includes('n8n worker is now ready') &&
				(await runtime.httpGetStatus(`http://127.0.0.1:${healthPort}/healthz/readiness`)) === 200,
		);
	}

	try {
		for (const folder of [folders.main, ...folders.workers]) {
			fs.mkdirSync(folder, { recursive: true });
			runtime.installPackage(n8nRuntime, folder, tarball);
		}
	} catch (error) {
		await cluster.stop();
		throw error;
	}
	return cluster;
}

function prefixLines(name, chunk) {
	return chunk
		.split('\n')
		.map((line, index, all) => (index === all.length - 1 && line === '' ? '' : `[${name}] ${line}`))
		.join('\n');
}

async function waitUntil(what, handle, timeoutMs, check) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (handle.hasExited()) {
			throw new Error(
				`${what} exited (${JSON.stringify(handle.exitInfo())}) before it was ready:\n${handle.output().slice(-4000)}`,
			);
		}
		if (await check()) return;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(
		`${what} was not ready within ${timeoutMs / 1000} s:\n${handle.output().slice(-4000)}`,
	);
}

/** SheetJS as the installed n8n's own nodes use it (1.x: xlsx, 2.x: @e965/xlsx). */
function spreadsheetLibrary(n8nRuntime) {
	const nodesRequire = createRequire(
		path.join(n8nRuntime.dir, 'node_modules', 'n8n-nodes-base', 'package.json'),
	);
	for (const name of ['xlsx', '@e965/xlsx']) {
		try {
			return nodesRequire(name);
		} catch {
			// the other line's name
		}
	}
	throw new Error(`no xlsx library next to n8n-nodes-base in ${n8nRuntime.dir}`);
}

/** Writes rows (objects) as an .xlsx file with one sheet, header from the first row's keys and any later ones. */
function writeSpreadsheet(n8nRuntime, rows, file, sheetName = 'Sheet1') {
	const xlsx = spreadsheetLibrary(n8nRuntime);
	const workbook = xlsx.utils.book_new();
	xlsx.utils.book_append_sheet(workbook, xlsx.utils.json_to_sheet(rows), sheetName);
	fs.writeFileSync(file, xlsx.write(workbook, { type: 'buffer', bookType: 'xlsx' }));
}

/** Reads an .xlsx file: { [sheetName]: rows as objects keyed by the header row }. */
function readSpreadsheet(n8nRuntime, file) {
	const xlsx = spreadsheetLibrary(n8nRuntime);
	const workbook = xlsx.read(fs.readFileSync(file), { type: 'buffer' });
	return Object.fromEntries(
		workbook.SheetNames.map((name) => [name, xlsx.utils.sheet_to_json(workbook.Sheets[name])]),
	);
}

module.exports = { createQueueN8n, queueEnv, QUEUE_OWNER, writeSpreadsheet, readSpreadsheet };
