#!/usr/bin/env node
'use strict';
/**
 * `npm run test:queue [-- --line 1|2|both] [-- --tarball <packed package>] [-- --binary-data-mode <mode>] [-- <jest args>]`
 *
 * The end-to-end tests in n8n's queue mode (test/queue/): installs the n8n runtime(s) and
 * fetches Redis and PostgreSQL from Debian's packages if missing (scripts/n8n-runtime.js,
 * scripts/queue-stack.js), builds and packs the package once, then runs the jest project
 * "queue" once per n8n line (default: both). Each test file starts its own cluster (Redis,
 * PostgreSQL, an n8n main and two workers, the package installed in each) and stops it; the
 * summary at the end says whether anything was left running.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const runtime = require('./n8n-runtime');
const stack = require('./queue-stack');

function parseArguments(argv) {
	const options = {
		lines: ['2', '1'],
		jestArgs: [],
		tarball: undefined,
		binaryDataMode: undefined,
	};
	for (let i = 0; i < argv.length; i++) {
		const argument = argv[i];
		if (argument === '--line' || argument.startsWith('--line=')) {
			const value = argument.includes('=') ? argument.split('=')[1] : argv[++i];
			if (!['1', '2', 'both'].includes(value))
				throw new Error(`--line takes 1, 2 or both, not "${value}"`);
			options.lines = value === 'both' ? ['2', '1'] : [value];
		} else if (argument === '--binary-data-mode') {
			// Another N8N_DEFAULT_BINARY_DATA_MODE than database, to see what n8n does with it.
			options.binaryDataMode = argv[++i];
		} else if (argument === '--tarball') {
			// A package packed beforehand (e.g. from a clean checkout) instead of building this one.
			options.tarball = path.resolve(argv[++i]);
		} else {
			options.jestArgs.push(argument);
		}
	}
	return options;
}

/** Processes of this checkout's queue runs that are still alive (there should be none). */
function leftovers() {
	const found = [];
	for (const entry of fs.existsSync('/proc') ? fs.readdirSync('/proc') : []) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
			// PostgreSQL works in its data folder: under the run, or in the temporary folder (queue-stack.js).
			if (
				cwd.startsWith(stack.RUNS_DIR) ||
				cwd.startsWith(path.join(os.tmpdir(), 'marketo-bulk-pg-'))
			)
				found.push(
					`${entry} ${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}`,
				);
		} catch {
			// gone, or not ours to read
		}
	}
	return found;
}

function main() {
	const options = parseArguments(process.argv.slice(2));
	const started = Date.now();
	stack.ensureServers();
	for (const line of options.lines) runtime.ensureRuntime(line);
	const tarball = options.tarball ?? runtime.buildAndPack();

	const results = [];
	fs.mkdirSync(path.join(runtime.REPO_ROOT, '.cache', 'test-results'), { recursive: true });
	for (const line of options.lines) {
		const { version } = runtime.RUNTIME_LINES[line];
		process.stderr.write(`\n[test:queue] n8n ${version} (line ${line}) in queue mode\n`);
		const lineStarted = Date.now();
		const jest = spawnSync(
			process.execPath,
			[
				require.resolve('jest/bin/jest'),
				'--selectProjects',
				'queue',
				'--runInBand',
				// Read by scripts/sum-test-results.js for CI's closing line.
				'--json',
				`--outputFile=${path.join(runtime.REPO_ROOT, '.cache', 'test-results', `queue-line${line}.json`)}`,
				...options.jestArgs,
			],
			{
				cwd: runtime.REPO_ROOT,
				stdio: 'inherit',
				env: {
					...process.env,
					N8N_QUEUE_LINE: line,
					N8N_E2E_TARBALL: tarball,
					...(options.binaryDataMode ? { N8N_QUEUE_BINARY_DATA_MODE: options.binaryDataMode } : {}),
				},
			},
		);
		results.push({
			line,
			version,
			ok: jest.status === 0,
			seconds: (Date.now() - lineStarted) / 1000,
		});
	}
	if (!options.tarball) fs.rmSync(path.dirname(tarball), { recursive: true, force: true });

	const left = leftovers();
	process.stderr.write('\n[test:queue] summary\n');
	for (const result of results) {
		process.stderr.write(
			`  n8n ${result.version} (line ${result.line}): ${result.ok ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(0)} s\n`,
		);
	}
	process.stderr.write(
		`  left running: ${left.length === 0 ? 'nothing' : `\n    ${left.join('\n    ')}`}\n`,
	);
	process.stderr.write(`  total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
	return results.every((result) => result.ok) && left.length === 0 ? 0 : 1;
}

try {
	process.exitCode = main();
} catch (error) {
	process.stderr.write(`[test:queue] ${error.message}\n`);
	process.exitCode = 1;
}
