#!/usr/bin/env node
'use strict';
/**
 * `npm run demo`: example 01 (a CSV file -> leads in a static list -> wait -> failed and
 * warning rows) run by a real n8n against the local Marketo simulator, with a readable
 * summary. Everything it starts is stopped before it exits.
 */
const fs = require('node:fs');
const path = require('node:path');

const runtime = require('./n8n-runtime');
const examples = require('./examples');
const { loadSimulator, prepareN8n, simulatorCredential } = require('./local-n8n');

const CSV_FILE = path.join(examples.EXAMPLES_DIR, 'data', 'leads.csv');

function say(text = '') {
	process.stdout.write(`${text}\n`);
}

function items(run, nodeName, output = 0) {
	return (runtime.nodeOutput(run, nodeName, output) ?? []).map((item) => item.json);
}

/** Pure: the lines of the summary, from n8n's run data and the simulator's call log. */
function summaryLines({ run, calls, seconds, sourceRows }) {
	const batches = items(run, 'Batch results');
	const failed = items(run, 'Failed rows');
	const warned = items(run, 'Warning rows');
	const imported = batches.reduce((sum, batch) => sum + Number(batch.rowsProcessed ?? 0), 0);
	const lines = [
		`Rows in the file: ${sourceRows}`,
		`Batches: ${batches.length}`,
		...batches.map(
			(batch) =>
				`  batch ${batch.batchId}: ${batch.status}, ${batch.rowsProcessed} imported, ` +
				`${batch.rowsFailed} failed, ${batch.rowsWithWarning} with warnings - "${batch.message}"`,
		),
		`Imported: ${imported} (of which ${warned.length} with a warning), failed: ${failed.length}`,
		'',
		`Failed rows (output "Failed Rows"):`,
		...failed.map(
			(row) =>
				`  row ${row._marketo.rowNumber ?? '?'} ${row.email || '(no email)'}: ${row._marketo.reason}`,
		),
		`Warning rows (output "Warning Rows"):`,
		...warned.map(
			(row) => `  row ${row._marketo.rowNumber ?? '?'} ${row.email}: ${row._marketo.reason}`,
		),
		'',
		`Marketo API calls: ${calls.length} (${countByRoute(calls)})`,
		`Time: ${seconds.toFixed(1)} s for the workflow run`,
	];
	return lines;
}

function countByRoute(calls) {
	const counts = new Map();
	for (const call of calls) counts.set(call.route, (counts.get(call.route) ?? 0) + 1);
	return [...counts].map(([route, count]) => `${route} ${count}`).join(', ');
}

async function main() {
	const started = Date.now();
	say(
		'Marketo Bulk Import demo: a real n8n, the package installed as a community node, a simulated Marketo.\n',
	);
	const { runtime: n8n, userFolder } = prepareN8n({ line: '2' });
	const { startSimulator } = loadSimulator();
	// 20 rows/s: long enough to watch the batch go Queued -> Importing -> Complete.
	const simulator = await startSimulator({ rowsPerSecond: 20 });
	try {
		const credential = simulatorCredential(simulator);
		await runtime.importCredentials(n8n, userFolder, [credential]);
		const workflow = examples.exampleWorkflow('01-csv-file-to-leads.json', {
			credential,
			filePath: CSV_FILE,
		});
		await runtime.importWorkflow(n8n, userFolder, workflow);

		say(
			`Running "${workflow.name}" in n8n ${n8n.version} on ${path.relative(process.cwd(), CSV_FILE)} ...`,
		);
		const runStarted = Date.now();
		const result = await runtime.executeWorkflow(n8n, userFolder, workflow.id);
		const seconds = (Date.now() - runStarted) / 1000;
		if (result.code !== 0 || !result.run || result.run.data.resultData.error) {
			const error = result.run?.data.resultData.error;
			say(`\nThe workflow failed: ${error ? error.message : 'no run data'}`);
			say((result.stdout + result.stderr).split('\n').slice(-20).join('\n'));
			return 1;
		}
		const sourceRows = fs.readFileSync(CSV_FILE, 'utf8').trimEnd().split('\n').length - 1;
		say('');
		for (const line of summaryLines({
			run: result.run,
			calls: simulator.state.calls,
			seconds,
			sourceRows,
		}))
			say(line);
		say(
			`Static list 2001 now has ${simulator.state.listMembers(2001).length} members in the simulator.`,
		);
		return 0;
	} finally {
		await simulator.close();
		runtime.killAllChildren();
		fs.rmSync(userFolder, { recursive: true, force: true });
		say(
			`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s; the simulator and n8n are stopped.`,
		);
	}
}

module.exports = { summaryLines };

if (require.main === module) {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		(error) => {
			process.stderr.write(`demo failed: ${error.message}\n`);
			process.exitCode = 1;
		},
	);
}
