/**
 * Entry point of the Marketo simulator: a plain node:http server that behaves like a
 * Marketo Engage instance (identity, REST read endpoints, bulk imports). Test code only;
 * product code never imports it. See README.md in this folder.
 */
import { throwIfCancelled } from '../../nodes/shared/clock';
import { createSimulatorServer } from './server';
import type { Clock, RunningSimulator, SimulatorOptions } from './types';

export * from './types';

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
	const server = createSimulatorServer(options);
	const port = await server.listen(options.port ?? 0);
	const baseUrl = `http://127.0.0.1:${port}`;
	return {
		baseUrl,
		restUrl: `${baseUrl}/rest`,
		identityUrl: `${baseUrl}/identity`,
		port,
		clientId: server.clientId,
		clientSecret: server.clientSecret,
		state: server.state,
		close: async () => await server.close(),
	};
}

/**
 * A clock tests move by hand (`clock.advance(60_000)`), and whose `sleep` moves it instead
 * of waiting: whoever sleeps on it (the simulator's delays, the nodes' waits when a test
 * hands them this clock) makes time pass at once, so a run goes through the same moments
 * on every machine. `sleeps` lists what was asked, for tests to assert on.
 */
export interface FakeClock extends Clock {
	advance(ms: number): void;
	set(ms: number): void;
	/** Every sleep asked of this clock (ms), in order. */
	readonly sleeps: number[];
}

export function createFakeClock(startMs = Date.UTC(2025, 0, 15, 12, 0, 0)): FakeClock {
	let current = startMs;
	const sleeps: number[] = [];
	return {
		sleeps,
		now: () => current,
		sleep: async (ms, signal) => {
			throwIfCancelled(signal);
			sleeps.push(ms);
			current += Math.max(0, ms);
			// Still a turn of the event loop, as a real sleep is: what runs meanwhile runs first.
			await new Promise((resolve) => setImmediate(resolve));
			throwIfCancelled(signal);
		},
		advance: (ms: number) => {
			current += ms;
		},
		set: (ms: number) => {
			current = ms;
		},
	};
}

/** A simulator clock on top of a FakeClock whose delays a test can hold (see holdableClock). */
export interface HoldableClock extends Clock {
	/** Delays the simulator starts while `until` is pending (scripted 'delay' faults, slow responses) last until it settles. */
	holdDelaysUntil(until: Promise<void>): void;
}

/**
 * For the simulator: the time of `clock` and its delays, except those a test holds. "While
 * Marketo is still answering that call" then lasts until an event of the test's choosing
 * (another call arriving, say), not for a duration.
 */
export function holdableClock(clock: FakeClock): HoldableClock {
	let hold: Promise<void> | undefined;
	return {
		now: () => clock.now(),
		sleep: async (ms, signal) => await (hold ?? clock.sleep(ms, signal)),
		holdDelaysUntil: (until) => {
			hold = until;
			const done = () => {
				if (hold === until) hold = undefined;
			};
			until.then(done, done);
		},
	};
}
