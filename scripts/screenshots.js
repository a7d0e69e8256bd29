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
 * The pictures show n8n 2.x (the 1.x editor names its panel parts differently).
 * Options: --out <folder, default docs/images>  --keep (keep the n8n user folder)
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const runtime = require('./n8n-runtime');
const examples = require('./examples');
const { loadSimulator, prepareN8n, simulatorCredential } = require('./local-n8n');

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
		throw new Error(
			`${CHROMIUM} is missing. Install Debian's Chromium first:\n  sudo sh -c '${INSTALL_CHROMIUM}'`,
		);
	}
	say(
		`${CHROMIUM} is missing: installing Debian's chromium package (${INSTALL_CHROMIUM}); this takes a minute or two`,
	);
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
 * Each thing started is pushed onto `cleanups` as [name, stop]. Returns { url, workflowId, nodeCount }.
 */
async function startEnvironment({ line, userFolder, cleanups }) {
	const { runtime: n8n } = prepareN8n({ line, userFolder });
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
	return {
		url: server.url,
		workflowId,
		nodeCount: examples.loadExample(WORKFLOW_FILE).nodes.length,
	};
}

/** Only the n8n and simulator on this machine: anything else (fonts, telemetry, CDNs) is refused at once. */
async function localOnly(context) {
	await context.route('**/*', (route) => {
		const { hostname } = new URL(route.request().url());
		if (hostname === 'localhost' || hostname === '127.0.0.1') return route.continue();
		return route.abort('blockedbyclient');
	});
}

/** Closes n8n's toasts; fails on an error toast (its text in the message). */
async function dismissToasts(page) {
	const errors = page.locator(
		'.el-notification--error, .el-notification:has(.el-notification__icon.--error)',
	);
	if ((await errors.count()) > 0) {
		throw new Error(
			`n8n shows an error: ${(await errors.first().innerText()).replace(/\s+/g, ' ').trim()}`,
		);
	}
	for (const button of await page.locator('.el-notification__closeBtn').all())
		await button.click().catch(() => {});
	await page
		.locator('.el-notification')
		.first()
		.waitFor({ state: 'detached', timeout: 10000 })
		.catch(() => {});
	if ((await page.locator('.el-notification:visible').count()) > 0)
		throw new Error('a toast does not go away');
}

/** The union of the elements' boxes, padded and kept inside `within`. */
function unionBox(boxes, padding, within) {
	const left = Math.max(within.x, Math.min(...boxes.map((b) => b.x)) - padding.left);
	const top = Math.max(within.y, Math.min(...boxes.map((b) => b.y)) - padding.top);
	const right = Math.min(
		within.x + within.width,
		Math.max(...boxes.map((b) => b.x + b.width)) + padding.right,
	);
	const bottom = Math.min(
		within.y + within.height,
		Math.max(...boxes.map((b) => b.y + b.height)) + padding.bottom,
	);
	return {
		x: Math.round(left),
		y: Math.round(top),
		width: Math.round(right - left),
		height: Math.round(bottom - top),
	};
}

async function signIn(page, url) {
	await page.goto(`${url}/signin`);
	await page.locator('input[name=emailOrLdapLoginId], input[name=email]').first().fill(OWNER.email);
	await page.locator('input[name=password]').fill(OWNER.password);
	await page.locator('[data-test-id=form-submit-button]').click();
	await page.waitForURL((address) => !address.pathname.startsWith('/signin'), { timeout: 60000 });
}

/** Clicks "Execute workflow" and waits until every node of the workflow shows success. */
async function runWorkflow(page, nodeCount) {
	await page.locator('[data-test-id=execute-workflow-button]').click();
	const handle = await page.waitForFunction(
		(expected) => {
			if (document.querySelector('.el-notification--error, [data-test-id=node-issues]'))
				return 'error';
			const done = document.querySelectorAll('[data-test-id=canvas-node-status-success]').length;
			return done >= expected ? 'success' : false;
		},
		nodeCount,
		{ timeout: 180000, polling: 500 },
	);
	if ((await handle.jsonValue()) !== 'success') {
		const text = await page
			.locator('.el-notification')
			.first()
			.innerText()
			.catch(() => '');
		throw new Error(`the workflow run failed in the editor ${text.replace(/\s+/g, ' ').trim()}`);
	}
}

function canvasNode(page, name) {
	return page.locator(`[data-test-id=canvas-node][data-node-name="${name}"]`);
}

/** Box of every canvas node, padded for the labels under them and the edge labels after the last ones. */
async function nodesBox(page, within) {
	const boxes = [];
	for (const node of await page.locator('[data-test-id=canvas-node]').all())
		boxes.push(await node.boundingBox());
	return unionBox(boxes, { left: 40, top: 40, right: 100, bottom: 60 }, within);
}

