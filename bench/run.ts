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
 * Progress goes to stderr. Results are written to bench/results/latest.json and a
 * timestamped copy. The exit code is non-zero when a target line says FAIL or a
 * bench module throws (the closing line says which), so a script or CI can rely on it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { BenchContext, BenchModule, BenchResult, BenchTarget } from './types';

interface RunOptions {
	quick: boolean;
	only?: string;
	runs: number;
}

export function parseArgs(argv: string[]): RunOptions {
	const options: RunOptions = { quick: false, runs: 1 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--quick') options.quick = true;
		else if (arg === '--only') options.only = argv[++i];
		else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length);
		else if (arg === '--runs') options.runs = Number(argv[++i]);
		else if (arg.startsWith('--runs=')) options.runs = Number(arg.slice('--runs='.length));
		else throw new Error(`Unknown argument ${arg}: use --quick, --only <substring> and/or --runs <n>`);
	}
	if (options.only === '') throw new Error('--only needs a substring');
	if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs needs a whole number of at least 1');
	return options;
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
		const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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

/** One pass over every bench module, its results and crashes recorded under `run`. */
async function runModulesOnce(
	options: RunOptions,
	run: number,
	dirs: { benchDir: string; rootDir: string; tmpDirs: Set<string> },
	results: RecordedResult[],
	crashes: Crash[],
): Promise<void> {
	const { benchDir, rootDir, tmpDirs } = dirs;
	const prefix = options.runs > 1 ? `[run ${run}] ` : '';
	for (const file of benchFiles(benchDir)) {
		const moduleName = file.replace(/\.bench\.ts$/, '');
		const wholeModule = matches(file, options.only);
		const wants = (name: string) => wholeModule || matches(name, options.only);
		const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `marketo-bench-${moduleName}-`));
		tmpDirs.add(tmpDir);
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
			const moduleResults = await benchModule.run(ctx);
			for (const result of moduleResults) {
				if (!wants(result.name)) continue;
				process.stdout.write(prefix + formatLine(result) + '\n');
				const pass = result.target && !result.reported ? meetsTarget(result.value, result.target) : null;
				results.push({ ...result, module: moduleName, pass, run });
			}
		} catch (error) {
			const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
			process.stderr.write(`[${moduleName}] CRASHED: ${message}\n`);
			crashes.push({ module: moduleName, error: message, run });
		} finally {
			fs.rmSync(tmpDir, { recursive: true, force: true });
			tmpDirs.delete(tmpDir);
		}
	}
}

async function main(): Promise<number> {
	const options = parseArgs(process.argv.slice(2));
	const benchDir = __dirname;
	const rootDir = path.resolve(benchDir, '..');
	const startedAt = new Date();
	const results: RecordedResult[] = [];
	const crashes: Crash[] = [];
	const tmpDirs = new Set<string>();
	const cleanUp = () => {
		for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
		tmpDirs.clear();
	};
	process.on('SIGINT', () => {
		cleanUp();
		process.exit(130);
	});

	for (let run = 1; run <= options.runs; run++) {
		await runModulesOnce(options, run, { benchDir, rootDir, tmpDirs }, results, crashes);
	}

	const report = {
		startedAt: startedAt.toISOString(),
		finishedAt: new Date().toISOString(),
		quick: options.quick,
		only: options.only ?? null,
		runs: options.runs,
		summary: summarizeRuns(results),
		machine: { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length },
		results,
		crashes,
	};
	const resultsDir = path.join(benchDir, 'results');
	fs.mkdirSync(resultsDir, { recursive: true });
	const json = JSON.stringify(report, null, 2) + '\n';
	fs.writeFileSync(path.join(resultsDir, 'latest.json'), json);
	fs.writeFileSync(path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`), json);
	if (options.runs > 1) for (const spread of report.summary) process.stdout.write(formatSpread(spread) + '\n');
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
