/**
 * `npm run bench [-- --quick] [-- --only <substring>]`
 *
 * Runs every `bench/*.bench.ts` module in name order and prints exactly one line
 * per result on stdout:
 *   <name>: <value> (target <op> <value>) PASS|FAIL
 *   <name>: <value> (reported)
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
}

export function parseArgs(argv: string[]): RunOptions {
	const options: RunOptions = { quick: false };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--quick') options.quick = true;
		else if (arg === '--only') options.only = argv[++i];
		else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length);
		else throw new Error(`Unknown argument ${arg}: use --quick and/or --only <substring>`);
	}
	if (options.only === '') throw new Error('--only needs a substring');
	return options;
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

async function main(): Promise<number> {
	const options = parseArgs(process.argv.slice(2));
	const benchDir = __dirname;
	const rootDir = path.resolve(benchDir, '..');
	const startedAt = new Date();
	const results: Array<BenchResult & { module: string; pass: boolean | null }> = [];
	const crashes: Array<{ module: string; error: string }> = [];
	const tmpDirs = new Set<string>();
	const cleanUp = () => {
		for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
		tmpDirs.clear();
	};
	process.on('SIGINT', () => {
		cleanUp();
		process.exit(130);
	});

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
				process.stdout.write(formatLine(result) + '\n');
				const pass = result.target && !result.reported ? meetsTarget(result.value, result.target) : null;
				results.push({ ...result, module: moduleName, pass });
			}
		} catch (error) {
			const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
			process.stderr.write(`[${moduleName}] CRASHED: ${message}\n`);
			crashes.push({ module: moduleName, error: message });
		} finally {
			fs.rmSync(tmpDir, { recursive: true, force: true });
			tmpDirs.delete(tmpDir);
		}
	}

	const report = {
		startedAt: startedAt.toISOString(),
		finishedAt: new Date().toISOString(),
		quick: options.quick,
		only: options.only ?? null,
		machine: { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length },
		results,
		crashes,
	};
	const resultsDir = path.join(benchDir, 'results');
	fs.mkdirSync(resultsDir, { recursive: true });
	const json = JSON.stringify(report, null, 2) + '\n';
	fs.writeFileSync(path.join(resultsDir, 'latest.json'), json);
	fs.writeFileSync(path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`), json);
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
