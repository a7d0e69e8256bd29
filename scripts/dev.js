#!/usr/bin/env node
'use strict';
/**
 * `npm run dev`: n8n's editor on http://localhost:5678 with the package installed as a
 * community node, a "Marketo simulator (local)" credential and the example workflows
 * imported, against the local Marketo simulator. Ctrl+C (or SIGTERM) stops n8n and the
 * simulator. The n8n data lives in .cache/dev-n8n (delete it to start over).
 *
 * Options: --port <n8n port, default 5678>  --line <1|2, default 2>  --fresh (new user folder)
 */
const fs = require('node:fs');
const path = require('node:path');

const runtime = require('./n8n-runtime');
const examples = require('./examples');
const { loadSimulator, prepareN8n, simulatorCredential } = require('./local-n8n');

/** Local-only account for the editor; printed on start. Never use it on a reachable machine. */
const DEV_OWNER = {
	email: 'dev@marketo-bulk.local',
	password: 'Local-Dev-0nly',
	firstName: 'Local',
	lastName: 'Developer',
};
/** The simulator keeps a fixed port so the stored credential stays valid across restarts. */
const SIMULATOR_PORT = 8765;

function option(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : process.argv[index + 1];
}

function say(text = '') {
	process.stdout.write(`${text}\n`);
}

async function main() {
	const port = Number(option('port', '5678'));
	const line = option('line', '2');
	const userFolder = path.join(runtime.REPO_ROOT, '.cache', `dev-n8n-line${line}`);
	if (process.argv.includes('--fresh')) fs.rmSync(userFolder, { recursive: true, force: true });

	const { runtime: n8n } = prepareN8n({ line, userFolder });
	const { startSimulator } = loadSimulator();
	const simulator = await startSimulator({ port: SIMULATOR_PORT, rowsPerSecond: 200 });

	const credential = simulatorCredential(simulator);
	await runtime.importCredentials(n8n, userFolder, [credential]);
	// A copy of the lead fixture where the editor's Read/Write Files node may read it.
	const dataDir = path.join(userFolder, 'data');
	fs.mkdirSync(dataDir, { recursive: true });
	fs.copyFileSync(path.join(examples.EXAMPLES_DIR, 'data', 'leads.csv'), path.join(dataDir, 'leads.csv'));
	const largeFile = path.join(dataDir, 'large-leads.csv');
	for (const file of examples.EXAMPLE_FILES) {
		const filePath = file.startsWith('03') ? largeFile : path.join(dataDir, 'leads.csv');
		await runtime.importWorkflow(n8n, userFolder, examples.exampleWorkflow(file, { credential, filePath }));
	}
	if (!fs.existsSync(largeFile)) {
		// ~12 MB in few rows: two parts, quick for the simulator. See scripts/generate-leads.js.
		await require('./generate-leads').generateLeadsCsv(largeFile, { rows: 3000, failEvery: 1000, warnEvery: 1000, addressLength: 4000 });
	}

	const server = await runtime.startN8n(n8n, userFolder, { port, readyTimeoutMs: 300000 });
	const cookie = await runtime.signInOwner(server.url, DEV_OWNER);
	void cookie;

	let stopping = false;
	const stop = async (signal) => {
		if (stopping) return;
		stopping = true;
		say(`\n${signal}: stopping n8n and the simulator...`);
		await server.stop();
		await simulator.close();
		say('Stopped.');
		process.exit(0);
	};
	process.on('SIGINT', () => void stop('SIGINT'));
	process.on('SIGTERM', () => void stop('SIGTERM'));
	server.child.on('exit', (code) => {
		if (stopping) return;
		say(`n8n exited (${code}); stopping the simulator.`);
		void simulator.close().then(() => process.exit(1));
	});

	say('');
	say(`n8n ${n8n.version} is running: ${server.url}`);
	say(`  Log in (LOCAL ONLY account, created for this dev instance): ${DEV_OWNER.email} / ${DEV_OWNER.password}`);
	say(`  Credential "${credential.name}" -> Marketo simulator at ${simulator.restUrl}`);
	say('  Workflows: the three examples (01 reads data/leads.csv, 03 a 12 MB file, both in the dev user folder)');
	say(`  n8n data: ${path.relative(process.cwd(), userFolder)} (run with --fresh to start over)`);
	say('Press Ctrl+C to stop.');
}

main().catch((error) => {
	process.stderr.write(`dev failed: ${error.message}\n`);
	runtime.killAllChildren();
	process.exit(1);
});
