#!/usr/bin/env node
'use strict';
/**
 * `npm run scan`: the lint gate of n8n's community-package scanner, run here before a release.
 *
 * `npx @n8n/scan-community-package <name>` (what n8n runs before a package may be verified)
 * checks the npm provenance, downloads the source at the attested commit and the published
 * tarball, and lints both with ESLint:
 *   - the source:  package.json, and the .js, .ts and .json files under nodes/ and credentials/
 *   - the tarball: every .js file and package.json
 * with one flat config made of @n8n/eslint-plugin-community-nodes (its `recommended` set),
 * `no-console`, and eslint-plugin-n8n-nodes-base's community / credentials / nodes rule sets
 * (minus three rules it turns off for nodes and two for credentials), inline
 * `eslint-disable` comments ignored. An error fails the scan; warnings do not.
 *
 * This script runs those two legs on what a release would publish, without the network parts:
 *   1. a clean copy of the working tree as git sees it (tracked and untracked-not-ignored files,
 *      i.e. a fresh checkout: no dist/, no stray build output) is the "source";
 *   2. that copy is built and packed exactly as .github/workflows/publish.yml does
 *      (`npm run build`, `npm pack`), and the tarball's content is the "tarball".
 * The plugins must be the versions the scanner release pins (SCANNER below): the script stops
 * when node_modules holds others. When n8n releases a new scanner, update SCANNER from its
 * package.json and the devDependencies with it.
 *
 * A third leg, "node-cli", lints the same source copy (package.json and the .ts files under
 * nodes/ and credentials/) with the ESLint config of @n8n/node-cli, the one `n8n-node lint`
 * applies to a project made by `npm create @n8n/node` with n8n Cloud support on (its export
 * `config`; `configWithoutCloudSupport` is the one for packages that give Cloud up). That config
 * adds @eslint/js and typescript-eslint's recommended sets and import-x's, and uses its own
 * (newer) copy of the community-nodes plugin. Inline `eslint-disable` comments count there, as
 * they do for `n8n-node lint`, and an unused one is a warning. This leg passes only with 0 errors
 * and 0 warnings. @n8n/node-cli must be the version package.json pins (NODE_CLI below).
 *
 * Plain Node.js; uses only devDependencies (eslint, the two plugins, @typescript-eslint/parser,
 * @n8n/node-cli) and git, npm and tar on the PATH. Exit code 0 = all three legs pass.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');

/** The scanner release this script reproduces, and the versions of what it lints with. */
const SCANNER = {
	release: '@n8n/scan-community-package@0.32.0',
	pins: {
		eslint: '9.29.0',
		'@n8n/eslint-plugin-community-nodes': '0.29.0',
		'eslint-plugin-n8n-nodes-base': '^1.16.7',
		'@typescript-eslint/parser': '^8.35.0',
	},
};

/** The ESLint config of @n8n/node-cli the third leg lints with: the n8n Cloud one. */
const NODE_CLI = { package: '@n8n/node-cli', entry: '@n8n/node-cli/eslint', config: 'config' };

/**
 * The three legs: which files each lints, relative to the folder it lints, whether inline
 * `eslint-disable` comments count, and how many warnings pass (undefined = any).
 */
const LEGS = [
	{ name: 'source', patterns: ['package.json', '{nodes,credentials}/**/*.{js,ts,json}'] },
	{ name: 'tarball', patterns: ['**/*.js', 'package.json'] },
	{
		name: 'node-cli',
		patterns: ['package.json', '{nodes,credentials}/**/*.ts'],
		inlineConfig: true,
		maxWarnings: 0,
	},
];

/** Rules of eslint-plugin-n8n-nodes-base the scanner switches off, per file group, and why. */
const RULES_OFF = {
	credentials: {
		'n8n-nodes-base/cred-class-field-documentation-url-miscased':
			'a community credential links a full URL',
		'n8n-nodes-base/cred-class-field-type-options-password-missing':
			'credential-password-field (community plugin) covers it',
	},
	nodes: {
		'n8n-nodes-base/node-class-description-inputs-wrong-regular-node':
			'inputs may be NodeConnectionTypes values',
		'n8n-nodes-base/node-class-description-outputs-wrong':
			'outputs may be NodeConnectionTypes values',
		'n8n-nodes-base/node-param-type-options-max-value-present': 'an API may have a real maximum',
	},
};

function say(message) {
	process.stdout.write(`[scan] ${message}\n`);
}

// ---------------------------------------------------------------- versions

function installedVersion(packageName) {
	const manifest = path.join(REPO_ROOT, 'node_modules', ...packageName.split('/'), 'package.json');
	if (!fs.existsSync(manifest)) return undefined;
	return JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}

function versionParts(version) {
	return String(version)
		.replace(/^[\^~=v]+/, '')
		.split('-')[0]
		.split('.')
		.map((part) => Number(part) || 0);
}

