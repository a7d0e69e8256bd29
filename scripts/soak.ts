/**
 * `npm run soak [-- --runs N] [-- --seed S] [-- --line 1|2]`
 *
 * A seeded fault soak in a real n8n: the example workflows of examples/ (in turn: 01, 02, 03)
 * run N times (default 50) against the Marketo simulator over real HTTP, each run with its own
 * simulator and its own faults drawn from the seed (scripts/soak/plan.ts): 5xx, 502 pages and
 * connection resets on any call, a create-import whose batch is made but whose answer is lost,
 * 604/608/611/713 envelopes, 606/615 bursts, tokens revoked or expiring early, slow answers,
 * other integrations' jobs filling the queue, a batch that ends Failed.
 *
 * After each run every input row is accounted for (scripts/soak/accounting.ts) from the
 * simulator's job ledger and n8n's run data. Prints the totals, writes
 * bench/results/soak-latest.json and exits non-zero when a row was lost, a row was imported by
 * two batches at once, or an error did not name what was submitted.
 *
 * n8n is started the way the e2e tests start it (test/e2e/support.ts): one user folder with the
 * packed package, `n8n execute` per run. Everything started here (n8n, the simulator, the
 * temporary folder) is stopped and removed at the end, on an error, and on Ctrl-C / SIGTERM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

import {
	EXAMPLES_DIR,
	N8nInstance,
	exampleWorkflow,
	simulatorCredential,
	type Workflow,
	type WorkflowNode,
} from '../test/e2e/support';
import { startSimulator, type RunningSimulator } from '../test/simulator';
import { parseDelimited } from '../test/simulator/delimited';
import { isBlankRow } from '../test/simulator/rows';
import { generateLeadsCsv } from './generate-leads';
import * as runtime from './n8n-runtime';
import type { ExecuteResult, RuntimeLine, StoredCredential } from './n8n-runtime';
import { accountRun, type RunAccount, type SourceRow } from './soak/accounting';
import { directFaults, simulatorOptions } from './soak/director';
import {
	EXAMPLE_FILES,
	LARGE_FILE_PART_SIZE_MB,
	describePlan,
	planRun,
	type ExampleId,
	type RunPlan,
} from './soak/plan';

const RESULTS_FILE = path.join(runtime.REPO_ROOT, 'bench', 'results', 'soak-latest.json');
const LEADS_CSV = path.join(EXAMPLES_DIR, 'data', 'leads.csv');

/** The harness stops a run after this long; the workflows' own limits (below) come first. */
const RUN_TIMEOUT_MS = 10 * 60 * 1000;
/** Wait for Batch's Time Limit and Bulk Import's Queue Wait Limit in the soaked workflows (minutes). */
const WORKFLOW_TIME_LIMIT_MINUTES = 5;
/** After n8n ends, Marketo goes on importing the batches it holds; the ledger is read once they are done. */
const DRAIN_LIMIT_MS = 2 * 60 * 1000;

const CREDENTIAL_ID = 'soakSimulatorCr1';
const CREDENTIAL_NAME = 'Marketo simulator (soak)';

interface Options {
	runs: number;
	seed: number;
	line: RuntimeLine;
}

export function parseArgs(argv: string[]): Options {
	const options: Options = { runs: 50, seed: 1, line: '2' };
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split('=', 2);
		const value = () => inline ?? argv[++i];
		if (flag === '--runs') options.runs = Number(value());
		else if (flag === '--seed') options.seed = Number(value());
		else if (flag === '--line') options.line = value() as RuntimeLine;
		else throw new Error(`Unknown argument ${argv[i]}: use --runs N, --seed S, --line 1|2`);
	}
	if (!Number.isInteger(options.runs) || options.runs < 1)
		throw new Error('--runs takes a whole number of at least 1');
	if (!Number.isInteger(options.seed) || options.seed < 0)
		throw new Error('--seed takes a whole number of at least 0');
	if (options.line !== '1' && options.line !== '2') throw new Error('--line takes 1 or 2');
	return options;
}

interface RunRecord {
	run: number;
	example: ExampleId;
	continueOnFail: boolean;
	faults: string[];
	plan: RunPlan;
	seconds: number;
	exitCode: number;
	/** False when the simulator still held unfinished batches of the run DRAIN_LIMIT_MS after n8n ended. */
	queueDrained: boolean;
	apiCalls: number;
	/** How often each fault answered (the simulator's call log labels). */
	faultsFired: Record<string, number>;
	account: RunAccount;
}

/** What every run shares: the n8n user folder, the simulator's port, the imported workflows. */
interface SoakContext {
	instance: N8nInstance;
	port: number;
	largeFile: string;
	workflows: Map<string, Workflow>;
	/** The simulator of the run in progress, so an interruption can close it. */
	simulator?: RunningSimulator;
	/** The next run's first batch id: Marketo never hands out an id twice (the nodes rely on it). */
	nextBatchId: number;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`[soak] ${line}\n`);

