/**
 * Waiting that stops the moment an execution is cancelled. n8n-workflow 2.x's `sleep` takes an
 * AbortSignal (and then clears its timer); 1.x ignores the second argument, so the wait is also
 * raced against the signal to return at once there too.
 */
import { sleep } from 'n8n-workflow';

export class WaitCancelledError extends Error {
	constructor() {
		super('The execution was cancelled');
		this.name = 'WaitCancelledError';
	}
}

type SleepWithSignal = (ms: number, signal?: AbortSignal) => Promise<void>;

export function throwIfCancelled(signal?: AbortSignal): void {
	if (signal?.aborted) throw new WaitCancelledError();
}

export async function cancellableSleep(ms: number, signal?: AbortSignal): Promise<void> {
	throwIfCancelled(signal);
	if (ms <= 0) return;
	if (!signal) {
		await sleep(ms);
		return;
	}
	let onAbort: (() => void) | undefined;
	const cancelled = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(new WaitCancelledError());
		signal.addEventListener('abort', onAbort, { once: true });
	});
	// n8n's sleep rejects with the signal's reason on abort; report every abort the same way.
	const slept = Promise.race([(sleep as SleepWithSignal)(ms, signal), cancelled]).then(
		() => undefined,
		() => new WaitCancelledError(),
	);
	const outcome = await slept;
	if (onAbort) signal.removeEventListener('abort', onAbort);
	if (outcome) throw outcome;
}

/** Resolves when `wake` is called or the signal aborts (then rejects); for queue hand-offs. */
export async function waitForWake(
	register: (wake: () => void) => void,
	signal?: AbortSignal,
): Promise<void> {
	throwIfCancelled(signal);
	let onAbort: (() => void) | undefined;
	try {
		await new Promise<void>((resolve, reject) => {
			register(resolve);
			if (signal) {
				onAbort = () => reject(new WaitCancelledError());
				signal.addEventListener('abort', onAbort, { once: true });
			}
		});
	} finally {
		if (signal && onAbort) signal.removeEventListener('abort', onAbort);
	}
}

/** What a wait is for; a test's clock can tell the transport's retry waits from the rest. */
export type WaitReason = 'throttle' | 'retry' | 'queue' | 'poll';

/**
 * Where waits read the time and how they sleep. Every wait of the package takes the one in
 * force (pacing.ts): with a fake clock whose sleep moves the time, minutes of waiting take no
 * real time and happen in the same order on every run.
 */
export interface Clock {
	now(): number;
	/** Must stop at once (rejecting) when `signal` aborts, like cancellableSleep. */
	sleep(ms: number, signal?: AbortSignal, reason?: WaitReason): Promise<void>;
}

export const REAL_CLOCK: Readonly<Clock> = {
	now: () => Date.now(),
	sleep: async (ms, signal) => await cancellableSleep(ms, signal),
};