/** Exact pins must match; `^x.y.z` accepts x.*.* from x.y.z on (all the scanner uses). */
function satisfies(version, pin) {
	if (!pin.startsWith('^')) return version === pin;
	const [major, minor, patch] = versionParts(version);
	const [wantMajor, wantMinor, wantPatch] = versionParts(pin);
	if (major !== wantMajor) return false;
	if (minor !== wantMinor) return minor > wantMinor;
	return patch >= wantPatch;
}

function checkVersions() {
	const wrong = [];
	for (const [name, pin] of Object.entries(SCANNER.pins)) {
		const version = installedVersion(name);
		if (!version || !satisfies(version, pin))
			wrong.push(`${name} is ${version ?? 'not installed'}, the scanner uses ${pin}`);
	}
	if (wrong.length > 0) {
		throw new Error(
			`node_modules does not hold what ${SCANNER.release} lints with:\n  ${wrong.join('\n  ')}\n` +
				'Install those versions (package.json devDependencies), then run npm run scan again.',
		);
	}
	say(
		`linting as ${SCANNER.release}: ${Object.keys(SCANNER.pins)
			.map((name) => `${name}@${installedVersion(name)}`)
			.join(', ')}`,
	);
	checkNodeCliVersion();
}

/** @n8n/node-cli in node_modules must be the exact version package.json pins. */
function checkNodeCliVersion() {
	const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
	const pin = manifest.devDependencies?.[NODE_CLI.package];
	const version = installedVersion(NODE_CLI.package);
	if (!pin || version !== pin) {
		const installed = version ?? 'not installed';
		throw new Error(
			`${NODE_CLI.package} is ${installed}, package.json pins ${pin ?? 'nothing'}.\n` +
				'Pin an exact version in devDependencies, run npm install, then npm run scan again.',
		);
	}
	say(`and as ${NODE_CLI.package}@${version} (its ESLint config \`${NODE_CLI.config}\`)`);
}

// ---------------------------------------------------------------- the ESLint config

async function scannerConfig() {
	const { defineConfig } = await import('eslint/config');
	const { n8nCommunityNodesPlugin } = await import('@n8n/eslint-plugin-community-nodes');
	const parserModule = await import('@typescript-eslint/parser');
	const nodesBaseModule = await import('eslint-plugin-n8n-nodes-base');
	const parser = parserModule.default ?? parserModule;
	const nodesBase = nodesBaseModule.default ?? nodesBaseModule;
	const off = (group) =>
		Object.fromEntries(Object.keys(RULES_OFF[group]).map((rule) => [rule, 'off']));

	return defineConfig(
		// n8n Cloud's profile: the rules a verified package must pass.
		n8nCommunityNodesPlugin.configs.recommended,
		{ rules: { 'no-console': 'error' } },
		// The older rule sets, registered once and applied by file group.
		{ plugins: { 'n8n-nodes-base': nodesBase } },
		{ files: ['package.json'], rules: { ...nodesBase.configs.community.rules } },
		{
			files: ['**/credentials/**/*.ts'],
			rules: { ...nodesBase.configs.credentials.rules, ...off('credentials') },
		},
		{ files: ['**/nodes/**/*.ts'], rules: { ...nodesBase.configs.nodes.rules, ...off('nodes') } },
		// JSON (package.json above all) and TypeScript are read by the TypeScript parser.
		{ files: ['**/*.json'], languageOptions: { parser } },
		{ files: ['**/*.ts'], languageOptions: { parser } },
	);
}

/** The third leg's config: @n8n/node-cli's, as its package exports it. */
async function nodeCliConfig() {
	const entry = await import(NODE_CLI.entry);
	const config = entry[NODE_CLI.config] ?? entry.default?.[NODE_CLI.config];
	if (!config) throw new Error(`${NODE_CLI.entry} exports no \`${NODE_CLI.config}\``);
	return config;
}

// ---------------------------------------------------------------- files

/** `**` any depth, `*` within a name, `{a,b}` alternatives; no match for names starting with a dot. */
function patternToRegExp(pattern) {
	let source = '';
	for (let i = 0; i < pattern.length; i++) {
		const char = pattern[i];
		if (pattern.startsWith('**/', i)) {
			source += '(?:[^/.][^/]*/)*';
			i += 2;
		} else if (char === '*') {
			source += '[^/]*';
		} else if (char === '{') {
			const end = pattern.indexOf('}', i);
			source += `(?:${pattern
				.slice(i + 1, end)
				.split(',')
				.map(escapeRegExp)
				.join('|')})`;
			i = end;
		} else {
			source += escapeRegExp(char);
		}
	}
	return new RegExp(`^${source}$`);
}

