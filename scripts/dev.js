#!/usr/bin/env node
'use strict';
/**
 * `npm run dev`: n8n's editor on http://localhost:5678 with the package installed as a
 * community node, a "Marketo simulator (local)" credential and the example workflows
 * imported, against the local Marketo simulator. Ctrl+C (or SIGTERM) stops n8n and the
 * simulator. The n8n data lives in .cache/dev-n8n (delete it to start over).
 *
 * Options: --port <n8n port, default 5678>  --line <1|2, default 2>  --fresh (new user folder)
 *          --queue: n8n in queue mode instead (scripts/n8n-queue.js): Redis, PostgreSQL, the
 *          main process on --port and two workers, all throw-away (nothing kept after Ctrl+C);
 *          examples 4-6 (webhook, schedule, long wait) are imported too.
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
/** Examples 7 and 8 with the file each reads (imported beside examples 1-3). */
const FILE_EXAMPLES = [
	['07-webinar-attendees-and-no-shows.json', 'webinar-registrants.csv'],
	['08-validate-before-import.json', 'leads.csv'],
];
/** The examples that need a webhook or a schedule (imported by --queue). */
const QUEUE_EXAMPLE_FILES = [
	'04-webhook-csv-upload.json',
	'05-scheduled-spreadsheet.json',
	'06-long-import-frees-the-worker.json',
];

function option(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : process.argv[index + 1];
}

function say(text = '') {
	process.stdout.write(`${text}\n`);
}

/**
 * `npm run dev -- --queue`: the same editor, but the executions run on two workers taking them
 * from Redis, with PostgreSQL and binary data in the database. Everything lives in one
 * `.cache/queue-stack/dev-...` folder that Ctrl+C deletes.
 */
async function mainQueue() {
	const port = Number(option('port', '5678'));
	const line = option('line', '2');
	const { createQueueN8n, writeSpreadsheet } = require('./n8n-queue');
	runtime.ensureRuntime(line);
	const tarball = runtime.buildAndPack();
	const { startSimulator } = loadSimulator();
	const simulator = await startSimulator({ port: SIMULATOR_PORT, rowsPerSecond: 200 });
	let cluster;
	let credential;
	let stopping = false;
	const stop = async (signal, code = 0) => {
		if (stopping) return;
		stopping = true;
		say(`\n${signal}: stopping n8n (main and workers), Redis, PostgreSQL and the simulator...`);
		await cluster?.stop();
		await simulator.close();
		say('Stopped.');
		process.exit(code);
	};
	process.on('SIGINT', () => void stop('SIGINT'));
	process.on('SIGTERM', () => void stop('SIGTERM'));
	try {
		cluster = await createQueueN8n({
			line,
			tarball,
			name: 'dev',
			mainPort: port,
			owner: DEV_OWNER,
		});
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
		credential = simulatorCredential(simulator);
		await cluster.importCredentials([credential]);
		// The files the examples read, in the folder every process of the cluster shares.
		const { dataDir } = cluster;
		const leadsCsv = path.join(dataDir, 'leads.csv');
		fs.copyFileSync(path.join(examples.EXAMPLES_DIR, 'data', 'leads.csv'), leadsCsv);
		const largeFile = path.join(dataDir, 'large-leads.csv');
		await require('./generate-leads').generateLeadsCsv(largeFile, {
			rows: 3000,
			failEvery: 1000,
			warnEvery: 1000,
			addressLength: 4000,
		});
		const [header, ...rows] = fs.readFileSync(leadsCsv, 'utf8').trimEnd().split('\n');
		const columns = header.split(',');
		const sheetRows = rows.map((row) =>
			Object.fromEntries(
				row
					.split(',')
					.map((cell, i) => [columns[i], cell])
					.filter(([, cell]) => cell !== ''),
			),
		);
		writeSpreadsheet(cluster.runtime, sheetRows, path.join(dataDir, 'leads.xlsx'), 'Leads');
		for (const file of [...examples.EXAMPLE_FILES, ...QUEUE_EXAMPLE_FILES]) {
			const filePath = file.startsWith('03')
				? largeFile
				: file.startsWith('05')
					? undefined
					: leadsCsv;
			const workflow = examples.exampleWorkflow(file, { credential, filePath });
			for (const node of workflow.nodes) {
				if (node.name === 'Read spreadsheet')
					node.parameters.fileSelector = path.join(dataDir, 'leads.xlsx');
				if (node.name === 'Write failed rows')
					node.parameters.fileName = path.join(dataDir, 'failed-leads.xlsx');
			}
			await cluster.importWorkflow(workflow);
		}
		await cluster.start({ readyTimeoutMs: 300000 });
		await cluster.signIn();
		await cluster.activate('marketoExample04');
		await cluster.activate('marketoExample06');
	} catch (error) {
		say(`dev --queue failed: ${error.message}`);
		await stop('error', 1);
		return;
	}
	for (const process_ of [cluster.main, ...cluster.workers]) {
		process_.handle.exited.then(() => {
			if (!stopping) {
				say(`${process_.name} exited; stopping everything.`);
				void stop('exit', 1);
			}
		});
	}

	say('');
	say(
		`n8n ${cluster.runtime.version} in queue mode: ${cluster.main.url} (main) and ${cluster.workers.length} workers`,
	);
	say(`  Log in (LOCAL ONLY account): ${DEV_OWNER.email} / ${DEV_OWNER.password}`);
	say(
		`  Redis 127.0.0.1:${cluster.stack.redis.port}, PostgreSQL 127.0.0.1:${cluster.stack.postgres.port} (user postgres), binary data in the database`,
	);
	say(`  Credential "${credential.name}" -> Marketo simulator at ${simulator.restUrl}`);
	say(
		'  Workflows: examples 1-6. Active: 4 and 6 (webhooks); activate 5 to run it on its schedule.',
	);
	say(`    curl -F "data=@examples/data/leads.csv" ${cluster.main.url}/webhook/marketo-csv-upload`);
	say(`    curl -F "data=@examples/data/leads.csv" ${cluster.main.url}/webhook/marketo-csv-import`);
	say(`  Files the examples read and write: ${path.relative(process.cwd(), cluster.dataDir)}`);
	say(`  Logs: ${path.relative(process.cwd(), cluster.stack.dir)}/{main,worker-1,worker-2}.log`);
	say('  Nothing is kept: Ctrl+C stops everything and deletes that folder.');
}

