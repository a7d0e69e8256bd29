/**
 * Client-side limiter per Marketo instance, shared by every execution in this n8n process.
 * Adobe advises one integration to stay at or under 5 concurrent calls and 50 calls per 20 s
 * (the instance-wide limits are 10 and 100, shared with every other integration), so polling
 * many batches never causes 615/606 by itself. With n8n queue mode each worker process has its
 * own limiter; the transport's 606/615 retries cover what several workers add up to.
 */
import { throwIfCancelled, waitForWake } from '../clock';
import { pacing } from '../pacing';

class InstanceLimiter {
	private inFlight = 0;

	/** Start times of the calls in the current rolling window, oldest first. */
	private starts: number[] = [];

	/** Waiters take turns in arrival order: each acquire chains onto the previous one. */
	private queue: Promise<void> = Promise.resolve();

	private wakeOnRelease: Array<() => void> = [];

	async acquire(signal?: AbortSignal): Promise<void> {
		const turn = this.queue.then(async () => await this.waitForSlot(signal));
		// A cancelled waiter must not block the ones behind it.
		this.queue = turn.catch(() => undefined);
		await turn;
	}

	release(): void {
		this.inFlight -= 1;
		for (const wake of this.wakeOnRelease.splice(0)) wake();
	}

	snapshot(now: number): { inFlight: number; callsInWindow: number } {
		const { windowMs } = pacing().throttle;
		return {
			inFlight: this.inFlight,
			callsInWindow: this.starts.filter((t) => now - t < windowMs).length,
		};
	}

	private async waitForSlot(signal?: AbortSignal): Promise<void> {
		for (;;) {
			throwIfCancelled(signal);
			const { clock, throttle: limits } = pacing();
			const now = clock.now();
			this.starts = this.starts.filter((t) => now - t < limits.windowMs);
			if (this.inFlight >= limits.maxInFlight) {
				await waitForWake((wake) => this.wakeOnRelease.push(wake), signal);
				continue;
			}
			if (this.starts.length >= limits.maxCallsPerWindow) {
				await clock.sleep(this.starts[0] + limits.windowMs - now, signal, 'throttle');
				continue;
			}
			this.inFlight += 1;
			this.starts.push(now);
			return;
		}
	}
}

const limiters = new Map<string, InstanceLimiter>();
/** The pacing the limiters were made under; windows measured on another clock or limits are dropped. */
let limitersGeneration = pacing().generation;

function limiterFor(instanceRoot: string): InstanceLimiter {
	if (limitersGeneration !== pacing().generation) {
		limiters.clear();
		limitersGeneration = pacing().generation;
	}
	const key = instanceRoot.toLowerCase();
	let limiter = limiters.get(key);
	if (!limiter) {
		limiter = new InstanceLimiter();
		limiters.set(key, limiter);
	}
	return limiter;
}

export function throttleSnapshot(instanceRoot: string): {
	inFlight: number;
	callsInWindow: number;
} {
	return limiterFor(instanceRoot).snapshot(pacing().clock.now());
}

/** Runs `call` once the instance has a free slot; a cancelled execution stops waiting at once. */
export async function throttled<T>(
	instanceRoot: string,
	call: () => Promise<T>,
	signal?: AbortSignal,
): Promise<T> {
	const limiter = limiterFor(instanceRoot);
	await limiter.acquire(signal);
	try {
		return await call();
	} finally {
		limiter.release();
	}
}
