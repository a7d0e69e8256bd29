import { configureThrottle, resetThrottle, throttleSnapshot, throttled } from '../../../nodes/shared/transport/throttle';

afterEach(() => resetThrottle());

const tick = async () => await new Promise((resolve) => setImmediate(resolve));

describe('per-instance throttle', () => {
	it('never lets more than maxInFlight calls run at once, and runs them all', async () => {
		configureThrottle({ maxInFlight: 3, maxCallsPerWindow: 1_000, windowMs: 20_000 });
		let running = 0;
		let peak = 0;
		const results = await Promise.all(
			Array.from({ length: 12 }, async (_unused, index) =>
				await throttled('https://a.mktorest.com', async () => {
					running += 1;
					peak = Math.max(peak, running);
					await tick();
					running -= 1;
					return index;
				}),
			),
		);
		expect(peak).toBe(3);
		expect(results).toEqual(Array.from({ length: 12 }, (_unused, index) => index));
	});

	it('keeps at most maxCallsPerWindow call starts in any rolling window', async () => {
		configureThrottle({ maxInFlight: 10, maxCallsPerWindow: 4, windowMs: 150 });
		const starts: number[] = [];
		await Promise.all(
			Array.from({ length: 10 }, async () => await throttled('https://b.mktorest.com', async () => starts.push(Date.now()))),
		);
		expect(starts).toHaveLength(10);
		// The callback sees the start a moment after the limiter booked it: allow 10 ms of slack.
		starts.forEach((start, index) => {
			const inWindow = starts.filter((other, j) => j >= index && other - start < 140).length;
			expect(inWindow).toBeLessThanOrEqual(4);
		});
	});

	it('keeps separate budgets per instance (case-insensitive root)', async () => {
		configureThrottle({ maxInFlight: 1, maxCallsPerWindow: 1_000, windowMs: 20_000 });
		let releaseA!: () => void;
		const blockerA = throttled('https://A.mktorest.com', async () => await new Promise<void>((resolve) => (releaseA = resolve)));
		await tick();
		expect(throttleSnapshot('https://a.mktorest.com').inFlight).toBe(1);
		// Another instance is not blocked by A's busy slot.
		await expect(throttled('https://c.mktorest.com', async () => 'c done')).resolves.toBe('c done');
		releaseA();
		await blockerA;
		expect(throttleSnapshot('https://a.mktorest.com').inFlight).toBe(0);
	});

	it('frees the slot when a call throws', async () => {
		configureThrottle({ maxInFlight: 1, maxCallsPerWindow: 1_000, windowMs: 20_000 });
		await expect(throttled('https://d.mktorest.com', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
		await expect(throttled('https://d.mktorest.com', async () => 'next')).resolves.toBe('next');
	});

	it('stops waiting at once when the execution is cancelled, without blocking later callers', async () => {
		configureThrottle({ maxInFlight: 1, maxCallsPerWindow: 1, windowMs: 60_000 });
		await throttled('https://e.mktorest.com', async () => 'uses the only call of the window');
		const controller = new AbortController();
		const waiting = throttled('https://e.mktorest.com', async () => 'never', controller.signal);
		await tick();
		controller.abort();
		await expect(waiting).rejects.toThrow('cancelled');
		expect(throttleSnapshot('https://e.mktorest.com')).toEqual({ inFlight: 0, callsInWindow: 1 });
	});
});
