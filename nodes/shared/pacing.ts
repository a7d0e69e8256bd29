/**
 * How the package paces itself, process-wide: the clock every wait reads (the throttle's
 * window, the transport's retry waits, Bulk Import's queue waits, Wait for Batch's polls), the
 * timing of retry delays and the client-side call limits. n8n runs with the defaults; tests and
 * the bench change them here, in one place, and put them back with resetPacing, so no module
 * keeps a setting of its own.
 */
import { REAL_CLOCK, type Clock } from './clock';

export interface ThrottleLimits {
	maxInFlight: number;
	maxCallsPerWindow: number;
	windowMs: number;
}

/**
 * Adobe advises one integration to stay at or under 5 concurrent calls and 50 calls per 20 s
 * (the instance-wide limits are 10 and 100, shared with every other integration).
 */
export const DEFAULT_THROTTLE_LIMITS: Readonly<ThrottleLimits> = {
	maxInFlight: 5,
	maxCallsPerWindow: 50,
	windowMs: 20_000,
};

export interface RetryTiming {
	/** every retry delay is multiplied by this (tests cannot wait out 20-second windows) */
	scale: number;
	/** replaces Math.random for seeded, repeatable jitter */
	random: () => number;
}

export interface Pacing {
	clock: Clock;
	retry: RetryTiming;
	throttle: ThrottleLimits;
	/** counts changes, so the throttle drops windows measured on an earlier clock or limits */
	generation: number;
}

export interface PacingChanges {
	clock?: Clock;
	retry?: Partial<RetryTiming>;
	throttle?: Partial<ThrottleLimits>;
}

function defaults(generation: number): Pacing {
	return {
		clock: REAL_CLOCK,
		retry: { scale: 1, random: Math.random },
		throttle: { ...DEFAULT_THROTTLE_LIMITS },
		generation,
	};
}

let current: Pacing = defaults(0);

export function pacing(): Readonly<Pacing> {
	return current;
}

/** The clock every wait reads and sleeps on. */
export function currentClock(): Clock {
	return current.clock;
}

export function configurePacing(changes: PacingChanges): void {
	current = {
		clock: changes.clock ?? current.clock,
		retry: { ...current.retry, ...changes.retry },
		throttle: { ...current.throttle, ...changes.throttle },
		generation: current.generation + 1,
	};
}

/** The real clock and the default timing and limits again. */
export function resetPacing(): void {
	current = defaults(current.generation + 1);
}
