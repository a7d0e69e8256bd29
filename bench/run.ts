/**
 * `npm run bench [-- --quick] [-- --only <substring>] [-- --runs <n>]`
 *
 * Runs every `bench/*.bench.ts` module in name order and prints exactly one line
 * per result on stdout:
 *   <name>: <value> (target <op> <value>) PASS|FAIL
 *   <name>: <value> (reported)
 * With `--runs n` the whole suite runs n times in a row (lines prefixed `[run k]`), then
 * one summary line per result gives the minimum, median and maximum over the runs, and
 * a target counts as met only when every run met it: the README quotes that spread, not
 * the best run.
 * Each module runs in a fresh child process (`--module`, internal): a module that held a
 * gigabyte before would otherwise leave its heap to the next one, and the simulator, which
 * runs inside the bench process, answered late during its garbage collections.
 * Progress goes to stderr. Results are written to bench/results/latest.json and a
 * timestamped copy. The exit code is non-zero when a target line says FAIL or a
 * bench module throws (the closing line says which), so a script or CI can rely on it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { BenchContext, BenchModule, BenchResult, BenchTarget } from './types';

interface RunOptions {
	quick: boolean;
	only?: string;
	runs: number;
	/** internal: run only this module file, in this process, and write its outcome to `outcomeFile` */
	module?: string;
	outcomeFile?: string;
}

export function parseArgs(argv: string[]): RunOptions {
	const options: RunOptions = { quick: false, runs: 1 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--quick') options.quick = true;
		else if (arg === '--module') options.module = argv[++i];
		else if (arg === '--outcome-file') options.outcomeFile = argv[++i];
		else if (arg === '--only') options.only = argv[++i];
		else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length);
		else if (arg === '--runs') options.runs = Number(argv[++i]);
		else if (arg.startsWith('--runs=')) options.runs = Number(arg.slice('--runs='.length));
		else
			throw new Error(`Unknown argument ${arg}: use --quick, --only <substring> and/or --runs <n>`);
	}
	if (options.only === '') throw new Error('--only needs a substring');
	if (!Number.isInteger(options.runs) || options.runs < 1)
		throw new Error('--runs needs a whole number of at least 1');
	if ((options.module === undefined) !== (options.outcomeFile === undefined)) {
		throw new Error(
			'--module and --outcome-file go together (the runner passes them to its child processes)',
		);
	}
	return options;
}

/** The arguments of the child process that runs one module (see runModuleInChild). */
export function childArgs(options: RunOptions, file: string, outcomeFile: string): string[] {
	return [
		'--module',
		file,
		'--outcome-file',
		outcomeFile,
		...(options.quick ? ['--quick'] : []),
		...(options.only !== undefined ? ['--only', options.only] : []),
	];
}

type RecordedResult = BenchResult & { module: string; pass: boolean | null; run: number };
type Crash = { module: string; error: string; run: number };

export interface ResultSpread {
	name: string;
	unit?: string;
	target?: BenchTarget;
	min: number;
	median: number;
	max: number;
	values: number[];
	/** every run met the target (null: reported only) */
	pass: boolean | null;
}

/** Pure: per result name (in first-seen order), the spread of its values over the runs. */
export function summarizeRuns(results: RecordedResult[]): ResultSpread[] {
	const byName = new Map<string, RecordedResult[]>();
	for (const result of results) {
		const list = byName.get(result.name);
		if (list) list.push(result);
		else byName.set(result.name, [result]);
	}
	return [...byName.values()].map((list) => {
		const values = list.map((result) => result.value);
		const sorted = [...values].sort((a, b) => a - b);
		const middle = Math.floor(sorted.length / 2);
		const median =
			sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
		const judged = list.filter((result) => result.pass !== null);
		return {
			name: list[0].name,
			unit: list[0].unit,
			target: list[0].reported ? undefined : list[0].target,
			min: sorted[0],
			median,
			max: sorted[sorted.length - 1],
			values,
			pass: judged.length === 0 ? null : judged.every((result) => result.pass === true),
		};
	});
}

export function formatSpread(spread: ResultSpread): string {
	const values = `min ${formatValue(spread.min)} / median ${formatValue(spread.median)} / max ${formatValue(spread.max)}`;
	if (!spread.target || spread.pass === null) return `${spread.name}: ${values} (reported)`;
	const verdict = spread.pass ? 'PASS in every run' : 'FAIL';
	return `${spread.name}: ${values} (target ${spread.target.op} ${spread.target.value}) ${verdict}`;
}

export function meetsTarget(value: number, target: BenchTarget): boolean {
	switch (target.op) {
		case '>=':
			return value >= target.value;
		case '<=':
			return value <= target.value;
		case '<':
			return value < target.value;
		case '>':
			return value > target.value;
	}
}

export function formatValue(value: number): string {
	if (Number.isInteger(value)) return String(value);
	return value.toFixed(Math.abs(value) >= 100 ? 1 : 3);
}

export function formatLine(result: BenchResult): string {
	const value = formatValue(result.value);
	if (!result.target || result.reported) return `${result.name}: ${value} (reported)`;
	const verdict = meetsTarget(result.value, result.target) ? 'PASS' : 'FAIL';
	return `${result.name}: ${value} (target ${result.target.op} ${result.target.value}) ${verdict}`;
}

function matches(text: string, only: string | undefined): boolean {
	return only === undefined || text.toLowerCase().includes(only.toLowerCase());
}

function benchFiles(benchDir: string): string[] {
	return fs
		.readdirSync(benchDir)
		.filter((file) => file.endsWith('.bench.ts'))
		.sort();
}

interface ModuleOutcome {
	results: BenchResult[];
	crash?: string;
}