async function main() {
	if (process.argv.includes('--queue')) return await mainQueue();
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
	fs.copyFileSync(
		path.join(examples.EXAMPLES_DIR, 'data', 'leads.csv'),
		path.join(dataDir, 'leads.csv'),
	);
	const largeFile = path.join(dataDir, 'large-leads.csv');
	for (const file of examples.EXAMPLE_FILES) {
		const filePath = file.startsWith('03') ? largeFile : path.join(dataDir, 'leads.csv');
		await runtime.importWorkflow(
			n8n,
			userFolder,
			examples.exampleWorkflow(file, { credential, filePath }),
		);
	}
	for (const [file, dataFile] of FILE_EXAMPLES) {
		const filePath = path.join(dataDir, dataFile);
		if (!fs.existsSync(filePath))
			fs.copyFileSync(path.join(examples.EXAMPLES_DIR, 'data', dataFile), filePath);
		await runtime.importWorkflow(
			n8n,
			userFolder,
			examples.exampleWorkflow(file, { credential, filePath }),
		);
	}
	if (!fs.existsSync(largeFile)) {
		// ~12 MB in few rows: two parts, quick for the simulator. See scripts/generate-leads.js.
		await require('./generate-leads').generateLeadsCsv(largeFile, {
			rows: 3000,
			failEvery: 1000,
			warnEvery: 1000,
			addressLength: 4000,
		});
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
	say(
		`  Log in (LOCAL ONLY account, created for this dev instance): ${DEV_OWNER.email} / ${DEV_OWNER.password}`,
	);
	say(`  Credential "${credential.name}" -> Marketo simulator at ${simulator.restUrl}`);
	say(
		'  Workflows: examples 1-3, 7 and 8 (they read data/leads.csv, a 12 MB file and data/webinar-registrants.csv in the dev user folder)',
	);
	say(`  n8n data: ${path.relative(process.cwd(), userFolder)} (run with --fresh to start over)`);
	say('Press Ctrl+C to stop.');
}

main().catch((error) => {
	process.stderr.write(`dev failed: ${error.message}\n`);
	runtime.killAllChildren();
	process.exit(1);
});
