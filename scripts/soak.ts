/**
 * `npm run soak [-- --runs N] [-- --seed S] [-- --line 1|2] [-- --queue]`
 *
 * A seeded fault soak in a real n8n: the import examples of examples/ (01, 02, 03) and an
 * extract workflow take turns, N runs (default 50) against the Marketo simulator over real
 * HTTP, each run with its own simulator and its own faults drawn from the seed
 * (scripts/soak/plan.ts): 5xx, 502 pages and connection resets on any call, a create-import
 * whose batch is made but whose answer is lost, 604/608/611/713 envelopes, 606/615 bursts,
 * tokens revoked or expiring early, slow answers, other integrations' jobs filling the queue, a
 * batch that ends Failed; for the extract: downloads cut or corrupted, a full export queue, a
 * Failed job, tokens dying during the wait between status reads.
 *
 * `--queue` runs them in n8n's queue mode (a main process, two workers, Redis, PostgreSQL) and
 * now and then kills the worker running the execution (scripts/soak/engines.ts).
 *
 * After each run every input row is accounted for (scripts/soak/accounting.ts) from the
 * simulator's job ledger and n8n's run data, every extracted record and file against the
 * simulator's (scripts/soak/extract.ts), and the client secret and every token issued are looked
 * for in n8n's database, logs, outputs and errors (scripts/soak/secrets.ts). Prints the totals,
 * writes bench/results/soak-latest.json and exits non-zero when a row or record was lost, a row
 * was imported by two batches at once, an error did not name what was submitted, a file was
 * not byte-identical, or a secret was found.
 *
 * Everything started here (n8n, Redis, PostgreSQL, the simulator, the temporary folders) is
 * stopped and removed at the end, on an error, and on Ctrl-C / SIGTERM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { simulatorCredential, type Workflow } from '../test/e2e/support';
import { startSimulator, type RunningSimulator } from '../test/simulator';
import * as runtime from './n8n-runtime';
import type { RuntimeLine } from './n8n-runtime';
import { accountRun } from './soak/accounting';
import { directFaults, simulatorOptions } from './soak/director';
import { packOnce, queueEngine, singleProcessEngine, type SoakEngine } from './soak/engines';
import {
	EXTRACT_STATUS_REFRESH_MS,
	accountExtract,
	directExtractFaults,
	seedExtractLeads,
} from './soak/extract';
import { describePlan, planRun, type RunPlan } from './soak/plan';
import { failuresOf, printSummary, progressLine, totalsOf, type RunRecord } from './soak/report';
import { controlFound, findSecrets, simulatorSecrets, type Haystack } from './soak/secrets';
import {
	CREDENTIAL_ID,
	CREDENTIAL_NAME,
	importNodeOf,
	soakWorkflow,
	sourceRowsFor,
	waitNodeOf,
	workflowId,
} from './soak/workflows';

const RESULTS_FILE = path.join(runtime.REPO_ROOT, 'bench', 'results', 'soak-latest.json');

/** The harness stops a run after this long; the workflows' own limits come first. */
const RUN_TIMEOUT_MS = 10 * 60 * 1000;
/** After n8n ends, Marketo goes on importing the batches it holds; the ledger is read once they are done. */
const DRAIN_LIMIT_MS = 2 * 60 * 1000;

interface Options {
	runs: number;
	seed: number;
	line: RuntimeLine;
	queue: boolean;
}

export function parseArgs(argv: string[]): Options {
	const options: Options = { runs: 50, seed: 1, line: '2', queue: false };
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split('=', 2);
		const value = () => inline ?? argv[++i];
		if (flag === '--runs') options.runs = Number(value());
		else if (flag === '--seed') options.seed = Number(value());
		else if (flag === '--line') options.line = value() as RuntimeLine;
		else if (flag === '--queue') options.queue = true;
		else
			throw new Error(`Unknown argument ${argv[i]}: use --runs N, --seed S, --line 1|2, --queue`);
	}
	if (!Number.isInteger(options.runs) || options.runs < 1)
		throw new Error('--runs takes a whole number of at least 1');
	if (!Number.isInteger(options.seed) || options.seed < 0)
		throw new Error('--seed takes a whole number of at least 0');
	if (options.line !== '1' && options.line !== '2') throw new Error('--line takes 1 or 2');
	return options;
}

