/**
 * The transport against the Marketo simulator over real HTTP, through the in-process harness:
 * token reuse and transparent refresh, and rate (606) and concurrency (615) storms that must
 * end in success. The simulator runs on a fake clock and the transport's retry waits sleep on
 * it, so a token expires, and a 20 s window passes, when the test says, in no real time.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { runNode, simulatorCredentials } from '../harness';
import { routeRetryWaitsTo } from '../harness/retryWaits';
import {
	createFakeClock,
	holdableClock,
	startSimulator,
	type RunningSimulator,
} from '../simulator';
import { probe } from '../unit/transport/transportProbe';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';

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
let retryWaits: jest.SpyInstance | undefined;

afterEach(async () => {
	retryWaits?.mockRestore();
	retryWaits = undefined;
	await sim?.close();
	sim = undefined;
	resetPacing();
});

/** Resolves once every call the simulator has received is answered (and its slot is free). */
async function marketoIdle(running: RunningSimulator): Promise<void> {
	do await new Promise((resolve) => setImmediate(resolve));
	while (running.state.calls.some((call) => call.httpStatus === 0));
	await new Promise((resolve) => setImmediate(resolve));
}

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
	const clock = createFakeClock();
	sim = await startSimulator({ tokenLifetimeSeconds: 3600, clock });
	const first = await describeCalls(simulatorCredentials(sim));
	const stored = first.credentialUpdates.at(-1)!;
	clock.advance(3_600_000); // the token's whole life, on Marketo's side
	sim.state.clearCalls();

	const second = await describeCalls(stored);

	expect(second.outputs[0][0].json.result).toHaveLength(1);
	const newToken = second.credentialUpdates.at(-1)!;
	expect(newToken.accessToken).not.toBe(stored.accessToken);
	expect(newToken.accessToken).toBe(sim.state.tokens.at(-1)!.accessToken);
	expect(Number(newToken.accessTokenExpiresAt)).toBeGreaterThan(
		Number(stored.accessTokenExpiresAt),
	);
	// Marketo refused the expired token, the transport fetched a new one and sent the call again.
	expect(sim.state.calls.map((call) => [call.route, call.marketoCode])).toEqual([
		['describeLeads', '602'],
		['identity', undefined],
		['describeLeads', undefined],
	]);
	expect(
		sim.state.calls
			.filter((call) => call.route !== 'identity')
			.every((call) => call.authStyle === 'bearer'),
	).toBe(true);
});

it('refreshes before the call when the stored token says it has expired', async () => {
	const clock = createFakeClock();
	sim = await startSimulator({ tokenLifetimeSeconds: 3600, clock });
	const stored = (await describeCalls(simulatorCredentials(sim))).credentialUpdates.at(-1)!;
	clock.advance(3_600_000);
	sim.state.clearCalls();

	// n8n stored an expiry long past (whatever the time now): no call goes out with that token.
	const second = await describeCalls({ ...stored, accessTokenExpiresAt: 1 });

	expect(second.outputs[0][0].json.result).toHaveLength(1);
	expect(second.credentialUpdates.at(-1)!.accessToken).toBe(sim.state.tokens.at(-1)!.accessToken);
	expect(sim.state.calls.map((call) => [call.route, call.marketoCode])).toEqual([
		['identity', undefined],
		['describeLeads', undefined],
	]);
});

it('rides out a 606 storm when the instance allows only 4 calls per second', async () => {
	const clock = createFakeClock();
	sim = await startSimulator({ limits: { callsPerWindow: 4, windowSeconds: 1 }, clock });
	// Marketo's clock moves only by the transport's waits: every call until a 606 lands in one window.
	retryWaits = routeRetryWaitsTo(clock);
	const credentials = (await describeCalls(simulatorCredentials(sim))).credentialUpdates.at(-1)!;
	sim.state.resetUsage();
	sim.state.clearCalls();

	const runs = await Promise.all(
		Array.from({ length: 3 }, async () => await describeCalls(credentials, 3)),
	);

	expect(runs.flatMap((run) => run.outputs[0])).toHaveLength(9);
	const answers = sim.state.calls.filter((call) => call.route !== 'identity');
	const limited = answers.filter((call) => call.marketoCode === '606');
	expect(limited.length).toBeGreaterThan(0);
	expect(answers.filter((call) => call.success === true)).toHaveLength(9);
	// Each 606 was waited out for Marketo's whole 20 s window, never less, and then sent again.
	const waits = retryWaits.mock.calls.map(([ms]) => ms as number);
	expect(waits).toHaveLength(limited.length);
	expect(waits.every((ms) => ms >= 20_000)).toBe(true);
	expect(answers).toHaveLength(9 + limited.length);
});