function nodeOfType(workflow: Workflow, suffix: string): WorkflowNode {
	const node = workflow.nodes.find((candidate) => candidate.type.endsWith(suffix));
	if (!node) throw new Error(`workflow ${workflow.id} has no ${suffix} node`);
	return node;
}

const importNodeOf = (workflow: Workflow) => nodeOfType(workflow, '.marketoBulkImport');
const waitNodeOf = (workflow: Workflow) => nodeOfType(workflow, '.marketoWaitForBatch');

/** A 16-character id, as n8n 1.x requires. */
function workflowId(example: ExampleId, continueOnFail: boolean): string {
	return `soak${example}${continueOnFail ? 'Continue' : 'StopOnEr'}`.padEnd(16, '0');
}

/**
 * The example as a user imports it, adapted for short runs: example 03 split into small parts,
 * the time and queue limits short enough that a stuck run ends with the nodes' own error (which
 * names the batches) before the harness gives up, and On Error of the import node per the plan.
 */
function soakWorkflow(context: SoakContext, example: ExampleId, continueOnFail: boolean): Workflow {
	const credential: StoredCredential = {
		id: CREDENTIAL_ID,
		name: CREDENTIAL_NAME,
		type: 'marketoApi',
		data: {},
	};
	const filePath = example === '01' ? LEADS_CSV : example === '03' ? context.largeFile : undefined;
	const workflow = exampleWorkflow(EXAMPLE_FILES[example], {
		id: workflowId(example, continueOnFail),
		credential,
		filePath,
	});
	workflow.name = `Soak ${example} (${continueOnFail ? 'continue on fail' : 'stop on error'})`;
	const importNode = importNodeOf(workflow);
	importNode.parameters.options = {
		...(importNode.parameters.options as Record<string, unknown> | undefined),
		queueWaitMinutes: WORKFLOW_TIME_LIMIT_MINUTES,
		...(example === '03' ? { partSizeMb: LARGE_FILE_PART_SIZE_MB } : {}),
	};
	if (continueOnFail) importNode.onError = 'continueRegularOutput';
	waitNodeOf(workflow).parameters.timeLimit = WORKFLOW_TIME_LIMIT_MINUTES;
	return workflow;
}

/** Imports each workflow variant the first time a run needs it. */
async function workflowFor(context: SoakContext, plan: RunPlan): Promise<Workflow> {
	const id = workflowId(plan.example, plan.continueOnFail);
	let workflow = context.workflows.get(id);
	if (!workflow) {
		workflow = soakWorkflow(context, plan.example, plan.continueOnFail);
		await context.instance.importWorkflow(workflow);
		context.workflows.set(id, workflow);
	}
	return workflow;
}

/** The data rows of a delimited file, numbered as the nodes number them (blank lines are no rows). */
function fileRows(file: string): SourceRow[] {
	const [, ...rows] = parseDelimited(fs.readFileSync(file, 'utf8'), ',');
	return rows
		.filter((cells) => !isBlankRow(cells))
		.map((cells, index) => ({ rowNumber: index + 1, cells }));
}

/**
 * Example 02's rows: the items its Code node returns (run here on its own, so the input is
 * known even when n8n fails), one row per item. Its import node (version 2, Columns: Map
 * Automatically) writes the items' fields that are Marketo fields, all of example 02's, in the
 * order they first appear; a version 1 node would write its comma-separated Columns.
 */
function itemRows(workflow: Workflow): SourceRow[] {
	const code = String(nodeOfType(workflow, '.code').parameters.jsCode);
	const items = vm.runInNewContext(
		`(function () {\n${code}\n})()`,
		{},
		{ timeout: 1000 },
	) as Array<{ json: Record<string, unknown> }>;
	const listed = importNodeOf(workflow).parameters.columns;
	const columns =
		typeof listed === 'string' && listed.trim() !== ''
			? listed
					.split(',')
					.map((column) => column.trim())
					.filter(Boolean)
			: [...new Set(items.flatMap((item) => Object.keys(item.json)))];
	return items.map((item, index) => ({
		rowNumber: index + 1,
		cells: columns.map((column) =>
			item.json[column] === undefined || item.json[column] === null
				? ''
				: String(item.json[column]),
		),
	}));
}