/** Runs one module in this process (the child's side): its wanted results, or its crash. */
async function runModuleHere(
	options: RunOptions,
	file: string,
	benchDir: string,
	rootDir: string,
): Promise<ModuleOutcome> {
	const moduleName = file.replace(/\.bench\.ts$/, '');
	const wholeModule = matches(file, options.only);
	const wants = (name: string) => wholeModule || matches(name, options.only);
	const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `marketo-bench-${moduleName}-`));
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			fs.rmSync(tmpDir, { recursive: true, force: true });
			process.exit(130);
		});
	}
	const ctx: BenchContext = {
		quick: options.quick,
		tmpDir,
		rootDir,
		wants,
		log: (message) => process.stderr.write(`[${moduleName}] ${message}\n`),
	};
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const benchModule = require(path.join(benchDir, file)) as BenchModule;
		const results = await benchModule.run(ctx);
		return { results: results.filter((result) => wants(result.name)) };
	} catch (error) {
		return {
			results: [],
			crash: error instanceof Error ? (error.stack ?? error.message) : String(error),
		};
	} finally {
		fs.rmSync(tmpDir, { recursive: true, force: true });
	}
}

/** Runs one module in a fresh process (see the file comment) and reads back its outcome. */
async function runModuleInChild(
	options: RunOptions,
	file: string,
	benchDir: string,
	rootDir: string,
): Promise<ModuleOutcome> {
	const outcomeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-bench-outcome-'));
	const outcomeFile = path.join(outcomeDir, 'outcome.json');
	try {
		const code = await new Promise<number | null>((resolve, reject) => {
			const child = spawn(
				process.execPath,
				[
					'-r',
					'ts-node/register/transpile-only',
					path.join(benchDir, 'run.ts'),
					...childArgs(options, file, outcomeFile),
				],
				{ cwd: rootDir, stdio: ['ignore', 'inherit', 'inherit'] },
			);
			// Ctrl-C reaches the child through the terminal; a kill of the runner alone must not leave it behind.
			const stop = () => child.kill('SIGTERM');
			process.once('exit', stop);
			child.once('error', reject);
			child.once('exit', (exitCode) => {
				process.removeListener('exit', stop);
				resolve(exitCode);
			});
		});
		if (!fs.existsSync(outcomeFile))
			return {
				results: [],
				crash: `the bench process of ${file} ended (exit ${code}) without results`,
			};
		return JSON.parse(fs.readFileSync(outcomeFile, 'utf8')) as ModuleOutcome;
	} finally {
		fs.rmSync(outcomeDir, { recursive: true, force: true });
	}
}

/** One pass over every bench module, its results and crashes recorded under `run`. */
async function runModulesOnce(
	options: RunOptions,
	run: number,
	dirs: { benchDir: string; rootDir: string },
	results: RecordedResult[],
	crashes: Crash[],
): Promise<void> {
	const { benchDir, rootDir } = dirs;
	const prefix = options.runs > 1 ? `[run ${run}] ` : '';
	for (const file of benchFiles(benchDir)) {
		const moduleName = file.replace(/\.bench\.ts$/, '');
		const outcome = await runModuleInChild(options, file, benchDir, rootDir);
		for (const result of outcome.results) {
			process.stdout.write(prefix + formatLine(result) + '\n');
			const pass =
				result.target && !result.reported ? meetsTarget(result.value, result.target) : null;
			results.push({ ...result, module: moduleName, pass, run });
		}
		if (outcome.crash !== undefined) {
			process.stderr.write(`[${moduleName}] CRASHED: ${outcome.crash}\n`);
			crashes.push({ module: moduleName, error: outcome.crash, run });
		}
	}
}

async function main(): Promise<number> {
	const options = parseArgs(process.argv.slice(2));
	const benchDir = __dirname;
	const rootDir = path.resolve(benchDir, '..');
	if (options.module !== undefined && options.outcomeFile !== undefined) {
		const outcome = await runModuleHere(options, options.module, benchDir, rootDir);
		fs.writeFileSync(options.outcomeFile, JSON.stringify(outcome));
		// The module has stopped what it started; a stray handle must not keep the whole run waiting.
		process.exit(0);
	}
	const startedAt = new Date();
	const results: RecordedResult[] = [];
	const crashes: Crash[] = [];

	for (let run = 1; run <= options.runs; run++) {
		await runModulesOnce(options, run, { benchDir, rootDir }, results, crashes);
	}

	const report = {
		startedAt: startedAt.toISOString(),
		finishedAt: new Date().toISOString(),
		quick: options.quick,
		only: options.only ?? null,
		runs: options.runs,
		summary: summarizeRuns(results),
		machine: {
			node: process.version,
			platform: process.platform,
			arch: process.arch,
			cpus: os.cpus().length,
		},
		results,
		crashes,
	};
	const resultsDir = path.join(benchDir, 'results');
	fs.mkdirSync(resultsDir, { recursive: true });
	const json = JSON.stringify(report, null, 2) + '\n';
	fs.writeFileSync(path.join(resultsDir, 'latest.json'), json);
	fs.writeFileSync(
		path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
		json,
	);
	if (options.runs > 1)
		for (const spread of report.summary) process.stdout.write(formatSpread(spread) + '\n');
	const failed = results.filter((result) => result.pass === false);
	process.stdout.write(
		`bench: ${results.filter((result) => result.pass === true).length} targets met, ${failed.length} failed` +
			(crashes.length > 0 ? `, ${crashes.length} module(s) crashed` : '') +
			'\n',
	);
	return crashes.length > 0 || failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		(error: unknown) => {
			process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
			process.exitCode = 1;
		},
	);
}