/** What every run shares: where n8n runs, the simulator's port, the imported workflows. */
interface SoakContext {
	engine: SoakEngine;
	port: number;
	workflows: Map<string, Workflow>;
	/** The simulator of the run in progress, so an interruption can close it. */
	simulator?: RunningSimulator;
	/** The next run's first batch id: Marketo never hands out an id twice (the nodes rely on it). */
	nextBatchId: number;
}

const progress = (line: string) => process.stderr.write(`[soak] ${line}\n`);

/** Imports each workflow the first time a run needs it. */
async function workflowFor(context: SoakContext, plan: RunPlan): Promise<Workflow> {
	const id = workflowId(plan);
	let workflow = context.workflows.get(id);
	if (!workflow) {
		workflow = soakWorkflow(plan, context.engine.dataDir);
		await context.engine.importWorkflow(workflow);
		context.workflows.set(id, workflow);
	}
	return workflow;
}

/** Waits until the simulator has finished every batch of the run (it keeps importing after n8n ends). */
async function drainQueue(simulator: RunningSimulator): Promise<boolean> {
	const deadline = Date.now() + DRAIN_LIMIT_MS;
	const unfinished = () =>
		simulator.state.queue.some(
			(job) => job.owner === 'own' && (job.status === 'Queued' || job.status === 'Importing'),
		);
	while (unfinished()) {
		if (Date.now() > deadline) return false;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	return true;
}

function countFaults(simulator: RunningSimulator): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const call of simulator.state.calls)
		if (call.fault) counts[call.fault] = (counts[call.fault] ?? 0) + 1;
	return counts;
}

async function soakRun(context: SoakContext, plan: RunPlan): Promise<RunRecord> {
	const started = Date.now();
	const { engine } = context;
	const workflow = await workflowFor(context, plan);
	const sourceRows = await sourceRowsFor(plan, workflow, engine.dataDir);
	// Every run gets a fresh simulator on the same port, so the imported workflows stay valid.
	const simulator = await startSimulator({
		...simulatorOptions(plan, context.port, context.nextBatchId),
		...(plan.extract ? { extract: { statusRefreshMs: EXTRACT_STATUS_REFRESH_MS } } : {}),
	});
	context.simulator = simulator;
	try {
		const extractIds = plan.extract ? seedExtractLeads(simulator.state, plan.extract) : undefined;
		for (const file of fs.readdirSync(engine.dataDir))
			if (file.startsWith('soak-extract-')) fs.rmSync(path.join(engine.dataDir, file));
		// A fresh credential: no token from the previous run's simulator, so the only token
		// trouble a run meets is the one its plan draws.
		await engine.importCredentials([
			simulatorCredential(simulator, CREDENTIAL_ID, { name: CREDENTIAL_NAME }),
		]);
		const stopFaults = directFaults(simulator.state, plan);
		const stopExtractFaults = plan.extract
			? directExtractFaults(simulator.state, plan.extract)
			: () => undefined;
		const outcome = await engine
			.run(workflow, simulator, {
				timeoutMs: RUN_TIMEOUT_MS,
				killWorkerAtApiCall: plan.killWorkerAtApiCall,
			})
			.finally(() => {
				stopFaults();
				stopExtractFaults();
			});
		const { result, harnessError, kill } = outcome;
		const queueDrained = await drainQueue(simulator);
		context.nextBatchId = Math.max(
			context.nextBatchId,
			...simulator.state.queue.map((job) => job.batchId + 1),
		);
		const account = plan.extract
			? accountRun({
					sourceRows: [],
					ledger: [],
					concurrentDuplicates: [],
					importNode: '',
					waitNode: '',
					run: undefined,
					exitCode: 0,
				})
			: accountRun({
					sourceRows,
					ledger: simulator.state.jobLedger(),
					concurrentDuplicates: simulator.state.concurrentDuplicates(),
					importNode: importNodeOf(workflow).name,
					waitNode: waitNodeOf(workflow).name,
					run: result.run,
					exitCode: result.code,
					harnessError,
					supersededBatchIds: kill?.rerun ? kill.batchesBeforeKill : [],
				});
		const extract =
			plan.extract && extractIds
				? accountExtract(simulator, extractIds, result.run, engine.dataDir, harnessError)
				: undefined;

		// Every output and error of the run, n8n's database and its logs.
		const places: Haystack[] = [
			...outcome.texts,
			{ where: 'run data (outputs and errors)', text: JSON.stringify(result.run ?? {}) },
			...(await engine.secretHaystacks()),
		];
		const looked = simulatorSecrets(simulator.clientSecret, simulator.state.tokens);
		const secrets = findSecrets(looked, places);
		return {
			run: plan.run,
			example: plan.example,
			continueOnFail: plan.continueOnFail,
			faults: describePlan(plan),
			plan,
			seconds: Math.round((Date.now() - started) / 100) / 10,
			exitCode: result.code,
			queueDrained,
			apiCalls: simulator.state.calls.filter((call) => call.route !== 'identity').length,
			faultsFired: countFaults(simulator),
			account,
			extract,
			kill,
			secrets: {
				lookedFor: secrets.secretsLookedFor,
				places: secrets.placesSearched,
				megabytes: Math.round(secrets.bytesSearched / 1e4) / 100,
				found: secrets.found,
				controlFound: controlFound(looked[0], engine.importFolder),
			},
		};
	} finally {
		context.simulator = undefined;
		await simulator.close();
	}
}

