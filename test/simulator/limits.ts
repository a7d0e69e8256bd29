/**
 * Marketo's API limits: a sliding window of calls (606), calls in flight (615) and a daily
 * quota (607) counted per US Central calendar day. Identity calls are not counted.
 */
import type { SimulatorLimits } from './types';

export type LimitVerdict =
	| { ok: true }
	| { ok: false; code: '606' | '607' | '615'; message: string };

const centralDay = new Intl.DateTimeFormat('en-CA', {
	timeZone: 'America/Chicago',
	year: 'numeric',
	month: '2-digit',
	day: '2-digit',
});

export class ApiLimiter {
	private windowCalls: number[] = [];
	private inFlight = 0;
	private quotaDay = '';
	private quotaCount = 0;

	constructor(public limits: SimulatorLimits) {}

	get dailyCount(): number {
		return this.quotaCount;
	}

	/** Called when a request arrives; must be paired with `release()` when it is answered. */
	enter(): LimitVerdict {
		this.inFlight++;
		if (this.inFlight > this.limits.maxConcurrent) {
			return {
				ok: false,
				code: '615',
				message: `Concurrent access limit '${this.limits.maxConcurrent}' reached`,
			};
		}
		return { ok: true };
	}

	release(): void {
		this.inFlight = Math.max(0, this.inFlight - 1);
	}

	/**
	 * Counts a call. Rejected calls (606/607) are not counted, so a client that waits out
	 * the window gets through again.
	 */
	count(now: number): LimitVerdict {
		const day = centralDay.format(new Date(now));
		if (day !== this.quotaDay) {
			this.quotaDay = day;
			this.quotaCount = 0;
		}
		if (this.quotaCount >= this.limits.dailyQuota)
			return { ok: false, code: '607', message: 'Daily quota reached' };
		const windowStart = now - this.limits.windowSeconds * 1000;
		this.windowCalls = this.windowCalls.filter((t) => t > windowStart);
		if (this.windowCalls.length >= this.limits.callsPerWindow) {
			return {
				ok: false,
				code: '606',
				message: `Max rate limit '${this.limits.callsPerWindow}' exceeded with in '${this.limits.windowSeconds}' secs`,
			};
		}
		this.windowCalls.push(now);
		this.quotaCount++;
		return { ok: true };
	}

	/** Adobe: "API calls that return errors do not count against your daily quota, or your rate limit." */
	uncount(countedAt: number): void {
		const index = this.windowCalls.lastIndexOf(countedAt);
		if (index >= 0) this.windowCalls.splice(index, 1);
		this.quotaCount = Math.max(0, this.quotaCount - 1);
	}

	reset(): void {
		this.windowCalls = [];
		this.quotaCount = 0;
	}
}
