import { currentClock } from '../pacing';

/**
 * A pause between polls of a job. Stopping the execution ends it at once: the clock's sleep then
 * rejects, the only way it ends early, and the caller's next check of the signal reports the stop.
 */
export async function pauseUnlessCancelled(
	ms: number,
	signal: AbortSignal | undefined,
): Promise<void> {
	await currentClock()
		.sleep(ms, signal, 'poll')
		.then(
			() => undefined,
			() => undefined,
		);
}