/** Zooms the canvas to fit; returns the region to capture (the canvas' button column is hidden then). */
async function canvasRegion(page) {
	await page.locator('[data-test-id=zoom-to-fit]').click();
	const canvas = await page.locator('[data-test-id=canvas-wrapper]').boundingBox();
	await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + 20);
	await page.waitForTimeout(700);
	return await nodesBox(page, canvas);
}

/** Styles applied only while a picture is taken: overlays that would cover or clutter it. */
const HIDE_CANVAS_BUTTONS =
	'[data-test-id=canvas-wrapper] [class*=_nodeButtonsWrapper_] { visibility: hidden !important; }';
const HIDE_NEIGHBOUR_NODES = '[data-test-id=floating-nodes] { visibility: hidden !important; }';

/** Opens a node's panel (NDV) from the canvas. */
async function openNode(page, name) {
	await canvasNode(page, name).dblclick();
	await page.locator('[data-test-id=ndv]').waitFor();
	await page.locator('[data-test-id=node-parameters]').waitFor();
}

async function closeNode(page) {
	await page.keyboard.press('Escape');
	await page.locator('[data-test-id=node-parameters]').waitFor({ state: 'detached' });
}

/** Table / Schema / JSON in the input or output pane of the open panel. */
async function displayMode(page, pane, mode) {
	const panel = page.locator(
		pane === 'input' ? '[data-test-id=ndv-input-panel]' : '[data-test-id=output-panel]',
	);
	await panel
		.locator('[data-test-id=ndv-run-data-display-mode]')
		.getByText(mode, { exact: true })
		.click();
}

/**
 * The box of the grip above the parameters pane (the topmost drag button in the panel;
 * table column headers have drag buttons too).
 */
async function parametersHandle(page) {
	const boxes = [];
	for (const element of await page.locator('[data-test-id=ndv] [class*=_dragButton_]').all()) {
		const box = await element.boundingBox();
		if (box && box.width > 0) boxes.push(box);
	}
	if (boxes.length === 0) throw new Error('the node panel has no grip above its parameters');
	return boxes.sort((a, b) => a.y - b.y)[0];
}

/** The open panel: its input, parameters and output panes (the neighbour-node buttons hidden). */
async function panelBox(page) {
	const boxes = [
		await parametersHandle(page),
		await page.locator('[data-test-id=output-panel]').boundingBox(),
		await page.locator('[data-test-id=ndv-input-panel]').boundingBox(),
	];
	return unionBox(
		boxes.filter(Boolean),
		{ left: 1, top: 24, right: 1, bottom: 1 },
		{ x: 0, y: 0, ...VIEWPORT },
	);
}

/** Moves the middle (parameters) pane of the open panel `dx` pixels sideways. */
async function dragParameters(page, dx) {
	const box = await parametersHandle(page);
	const x = box.x + box.width / 2;
	const y = box.y + box.height / 2;
	await page.mouse.move(x, y);
	await page.mouse.down();
	for (let step = 1; step <= 10; step++) await page.mouse.move(x + (dx * step) / 10, y);
	await page.mouse.up();
}

/**
 * The four pictures, as { name: PNG buffer }. Written only once all four were taken, so a
 * failed run leaves the old pictures in place.
 */
