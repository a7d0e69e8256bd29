'use strict';
/**
 * Preloaded into the n8n process (`NODE_OPTIONS=--require <this file>`, see `fastPacingEnv` in
 * support.ts) so that the package's own waits run faster: Bulk Extract reads a job's status once
 * a minute of the package's clock, and a 14-window back-fill is 7 such minutes at Max Jobs in
 * Queue 2. Nothing in n8n or in the package changes: when n8n loads the installed package's
 * `nodes/shared/pacing.js`, this hands it a clock through `configurePacing`, the package's one
 * place for timing, as the integration tests do with their fake clocks.
 *
 * The clock runs MARKETO_E2E_CLOCK_SPEED times faster than real time and really sleeps (1/speed
 * of each wait): every wait still happens, in the same order, against a simulator that runs in
 * real time (its status refresh set short to match).
 */
const Module = require('node:module');
const path = require('node:path');

const speed = Number(process.env.MARKETO_E2E_CLOCK_SPEED);
const PACING_FILE = path.join('n8n-nodes-marketo-bulk', 'dist', 'nodes', 'shared', 'pacing.js');

function fastClock(realClock) {
	const origin = Date.now();
	return {
		now: () => origin + (Date.now() - origin) * speed,
		sleep: async (ms, signal, reason) => await realClock.sleep(ms / speed, signal, reason),
	};
}

if (Number.isFinite(speed) && speed > 1) {
	const compileJs = Module._extensions['.js'];
	Module._extensions['.js'] = function compileAndPace(module, filename) {
		compileJs.call(this, module, filename);
		if (!filename.endsWith(PACING_FILE)) return;
		// pacing.js has loaded clock.js (its one import) by now: the package's real clock.
		const { REAL_CLOCK } = require(path.join(path.dirname(filename), 'clock.js'));
		module.exports.configurePacing({ clock: fastClock(REAL_CLOCK) });
	};
}