async function sourceRowsFor(
	context: SoakContext,
	plan: RunPlan,
	workflow: Workflow,
): Promise<SourceRow[]> {
	if (plan.example === '01') return fileRows(LEADS_CSV);
	if (plan.example === '02') return itemRows(workflow);
	await generateLeadsCsv(context.largeFile, plan.largeFile);
	return fileRows(context.largeFile);
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
	const workflow = await workflowFor(context, plan);
	const sourceRows = await sourceRowsFor(context, plan, workflow);
	// Every run gets a fresh simulator on the same port, so the imported workflows stay valid.
	const simulator = await startSimulator(simulatorOptions(plan, context.port, context.nextBatchId));
	context.simulator = simulator;
	try {
		// A fresh credential: no token from the previous run's simulator, so the only token
		// trouble a run meets is the one its plan draws.
		await context.instance.importCredentials([
			simulatorCredential(simulator, CREDENTIAL_ID, { name: CREDENTIAL_NAME }),
		]);
		const stopFaults = directFaults(simulator.state, plan);
		let result: ExecuteResult;
		let harnessError: string | undefined;
		try {
			result = await context.instance.execute(workflow.id, { timeoutMs: RUN_TIMEOUT_MS });
		} catch (error) {
			harnessError = (error instanceof Error ? error.message : String(error)).split('\n')[0];
			result = { code: 1, stdout: '', stderr: harnessError, run: undefined };
		} finally {
			stopFaults();
		}
		const queueDrained = await drainQueue(simulator);
		context.nextBatchId = Math.max(
			context.nextBatchId,
			...simulator.state.queue.map((job) => job.batchId + 1),
		);
		const account = accountRun({
			sourceRows,
			ledger: simulator.state.jobLedger(),
			concurrentDuplicates: simulator.state.concurrentDuplicates(),
			importNode: importNodeOf(workflow).name,
			waitNode: waitNodeOf(workflow).name,
			run: result.run,
			exitCode: result.code,
			harnessError,
		});
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
		};
	} finally {
		context.simulator = undefined;
		await simulator.close();
	}
}

function runLabel(record: Pick<RunRecord, 'run' | 'example' | 'continueOnFail'>): string {
	return `run ${record.run} (example ${record.example}, ${record.continueOnFail ? 'continue on fail' : 'stop on error'})`;
}

function progressLine(record: RunRecord, runs: number): string {
	const a = record.account;
	const placed = [
		`${a.imported} imported`,
		a.failedReported > 0 ? `${a.failedReported} failed (on Failed Rows)` : '',
		a.failedNamedInError > 0 ? `${a.failedNamedInError} failed (batch named in the error)` : '',
		a.pendingNamedInError > 0 ? `${a.pendingNamedInError} in a named batch still importing` : '',
		a.notSubmittedNamedInError > 0 ? `${a.notSubmittedNamedInError} named not submitted` : '',
		a.uncertainNamedInError > 0
			? `${a.uncertainNamedInError} named "may or may not be in Marketo"`
			: '',
		`${a.lost} lost`,
	].filter(Boolean);
	const error = a.errorVerdict
		? `; error at "${a.errors[0].where}"${a.errorVerdict.namedWhatWasSubmitted ? ', named what was submitted' : `, did NOT name what was submitted (${a.errorVerdict.why.join('; ')})`}`
		: '';
	const twice =
		a.importedTwiceAtOnce + a.importedTwiceOneAfterTheOther > 0
			? `; imported twice: ${a.importedTwiceAtOnce} at once, ${a.importedTwiceOneAfterTheOther} one after the other`
			: '';
	return `${runLabel(record)} ${record.run}/${runs} in ${record.seconds} s: ${a.rows} rows: ${placed.join(', ')}${twice}${error}`;
}

interface Totals {
	runs: number;
	rows: number;
	imported: number;
	failedReported: number;
	failedNamedInError: number;
	pendingNamedInError: number;
	notSubmittedNamedInError: number;
	uncertainNamedInError: number;
	rowsLost: number;
	rowsImportedByTwoBatchesAtOnce: number;
	rowsImportedTwiceOneAfterTheOther: number;
	runsWithAnError: number;
	errorsThatDidNotNameWhatWasSubmitted: number;
	unplacedBatchRows: number;
	runsWhoseQueueDidNotDrain: number;
}

function totalsOf(records: RunRecord[]): Totals {
	const sum = (pick: (account: RunAccount) => number) =>
		records.reduce((total, record) => total + pick(record.account), 0);
	return {
		runs: records.length,
		rows: sum((a) => a.rows),
		imported: sum((a) => a.imported),
		failedReported: sum((a) => a.failedReported),
		failedNamedInError: sum((a) => a.failedNamedInError),
		pendingNamedInError: sum((a) => a.pendingNamedInError),
		notSubmittedNamedInError: sum((a) => a.notSubmittedNamedInError),
		uncertainNamedInError: sum((a) => a.uncertainNamedInError),
		rowsLost: sum((a) => a.lost),
		rowsImportedByTwoBatchesAtOnce: sum((a) => a.importedTwiceAtOnce),
		rowsImportedTwiceOneAfterTheOther: sum((a) => a.importedTwiceOneAfterTheOther),
		runsWithAnError: records.filter((record) => record.account.errorVerdict).length,
		errorsThatDidNotNameWhatWasSubmitted: records.filter(
			(record) => record.account.errorVerdict?.namedWhatWasSubmitted === false,
		).length,
		unplacedBatchRows: sum((a) => a.unplacedBatchRows),
		runsWhoseQueueDidNotDrain: records.filter((record) => !record.queueDrained).length,
	};
}