it('rides out a 615 storm when the instance allows one call at a time', async () => {
	const clock = createFakeClock();
	const marketoClock = holdableClock(clock);
	sim = await startSimulator({ limits: { maxConcurrent: 1 }, clock: marketoClock });
	// Let this process send more at once than the instance accepts, to provoke 615.
	configurePacing({ throttle: { maxInFlight: 10 } });
	const credentials = (await describeCalls(simulatorCredentials(sim))).credentialUpdates.at(-1)!;
	sim.state.clearCalls();
	const running = sim;

	// The first call stays in Marketo until all four have arrived, so the other three find the
	// only slot taken. Each refused call's wait then ends once Marketo is idle again and the
	// call refused before it has been sent again and answered: one resend at a time.
	let allArrived!: () => void;
	marketoClock.holdDelaysUntil(new Promise<void>((resolve) => (allArrived = resolve)));
	running.state.scriptFault({ route: 'describeLeads', answer: { kind: 'delay', ms: 1 } });
	const stopWatching = running.state.onCall(() => {
		if (running.state.callsTo('describeLeads').length === 4) allArrived();
	});
	let turn: Promise<void> = Promise.resolve();
	retryWaits = routeRetryWaitsTo({
		now: () => clock.now(),
		sleep: async () => {
			const mine = turn.then(async () => await marketoIdle(running));
			turn = mine.then(async () => {
				const sent = running.state.calls.length;
				while (running.state.calls.length === sent)
					await new Promise((resolve) => setImmediate(resolve));
				await marketoIdle(running);
			});
			await mine;
		},
	});

	const runs = await Promise.all(
		Array.from({ length: 4 }, async () => await describeCalls(credentials, 1)),
	);
	stopWatching();

	expect(runs.flatMap((run) => run.outputs[0])).toHaveLength(4);
	const answers = sim.state.calls.filter((call) => call.route !== 'identity');
	expect(answers.map((call) => call.marketoCode ?? 'ok')).toEqual([
		'ok',
		'615',
		'615',
		'615',
		'ok',
		'ok',
		'ok',
	]);
	expect(retryWaits).toHaveBeenCalledTimes(3);
});

describe('a token refused right after an early refresh (issue 23)', () => {
	/** Stored credentials whose token has 3 s left: the next call refreshes it before it is sent. */
	async function nearlyExpiredCredentials(running: RunningSimulator) {
		const stored = (await describeCalls(simulatorCredentials(running))).credentialUpdates.at(-1)!;
		running.state.clearCalls();
		return { ...stored, accessTokenExpiresAt: Date.now() + 3_000 };
	}

	/** Revokes every token as each of the next `times` describe calls arrives, so those calls get 601. */
	function revokeOnArrival(running: RunningSimulator, times: number): () => void {
		let left = times;
		return running.state.onCall((call) => {
			if (call.route === 'describeLeads' && left-- > 0) running.state.revokeTokens();
		});
	}

	it('gets one more token of its own and the call succeeds', async () => {
		sim = await startSimulator({ tokenLifetimeSeconds: 3, clock: createFakeClock() });
		const stored = await nearlyExpiredCredentials(sim);
		const stopWatching = revokeOnArrival(sim, 1);

		const run = await describeCalls(stored);
		stopWatching();

		expect(run.outputs[0][0].json.result).toHaveLength(1);
		expect(sim.state.calls.map((call) => [call.route, call.marketoCode])).toEqual([
			['identity', undefined],
			['describeLeads', '601'],
			['identity', undefined],
			['describeLeads', undefined],
		]);
		expect(run.credentialUpdates.at(-1)!.accessToken).toBe(sim.state.tokens.at(-1)!.accessToken);
	});

	it('fails, saying a refresh was tried, when the token fetched for the 601 is refused too', async () => {
		sim = await startSimulator({ tokenLifetimeSeconds: 3, clock: createFakeClock() });
		const stored = await nearlyExpiredCredentials(sim);
		const stopWatching = revokeOnArrival(sim, 2);

		const failure = describeCalls(stored);

		await expect(failure).rejects.toThrow('Marketo error 601');
		await expect(failure).rejects.toMatchObject({
			description: expect.stringContaining('even after a refresh'),
		});
		stopWatching();
		// No third token: a refresh forced by a refusal that is refused again is final.
		expect(sim.state.calls.map((call) => [call.route, call.marketoCode])).toEqual([
			['identity', undefined],
			['describeLeads', '601'],
			['identity', undefined],
			['describeLeads', '601'],
		]);
	});
});