async function takeScreenshots(browser, { url, workflowId, nodeCount }) {
	const context = await browser.newContext({
		viewport: VIEWPORT,
		deviceScaleFactor: 1,
		locale: 'en-US',
		timezoneId: 'UTC',
		colorScheme: 'light',
		reducedMotion: 'reduce',
	});
	await localOnly(context);
	const page = await context.newPage();
	page.setDefaultTimeout(60000);
	const shots = {};
	const settle = () => page.waitForTimeout(700);

	await signIn(page, url);
	await page.goto(`${url}/workflow/${workflowId}`);
	await page.locator('[data-test-id=execute-workflow-button]').waitFor();
	if (page.url().includes('/signin')) throw new Error('the editor asks for a login');
	await runWorkflow(page, nodeCount);
	await dismissToasts(page);

	// 1. The canvas after the run: zoomed to fit, cropped to the nodes, their notes and edge labels.
	shots['canvas-after-run.png'] = await page.screenshot({
		clip: await canvasRegion(page),
		style: HIDE_CANVAS_BUTTONS,
	});

	// 2. Marketo Bulk Import: its parameters between the file it read and the batch it queued.
	await openNode(page, 'Import leads');
	await displayMode(page, 'input', 'Table');
	await displayMode(page, 'output', 'Table');
	await settle();
	await dismissToasts(page);
	shots['bulk-import-panel.png'] = await page.screenshot({
		clip: await panelBox(page),
		style: HIDE_NEIGHBOUR_NODES,
	});
	await closeNode(page);

	// 3. Marketo Wait for Batch: its parameters and the batch summary on the Done output.
	await openNode(page, 'Wait for batches');
	await displayMode(page, 'input', 'Table');
	await displayMode(page, 'output', 'Schema');
	await page
		.locator('[data-test-id=output-panel] [data-test-id=branches]')
		.getByText(/^Done/)
		.click();
	await settle();
	await dismissToasts(page);
	shots['wait-for-batch-panel.png'] = await page.screenshot({
		clip: await panelBox(page),
		style: HIDE_NEIGHBOUR_NODES,
	});

	// 4. The Failed Rows output as a table, widened: _marketoReason is the first column.
	await page
		.locator('[data-test-id=output-panel] [data-test-id=branches]')
		.getByText(/^Failed Rows/)
		.click();
	await displayMode(page, 'output', 'Table');
	await dragParameters(page, -450);
	await settle();
	await dismissToasts(page);
	const output = await page.locator('[data-test-id=output-panel]').boundingBox();
	const table = await page.locator('[data-test-id=output-panel] table').first().boundingBox();
	const firstHeader = (
		await page.locator('[data-test-id=output-panel] table th').first().innerText()
	).trim();
	if (firstHeader !== '_marketoReason')
		throw new Error(`the Failed Rows table starts with "${firstHeader}", not _marketoReason`);
	shots['failed-rows-table.png'] = await page.screenshot({
		clip: {
			x: output.x,
			y: output.y,
			width: Math.min(output.width, VIEWPORT.width - output.x),
			height: Math.min(table.y + table.height + 16, output.y + output.height) - output.y,
		},
		style: HIDE_NEIGHBOUR_NODES,
	});
	await closeNode(page);
	await context.close();
	return shots;
}

async function main() {
	const started = Date.now();
	const outDir = path.resolve(option('out', path.join(runtime.REPO_ROOT, 'docs', 'images')));
	const keep = process.argv.includes('--keep');
	const userFolder = path.join(runtime.REPO_ROOT, '.cache', `screenshots-n8n-${process.pid}`);

	ensureChromium();
	let chromium;
	try {
		({ chromium } = require('playwright-core'));
	} catch {
		throw new Error('playwright-core is not installed: run npm install');
	}

	// Stopped in reverse order (browser, n8n, simulator), whatever happened.
	const cleanups = [];
	let cleaning;
	const cleanup = () =>
		(cleaning ??= (async () => {
			for (const [name, stop] of cleanups.reverse()) {
				try {
					await stop();
				} catch (error) {
					say(`stopping ${name} failed: ${error.message}`);
				}
			}
			runtime.killAllChildren();
			if (!keep) fs.rmSync(userFolder, { recursive: true, force: true });
		})());
	for (const signal of ['SIGINT', 'SIGTERM']) {
		process.on(signal, () => {
			say(`${signal}: stopping everything`);
			void cleanup().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
		});
	}

	fs.rmSync(userFolder, { recursive: true, force: true });
	try {
		const environment = await startEnvironment({ line: '2', userFolder, cleanups });
		say(`starting Chromium (${CHROMIUM})`);
		// Playwright gives every launch a new, empty profile (user data dir) and deletes it on close.
		const browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
		});
		cleanups.push(['Chromium', () => browser.close()]);
		const shotsStarted = Date.now();
		const shots = await takeScreenshots(browser, environment);
		fs.mkdirSync(outDir, { recursive: true });
		for (const [name, png] of Object.entries(shots)) {
			fs.writeFileSync(path.join(outDir, name), png);
			say(
				`wrote ${path.relative(process.cwd(), path.join(outDir, name))} (${Math.round(png.length / 1024)} KB)`,
			);
		}
		say(`browser part took ${seconds(shotsStarted)}`);
	} finally {
		await cleanup();
	}
	say(`done in ${seconds(started)}; n8n, the simulator and Chromium are stopped`);
}

module.exports = {
	startEnvironment,
	takeScreenshots,
	ensureChromium,
	CHROMIUM,
	CHROMIUM_ARGS,
	VIEWPORT,
	OWNER,
};

if (require.main === module) {
	main().catch((error) => {
		process.stderr.write(`screenshots failed: ${error.message}\n`);
		runtime.killAllChildren();
		process.exitCode = 1;
	});
}