/** Why the soak fails; empty when it passes. */
function failuresOf(totals: Totals, interrupted: boolean): string[] {
	const failures: string[] = [];
	if (totals.rowsLost > 0) failures.push(`${totals.rowsLost} rows lost`);
	if (totals.rowsImportedByTwoBatchesAtOnce > 0)
		failures.push(`${totals.rowsImportedByTwoBatchesAtOnce} rows imported by two batches at once`);
	if (totals.errorsThatDidNotNameWhatWasSubmitted > 0) {
		failures.push(
			`${totals.errorsThatDidNotNameWhatWasSubmitted} errors did not name what was submitted`,
		);
	}
	if (totals.unplacedBatchRows > 0)
		failures.push(`${totals.unplacedBatchRows} batch rows the harness could not place`);
	if (interrupted) failures.push('interrupted');
	return failures;
}

function printSummary(records: RunRecord[], totals: Totals, failures: string[]): void {
	say('');
	say(`runs: ${totals.runs}`);
	say(`rows: ${totals.rows}`);
	say(
		`  imported ${totals.imported}, failed and on Failed Rows ${totals.failedReported}, failed in a batch an error names ` +
			`${totals.failedNamedInError}, in a named batch still importing ${totals.pendingNamedInError}, named not submitted ` +
			`${totals.notSubmittedNamedInError}, named "may or may not be in Marketo" ${totals.uncertainNamedInError}`,
	);
	say(`rows lost: ${totals.rowsLost}`);
	say(`rows imported by two batches at once: ${totals.rowsImportedByTwoBatchesAtOnce}`);
	say(
		`rows imported twice, one batch after the other: ${totals.rowsImportedTwiceOneAfterTheOther}`,
	);
	say(
		`runs that ended in an error, and whether each error named what was submitted: ${totals.runsWithAnError}`,
	);
	for (const record of records) {
		const verdict = record.account.errorVerdict;
		if (!verdict) continue;
		const first = record.account.errors[0];
		const named = !verdict.namedWhatWasSubmitted
			? `NO: ${verdict.why.join('; ')}`
			: verdict.couldNotTell.length > 0
				? `yes, saying what it could not tell: ${verdict.couldNotTell.join('; ')}`
				: `yes (${verdict.statement === 'implicit' ? 'nothing submitted, nothing output' : 'named'})`;
		say(
			`  ${runLabel(record)}: ${first.kind} at "${first.where}": ${first.message.slice(0, 160)} -> named what was submitted: ${named}`,
		);
	}
	for (const record of records) {
		for (const lost of record.account.lostRows.slice(0, 5))
			say(`  lost: ${runLabel(record)} row ${lost.rowNumber}: ${lost.why}`);
		if (record.account.lostRows.length > 5)
			say(`  lost: ${runLabel(record)}: ... and ${record.account.lostRows.length - 5} more rows`);
	}
	say(`results: ${path.relative(process.cwd(), RESULTS_FILE)}`);
	say(`soak: ${failures.length === 0 ? 'PASS' : `FAIL (${failures.join(', ')})`}`);
}

async function main(): Promise<number> {
	const options = parseArgs(process.argv.slice(2));
	const startedAt = new Date();
	const plans = Array.from({ length: options.runs }, (_, index) =>
		planRun(options.seed, index + 1),
	);
	const { version } = runtime.RUNTIME_LINES[options.line];
	progress(`${options.runs} runs, seed ${options.seed}, n8n ${version} (line ${options.line})`);

	let context: SoakContext | undefined;
	let interrupted = false;
	const cleanUp = async () => {
		runtime.killAllChildren();
		const simulator = context?.simulator;
		if (simulator) await simulator.close();
		context?.instance.remove();
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
		const instance = N8nInstance.create({
			line: options.line,
			folderPrefix: `n8n-soak-line${options.line}-`,
		});
		context = {
			instance,
			port: await runtime.findFreePort(),
			largeFile: instance.dataFile('soak-large-leads.csv'),
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
		n8n: { line: options.line, version },
		seed: options.seed,
		runsRequested: options.runs,
		totals,
		pass: failures.length === 0,
		failures,
		runs: records,
	};
	fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
	fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
	printSummary(records, totals, failures);
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
