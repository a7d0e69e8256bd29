import { throttleSnapshot, throttled } from '../../../nodes/shared/transport/throttle';
import { waitForWake, type Clock } from '../../../nodes/shared/clock';
import { configurePacing, resetPacing } from '../../../nodes/shared/pacing';

/**
 * Every test runs on a fake clock: time moves only when the test says so, and a waiting
 * limiter's sleep ends only when the fake time reaches its end. Nothing here reads the
 * wall clock, so the assertions are exact times and counts, never "within some slack".
 */
interface FakeClock extends Clock {
	/** The end (fake ms) of every sleep the limiter asked for, in order. */
	readonly sleepsUntil: number[];
	/** Sets the fake time, ends the sleeps due by then, and lets everything they woke run. */
	advanceTo(ms: number): Promise<void>;
}

/** Runs every pending promise continuation (no timer is involved, so one turn is enough). */
const settle = async () => await new Promise((resolve) => setImmediate(resolve));

function fakeClock(): FakeClock {
	let current = 0;
	const sleepers: Array<{ until: number; wake: () => void }> = [];
	const sleepsUntil: number[] = [];
	return {
		sleepsUntil,
		now: () => current,
		sleep: async (ms, signal) => {
			const until = current + ms;
			sleepsUntil.push(until);
			await waitForWake((wake) => sleepers.push({ until, wake }), signal);
		},
		advanceTo: async (ms) => {
			current = ms;
			for (const sleeper of sleepers.filter((s) => s.until <= ms)) {
				sleepers.splice(sleepers.indexOf(sleeper), 1);
				sleeper.wake();
			}
			await settle();
		},
	};
}

let clock: FakeClock;

beforeEach(() => {
	clock = fakeClock();
});

afterEach(() => resetPacing());

describe('per-instance throttle', () => {
	it('never lets more than maxInFlight calls run at once, and runs them all', async () => {
		configurePacing({
			clock,
			throttle: { maxInFlight: 3, maxCallsPerWindow: 1_000, windowMs: 20_000 },
		});
		let running = 0;
		let peak = 0;
		const results = await Promise.all(
			Array.from(
				{ length: 12 },
				async (_unused, index) =>
					await throttled('https://a.mktorest.com', async () => {
						running += 1;
						peak = Math.max(peak, running);
						await settle();
						running -= 1;
						return index;
					}),
			),
		);
		expect(peak).toBe(3);
		expect(results).toEqual(Array.from({ length: 12 }, (_unused, index) => index));
		// Waiting for a free slot is waiting for a release, never a sleep.
		expect(clock.sleepsUntil).toEqual([]);
	});

	it('starts at most maxCallsPerWindow calls per window and waits exactly until the window opens', async () => {
		configurePacing({ clock, throttle: { maxInFlight: 10, maxCallsPerWindow: 4, windowMs: 150 } });
		const starts: number[] = [];
		const all = Promise.all(
			Array.from(
				{ length: 10 },
				async () => await throttled('https://b.mktorest.com', async () => starts.push(clock.now())),
			),
		);

		await settle();
		expect(starts).toEqual([0, 0, 0, 0]);
		// Only the head of the line sleeps, until the oldest start leaves the window.
		expect(clock.sleepsUntil).toEqual([150]);

		await clock.advanceTo(149);
		expect(starts).toHaveLength(4);

		await clock.advanceTo(150);
		expect(starts).toEqual([0, 0, 0, 0, 150, 150, 150, 150]);
		expect(clock.sleepsUntil).toEqual([150, 300]);

		await clock.advanceTo(300);
		await all;
		expect(starts).toEqual([0, 0, 0, 0, 150, 150, 150, 150, 300, 300]);
		expect(clock.sleepsUntil).toEqual([150, 300]);
		expect(throttleSnapshot('https://b.mktorest.com')).toEqual({ inFlight: 0, callsInWindow: 2 });
	});

	it('counts the window as rolling: a slot frees when the oldest start is windowMs old', async () => {
		configurePacing({ clock, throttle: { maxInFlight: 10, maxCallsPerWindow: 4, windowMs: 150 } });
		const starts: number[] = [];
		const call = async () =>
			await throttled('https://f.mktorest.com', async () => starts.push(clock.now()));
		const early = [call(), call()];
		await settle();
		await clock.advanceTo(100);
		const later = [call(), call(), call(), call(), call()];
		await settle();
		expect(starts).toEqual([0, 0, 100, 100]);

		// The two calls of t=0 leave the window at 150: two slots, not four (no fixed window).
		await clock.advanceTo(150);
		expect(starts).toEqual([0, 0, 100, 100, 150, 150]);
		// The next slot frees when the calls of t=100 are 150 ms old.
		expect(clock.sleepsUntil).toEqual([150, 250]);
		await clock.advanceTo(250);
		await Promise.all([...early, ...later]);
		expect(starts).toEqual([0, 0, 100, 100, 150, 150, 250]);
	});

	it('keeps separate budgets per instance (case-insensitive root)', async () => {
		configurePacing({
			clock,
			throttle: { maxInFlight: 1, maxCallsPerWindow: 1_000, windowMs: 20_000 },
		});
		let releaseA!: () => void;
		const blockerA = throttled(
			'https://A.mktorest.com',
			async () => await new Promise<void>((resolve) => (releaseA = resolve)),
		);
		await settle();
		expect(throttleSnapshot('https://a.mktorest.com').inFlight).toBe(1);
		// Another instance is not blocked by A's busy slot.
		await expect(throttled('https://c.mktorest.com', async () => 'c done')).resolves.toBe('c done');
		releaseA();
		await blockerA;
		expect(throttleSnapshot('https://a.mktorest.com').inFlight).toBe(0);
	});

	it('frees the slot when a call throws', async () => {
		configurePacing({
			clock,
			throttle: { maxInFlight: 1, maxCallsPerWindow: 1_000, windowMs: 20_000 },
		});
		await expect(
			throttled('https://d.mktorest.com', async () => Promise.reject(new Error('boom'))),
		).rejects.toThrow('boom');
		await expect(throttled('https://d.mktorest.com', async () => 'next')).resolves.toBe('next');
	});

	it('stops waiting at once when the execution is cancelled, without blocking later callers', async () => {
		configurePacing({
			clock,
			throttle: { maxInFlight: 1, maxCallsPerWindow: 1, windowMs: 60_000 },
		});
		await throttled('https://e.mktorest.com', async () => 'uses the only call of the window');
		const controller = new AbortController();
		const waiting = throttled('https://e.mktorest.com', async () => 'never', controller.signal);
		await settle();
		expect(clock.sleepsUntil).toEqual([60_000]);
		controller.abort();
		await expect(waiting).rejects.toThrow('The execution was cancelled');
		expect(throttleSnapshot('https://e.mktorest.com')).toEqual({ inFlight: 0, callsInWindow: 1 });
		// The caller behind the cancelled one waits for the window, then runs.
		const next = throttled('https://e.mktorest.com', async () => 'after the window');
		await settle();
		await clock.advanceTo(60_000);
		await expect(next).resolves.toBe('after the window');
	});
});
