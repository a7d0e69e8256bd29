/**
 * Tests that assert what the transport asked to wait before a retry put the package on their
 * fake clock (pacing.ts) through this recorder: every wait sleeps on `clock`, and the transport's
 * retry waits (the ones its Clock call names 'retry') are also recorded as calls of the returned
 * mock. `mockRestore()` puts the previous clock back.
 */
import type { Clock } from '../../nodes/shared/clock';
import { configurePacing, pacing } from '../../nodes/shared/pacing';

/** The recording clock in force for a test's clock, so a run given that clock keeps recording. */
const recorders = new Map<Clock, Clock>();

export function routeRetryWaitsTo(
	clock: Clock,
): jest.Mock<Promise<void>, [number, AbortSignal | undefined]> {
	const previous = pacing().clock;
	const retryWaits = jest.fn(
		async (ms: number, signal: AbortSignal | undefined) => await clock.sleep(ms, signal, 'retry'),
	);
	const recording: Clock = {
		now: () => clock.now(),
		sleep: async (ms, signal, reason) =>
			reason === 'retry' ? await retryWaits(ms, signal) : await clock.sleep(ms, signal, reason),
	};
	recorders.set(clock, recording);
	configurePacing({ clock: recording });
	retryWaits.mockRestore = () => {
		recorders.delete(clock);
		configurePacing({ clock: previous });
	};
	return retryWaits;
}

/** `clock`, or the recorder routeRetryWaitsTo put in front of it. */
export function recordingClockFor(clock: Clock): Clock {
	return recorders.get(clock) ?? clock;
}