async function main(): Promise<number> {
	const options = parseArgs(process.argv.slice(2));
	const startedAt = new Date();
	const plans = Array.from({ length: options.runs }, (_, index) =>
		planRun(options.seed, index + 1, { queue: options.queue }),
	);
	const { version } = runtime.RUNTIME_LINES[options.line];
	const mode = options.queue ? 'queue mode: main, 2 workers, Redis, PostgreSQL' : 'one process';
	progress(
		`${options.runs} runs, seed ${options.seed}, n8n ${version} (line ${options.line}), ${mode}`,
	);

	let context: SoakContext | undefined;
	let pack: { remove: () => void } | undefined;
	let interrupted = false;
	const cleanUp = async () => {
		const simulator = context?.simulator;
		if (simulator) await simulator.close();
		await context?.engine.stop();
		runtime.killAllChildren();
		pack?.remove();
	};
	const onSignal = (signal: NodeJS.Signals) => {
		if (interrupted) return;
		interrupted = true;
		progress(`${signal}: stopping n8n and the simulator`);
		void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);

	const records: RunRecord[] = [];
	try {
		let engine: SoakEngine;
		if (options.queue) {
			const packed = packOnce();
			pack = packed;
			engine = await queueEngine(options.line, packed.tarball);
		} else engine = singleProcessEngine(options.line);
		context = {
			engine,
			port: await runtime.findFreePort(),
			workflows: new Map(),
			nextBatchId: 1001,
		};
		for (const plan of plans) {
			if (interrupted) break;
			progress(
				`run ${plan.run}/${options.runs}: example ${plan.example}; ${describePlan(plan).join('; ')}`,
			);
			const record = await soakRun(context, plan);
			records.push(record);
			progress(progressLine(record, options.runs));
		}
	} finally {
		await cleanUp();
	}

	const totals = totalsOf(records);
	const failures = failuresOf(totals, interrupted);
	const report = {
		startedAt: startedAt.toISOString(),
		finishedAt: new Date().toISOString(),
		seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
		n8n: { line: options.line, version, mode: options.queue ? 'queue' : 'single process' },
		seed: options.seed,
		runsRequested: options.runs,
		totals,
		pass: failures.length === 0,
		failures,
		runs: records,
	};
	fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
	fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
	printSummary(records, totals, failures, path.relative(process.cwd(), RESULTS_FILE));
	return failures.length === 0 ? 0 : 1;
}

if (require.main === module) {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		(error: unknown) => {
			process.stderr.write(
				`[soak] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
			);
			process.exitCode = 1;
		},
	);
}