function escapeRegExp(text) {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Files under `dir` (relative, with /) matching any pattern; node_modules, dot-entries and lockfiles left out. */
function filesMatching(dir, patterns) {
	const matchers = patterns.map(patternToRegExp);
	const found = [];
	const walk = (relative) => {
		for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
			if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
			const child = relative ? `${relative}/${entry.name}` : entry.name;
			if (entry.isDirectory()) walk(child);
			else if (
				entry.isFile() &&
				!child.endsWith('package-lock.json') &&
				matchers.some((m) => m.test(child))
			)
				found.push(child);
		}
	};
	walk('');
	return found.sort();
}

// ---------------------------------------------------------------- source copy, build, pack

function run(command, args, options) {
	const result = spawnSync(command, args, { encoding: 'utf8', ...options });
	if (result.status !== 0) {
		throw new Error(
			`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
		);
	}
	return result.stdout;
}

/** The working tree as a fresh checkout would have it: tracked and untracked-not-ignored files. */
function copySource(destination) {
	const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
		cwd: REPO_ROOT,
	})
		.split('\0')
		.filter(Boolean);
	let copied = 0;
	for (const file of listed) {
		const from = path.join(REPO_ROOT, file);
		if (!fs.existsSync(from) || !fs.statSync(from).isFile()) continue; // deleted, not yet staged
		fs.mkdirSync(path.dirname(path.join(destination, file)), { recursive: true });
		fs.copyFileSync(from, path.join(destination, file));
		copied++;
	}
	// Build tools come from this repository's install; a clean CI checkout runs `npm ci` instead.
	fs.symlinkSync(
		path.join(REPO_ROOT, 'node_modules'),
		path.join(destination, 'node_modules'),
		'dir',
	);
	say(`copied ${copied} files of the working tree (as a fresh checkout)`);
}

/** Builds and packs the copy as publish.yml does; returns the folder holding the tarball's content. */
function buildAndUnpack(sourceDir, workDir) {
	run('npm', ['run', 'build', '--silent'], { cwd: sourceDir });
	const packed = JSON.parse(
		run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], {
			cwd: sourceDir,
		}),
	);
	const tarball = path.join(workDir, path.basename(packed[0].filename));
	const unpacked = path.join(workDir, 'package');
	fs.mkdirSync(unpacked);
	run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
	say(
		`built and packed ${path.basename(tarball)}: ${packed[0].entryCount} files, ${packed[0].size} bytes`,
	);
	return unpacked;
}

// ---------------------------------------------------------------- lint

async function lintLeg(leg, dir, config) {
	const { ESLint } = await import('eslint');
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: leg.inlineConfig === true,
		overrideConfigFile: true,
		overrideConfig: config,
	});
	const files = filesMatching(dir, leg.patterns);
	if (files.length === 0) {
		say(`${leg.name}: no files to lint`);
		return true;
	}
	const results = await eslint.lintFiles(files.map((file) => path.join(dir, file)));
	const errors = results.reduce((sum, result) => sum + result.errorCount, 0);
	const warnings = results.reduce((sum, result) => sum + result.warningCount, 0);
	if (errors > 0 || warnings > 0) {
		const formatter = await eslint.loadFormatter('stylish');
		const report = await formatter.format(results);
		process.stdout.write(report.split(`${dir}${path.sep}`).join(`${leg.name}:`));
	}
	const passed = errors === 0 && (leg.maxWarnings === undefined || warnings <= leg.maxWarnings);
	const limit = leg.maxWarnings === undefined ? '' : ` (at most ${leg.maxWarnings} warnings)`;
	const verdict = passed ? 'pass' : 'FAIL';
	say(
		`${leg.name}: ${files.length} files, ${errors} errors, ${warnings} warnings${limit} -> ${verdict}`,
	);
	return passed;
}

async function main() {
	const started = Date.now();
	checkVersions();
	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-bulk-scan-'));
	try {
		const sourceDir = path.join(workDir, 'source');
		copySource(sourceDir);
		const config = await scannerConfig();
		// The source is linted before the build, as the scanner sees the attested commit.
		const sourcePassed = await lintLeg(LEGS[0], sourceDir, config);
		const nodeCliPassed = await lintLeg(LEGS[2], sourceDir, await nodeCliConfig());
		const tarballDir = buildAndUnpack(sourceDir, workDir);
		const tarballPassed = await lintLeg(LEGS[1], tarballDir, config);
		const passed = sourcePassed && nodeCliPassed && tarballPassed;
		say(`${passed ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
		return passed ? 0 : 1;
	} finally {
		fs.rmSync(workDir, { recursive: true, force: true });
	}
}

if (require.main === module) {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		(error) => {
			process.stderr.write(`[scan] ${error.message}\n`);
			process.exitCode = 1;
		},
	);
}

module.exports = {
	SCANNER,
	NODE_CLI,
	LEGS,
	scannerConfig,
	nodeCliConfig,
	lintLeg,
	copySource,
	buildAndUnpack,
	filesMatching,
	satisfies,
};
