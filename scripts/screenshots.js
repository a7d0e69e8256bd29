#!/usr/bin/env node
'use strict';
/**
 * `npm run screenshots`: the README pictures in docs/images/, taken in headless Chromium
 * from the real n8n editor (the set-up of `npm run dev`: the package installed as a community
 * node, a credential pointing at the local Marketo simulator, example 01 imported).
 *
 *   1. canvas-after-run.png      example 01 on the canvas after a run (item counts on the edges)
 *   2. bulk-import-panel.png     the Marketo Bulk Import node's panel (parameters)
 *   3. wait-for-batch-panel.png  the Marketo Wait for Batch node's panel (parameters, outputs)
 *   4. failed-rows-table.png     the run's Failed Rows output in table view (_marketoReason first)
 *
 * Everything it starts (simulator, n8n, Chromium) is on free loopback ports and is stopped
 * before it exits, also on failure or Ctrl+C. The n8n user folder is a fresh one under
 * .cache/ and is deleted at the end (--keep keeps it). The browser may only reach localhost.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (installed here with apt-get when running as
 * root, otherwise the command is printed) and the devDependency playwright-core, which drives
 * it and never downloads a browser.
 *
 * Options: --line <1|2, default 2>  --out <folder, default docs/images>  --keep (keep the n8n
 * user folder)  --skip-build (reuse dist/ as it is)
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const runtime = require('./n8n-runtime');
const examples = require('./examples');
const { loadSimulator, simulatorCredential } = require('./local-n8n');

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_CHROMIUM = 'apt-get update && apt-get install -y chromium';
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const VIEWPORT = { width: 1440, height: 900 };
/** The same local-only account as `npm run dev` (scripts/dev.js); this instance is throw-away. */
const OWNER = {
	email: 'dev@marketo-bulk.local',
	password: 'Local-Dev-0nly',
	firstName: 'Local',
	lastName: 'Developer',
};
const WORKFLOW_FILE = '01-csv-file-to-leads.json';

function option(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : process.argv[index + 1];
}

function say(text = '') {
	process.stdout.write(`[screenshots] ${text}\n`);
}

function seconds(sinceMs) {
	return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}

/** Debian's Chromium; installed with apt-get when missing and we are root, else the command is given. */
function ensureChromium() {
	if (fs.existsSync(CHROMIUM)) return;
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	if (!isRoot) {
		throw new Error(`${CHROMIUM} is missing. Install Debian's Chromium first:\n  sudo sh -c '${INSTALL_CHROMIUM}'`);
	}
	say(`${CHROMIUM} is missing: installing Debian's chromium package (${INSTALL_CHROMIUM}); this takes a minute or two`);
	const result = spawnSync('sh', ['-c', INSTALL_CHROMIUM], {
		stdio: 'inherit',
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
	});
	if (result.status !== 0 || !fs.existsSync(CHROMIUM)) {
		throw new Error(`installing Chromium failed; run it yourself as root:\n  ${INSTALL_CHROMIUM}`);
	}
}

/**
 * Simulator + n8n with the package, the simulator credential and example 01, owner set up.
 * Returns { url, workflowId, stop() }; stop() is safe to call more than once and never throws.
 */
async function startEnvironment({ line, userFolder, skipBuild, cleanups }) {
	const n8n = runtime.ensureRuntime(line);
	const tarball = runtime.buildAndPack({ skipBuild });
	fs.mkdirSync(userFolder, { recursive: true });
	try {
		runtime.installPackage(n8n, userFolder, tarball);
	} finally {
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}

	const { startSimulator } = loadSimulator();
	const simulator = await startSimulator({ rowsPerSecond: 200 });
	cleanups.push(['the simulator', () => simulator.close()]);

	const credential = simulatorCredential(simulator);
	await runtime.importCredentials(n8n, userFolder, [credential]);
	const dataDir = path.join(userFolder, 'data');
	fs.mkdirSync(dataDir, { recursive: true });
	const csv = path.join(dataDir, 'leads.csv');
	fs.copyFileSync(path.join(examples.EXAMPLES_DIR, 'data', 'leads.csv'), csv);
	const workflowId = await runtime.importWorkflow(
		n8n,
		userFolder,
		examples.exampleWorkflow(WORKFLOW_FILE, { credential, filePath: csv }),
	);

	const server = await runtime.startN8n(n8n, userFolder, { readyTimeoutMs: 300000 });
	cleanups.push(['n8n', () => server.stop()]);
	await runtime.signInOwner(server.url, OWNER);
	say(`n8n ${n8n.version} ready on ${server.url}, simulator on ${simulator.baseUrl}`);
	return { url: server.url, workflowId };
}

module.exports = { startEnvironment, ensureChromium, CHROMIUM, CHROMIUM_ARGS, VIEWPORT, OWNER };
