/**
 * The transport sleeps before a retry with wait.ts's cancellableSleep, always on the real
 * clock: unlike the throttle and the queue waits it has no clock to hand a fake one to. Until
 * it has, tests route those sleeps to a clock of their own through this spy, so a 20 s rate
 * window is waited out in no real time and the test can assert what the transport asked for.
 * Restore the spy after the test (`mockRestore`).
 */
import * as wait from '../../nodes/shared/clock';
import type { Clock } from '../../nodes/shared/clock';

export function routeRetryWaitsTo(clock: Clock): jest.SpyInstance {
	return jest.spyOn(wait, 'cancellableSleep').mockImplementation(async (ms, signal) => await clock.sleep(ms, signal));
}
