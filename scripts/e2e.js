#!/usr/bin/env node
'use strict';
/**
 * `npm run test:e2e [-- --line 1|2|both] [-- <jest args>]`
 *
 * Installs the n8n runtime(s) if missing, builds and packs the package once, then runs the
 * jest project "e2e" once per n8n line with N8N_E2E_LINE and N8N_E2E_TARBALL set. Each test
 * file installs the tarball into its own fresh n8n user folder. With line 1, the integration
 * tests also run on that runtime's own n8n-core and n8n-workflow (jest project
 * "integration-line1"): `npm test` runs them on the 2.x devDependencies only.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const runtime = require('./n8n-runtime');

function parseArguments(argv) {
	const options = { lines: ['2'], jestArgs: [] };
	for (let i = 0; i < argv.length; i++) {
		const argument = argv[i];
		if (argument === '--line' || argument.startsWith('--line=')) {
			const value = argument.includes('=') ? argument.split('=')[1] : argv[++i];
			if (!['1', '2', 'both'].includes(value))
				throw new Error(`--line takes 1, 2 or both, not "${value}"`);
			options.lines = value === 'both' ? ['2', '1'] : [value];
		} else {
			options.jestArgs.push(argument);
		}
	}
	return options;
}

/** The integration suite in-process on n8n 1.x's n8n-core (a connection reset looks different there). */
function integrationOnLine1(line1) {
	process.stderr.write(`\n[e2e] integration tests on n8n-core of n8n ${line1.version} (line 1)\n`);
	const started = Date.now();
	const jest = spawnSync(
		process.execPath,
		[
			require.resolve('jest/bin/jest'),
			'--selectProjects',
			'integration-line1',
			'--runInBand',
			// n8n-core 1.x leaves a handle open after the last test; the results are final by then.
			'--forceExit',
			'--json',
			`--outputFile=${path.join(runtime.REPO_ROOT, '.cache', 'test-results', 'integration-line1.json')}`,
		],
		{
			cwd: runtime.REPO_ROOT,
			stdio: 'inherit',
			env: { ...process.env, N8N_LINE1_NODE_MODULES: path.join(line1.dir, 'node_modules') },
		},
	);
	return {
		line: '1',
		version: `${line1.version} (integration tests)`,
		ok: jest.status === 0,
		seconds: (Date.now() - started) / 1000,
	};
}

function main() {
	const options = parseArguments(process.argv.slice(2));
	const started = Date.now();
	for (const line of options.lines) runtime.ensureRuntime(line);
	const tarball = runtime.buildAndPack();

	const results = [];
	fs.mkdirSync(path.join(runtime.REPO_ROOT, '.cache', 'test-results'), { recursive: true });
	if (options.lines.includes('1')) results.push(integrationOnLine1(runtime.ensureRuntime('1')));
	for (const line of options.lines) {
		const { version } = runtime.RUNTIME_LINES[line];
		process.stderr.write(`\n[e2e] n8n ${version} (line ${line})\n`);
		const lineStarted = Date.now();
		const jest = spawnSync(
			process.execPath,
			[
				require.resolve('jest/bin/jest'),
				'--selectProjects',
				'e2e',
				'--runInBand',
				// Read by scripts/sum-test-results.js for CI's closing line.
				'--json',
				`--outputFile=${path.join(runtime.REPO_ROOT, '.cache', 'test-results', `e2e-line${line}.json`)}`,
				...options.jestArgs,
			],
			{
				cwd: runtime.REPO_ROOT,
				stdio: 'inherit',
				env: { ...process.env, N8N_E2E_LINE: line, N8N_E2E_TARBALL: tarball },
			},
		);
		results.push({
			line,
			version,
			ok: jest.status === 0,
			seconds: (Date.now() - lineStarted) / 1000,
		});
	}
	fs.rmSync(path.dirname(tarball), { recursive: true, force: true });

	process.stderr.write('\n[e2e] summary\n');
	for (const result of results) {
		process.stderr.write(
			`  n8n ${result.version} (line ${result.line}): ${result.ok ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(0)} s\n`,
		);
	}
	process.stderr.write(`  total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
	return results.every((result) => result.ok) ? 0 : 1;
}

try {
	process.exitCode = main();
} catch (error) {
	process.stderr.write(`[e2e] ${error.message}\n`);
	process.exitCode = 1;
}
