/**
 * The transport against the Marketo simulator over real HTTP, through the in-process harness:
 * token reuse and transparent refresh, and rate (606) and concurrency (615) storms that must
 * end in success. Retry waits are scaled down; the simulator's limits are lowered to match.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { runNode, simulatorCredentials } from '../harness';
import { configureRetryTiming, resetRetryTiming } from '../../nodes/shared/transport/retryPolicy';
import { configureThrottle, resetThrottle } from '../../nodes/shared/transport/throttle';
import { startSimulator, type RunningSimulator } from '../simulator';
import { probe } from '../unit/transport/transportProbe';

const DESCRIBE = '/rest/v1/leads/describe2.json';

async function describeCalls(credentials: ICredentialDataDecryptedObject, items = 1) {
	return await runNode({
		node: probe(),
		parameters: { call: 'request', path: DESCRIBE },
		input: Array.from({ length: items }, () => ({ json: {} })),
		credentials: { marketoApi: credentials },
	});
}

let sim: RunningSimulator | undefined;

afterEach(async () => {
	await sim?.close();
	sim = undefined;
	resetRetryTiming();
	resetThrottle();
});

it('gets one token and reuses it across calls and executions', async () => {
	sim = await startSimulator();
	const first = await describeCalls(simulatorCredentials(sim), 3);
	const stored = first.credentialUpdates.at(-1)!;
	const second = await describeCalls(stored, 2);

	expect(first.outputs[0]).toHaveLength(3);
	expect((first.outputs[0][0].json.result as unknown[]).length).toBe(1);
	expect(second.outputs[0]).toHaveLength(2);
	expect(sim.state.tokens).toHaveLength(1);
	expect(first.credentialUpdates).toHaveLength(1);
	expect(second.credentialUpdates).toHaveLength(0);
	const apiCalls = sim.state.calls.filter((call) => call.route !== 'identity');
	expect(apiCalls).toHaveLength(5);
	expect(apiCalls.every((call) => call.authStyle === 'bearer' && call.success === true)).toBe(true);
});

it('refreshes a token that expired between calls and stores the new one', async () => {
	sim = await startSimulator({ tokenLifetimeSeconds: 2 });
	const first = await describeCalls(simulatorCredentials(sim));
	const stored = first.credentialUpdates.at(-1)!;
	await new Promise((resolve) => setTimeout(resolve, 2_300));

	const second = await describeCalls(stored);

	expect(second.outputs[0][0].json.result).toHaveLength(1);
	const newToken = second.credentialUpdates.at(-1)!;
	expect(newToken.accessToken).not.toBe(stored.accessToken);
	expect(newToken.accessToken).toBe(sim.state.tokens.at(-1)!.accessToken);
	expect(Number(newToken.accessTokenExpiresAt)).toBeGreaterThan(Number(stored.accessTokenExpiresAt));
	expect(sim.state.calls.filter((call) => call.route !== 'identity').every((call) => call.authStyle === 'bearer')).toBe(true);
});

it('rides out a 606 storm when the instance allows only 4 calls per second', async () => {
	sim = await startSimulator({ limits: { callsPerWindow: 4, windowSeconds: 1 } });
	// A 20 s window scaled to 1.2-1.3 s: longer than the simulator's 1 s window.
	configureRetryTiming({ scale: 0.06 });
	const credentials = (await describeCalls(simulatorCredentials(sim))).credentialUpdates.at(-1)!;
	sim.state.resetUsage();
	sim.state.clearCalls();

	const runs = await Promise.all(Array.from({ length: 3 }, async () => await describeCalls(credentials, 3)));

	expect(runs.flatMap((run) => run.outputs[0])).toHaveLength(9);
	const answers = sim.state.calls.filter((call) => call.route !== 'identity');
	expect(answers.some((call) => call.marketoCode === '606')).toBe(true);
	expect(answers.filter((call) => call.success === true)).toHaveLength(9);
});

it('rides out a 615 storm when the instance allows one call at a time', async () => {
	sim = await startSimulator({
		limits: { maxConcurrent: 1 },
		faults: { slowResponseRate: 1, slowResponseMs: 40 },
	});
	configureRetryTiming({ scale: 0.05 });
	// Let this process send more at once than the instance accepts, to provoke 615.
	configureThrottle({ maxInFlight: 10 });
	const credentials = (await describeCalls(simulatorCredentials(sim))).credentialUpdates.at(-1)!;
	sim.state.clearCalls();

	const runs = await Promise.all(Array.from({ length: 4 }, async () => await describeCalls(credentials, 2)));

	expect(runs.flatMap((run) => run.outputs[0])).toHaveLength(8);
	const answers = sim.state.calls.filter((call) => call.route !== 'identity');
	expect(answers.some((call) => call.marketoCode === '615')).toBe(true);
	expect(answers.filter((call) => call.success === true)).toHaveLength(8);
});
