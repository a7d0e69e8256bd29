/**
 * Entry point of the Marketo simulator: a plain node:http server that behaves like a
 * Marketo Engage instance (identity, REST read endpoints, bulk imports). Test code only;
 * product code never imports it. See README.md in this folder.
 */
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

/** A clock tests move by hand: `clock.advance(60_000)`. */
export interface FakeClock extends Clock {
	advance(ms: number): void;
	set(ms: number): void;
}

export function createFakeClock(startMs = Date.UTC(2025, 0, 15, 12, 0, 0)): FakeClock {
	let current = startMs;
	return {
		now: () => current,
		advance: (ms: number) => {
			current += ms;
		},
		set: (ms: number) => {
			current = ms;
		},
	};
}
