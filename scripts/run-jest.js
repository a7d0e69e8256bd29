// Runs one jest project and keeps its JSON report in .cache/test-results/, where
// scripts/sum-test-results.js reads it for CI's closing line. Extra arguments go to jest.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const [project, ...jestArgs] = process.argv.slice(2);
const resultsDir = path.join(__dirname, '..', '.cache', 'test-results');
fs.mkdirSync(resultsDir, { recursive: true });

const run = spawnSync(
	process.execPath,
	[
		require.resolve('jest/bin/jest'),
		'--selectProjects',
		project,
		'--json',
		`--outputFile=${path.join(resultsDir, `${project}.json`)}`,
		...jestArgs,
	],
	{ stdio: 'inherit' },
);
process.exit(run.status ?? 1);
