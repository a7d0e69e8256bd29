'use strict';
/**
 * What the demo and `npm run dev` share: the Marketo simulator (TypeScript, loaded through
 * ts-node in this process), a fresh n8n user folder with the package installed, and a
 * credential pointing at the simulator.
 */
const fs = require('node:fs');
const path = require('node:path');

const runtime = require('./n8n-runtime');

/** Loads test/simulator through ts-node (transpile only: fast, no type check). */
function loadSimulator() {
	require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
	return require(path.join(runtime.REPO_ROOT, 'test', 'simulator'));
}

/** The credential n8n stores for the simulator; id in n8n's own 16-character format. */
function simulatorCredential(simulator, id = 'marketoSimulatr1') {
	return {
		id,
		name: 'Marketo simulator (local)',
		type: 'marketoApi',
		data: {
			restEndpoint: simulator.restUrl,
			identityEndpoint: simulator.identityUrl,
			clientId: simulator.clientId,
			clientSecret: simulator.clientSecret,
		},
	};
}

/**
 * Installs the runtime if missing, builds, packs and installs the package into `userFolder`
 * (a new temporary one unless given). Returns { runtime, userFolder }.
 */
function prepareN8n({ line = '2', userFolder } = {}) {
	const n8n = runtime.ensureRuntime(line);
	const tarball = runtime.buildAndPack();
	const folder = userFolder ?? runtime.createUserFolder('n8n-marketo-');
	fs.mkdirSync(folder, { recursive: true });
	runtime.installPackage(n8n, folder, tarball);
	fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	return { runtime: n8n, userFolder: folder };
}

module.exports = { loadSimulator, simulatorCredential, prepareN8n };
