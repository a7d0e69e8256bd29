/**
 * Decides WHEN to ask Marketo for the status of each batch we wait for, and WHICH
 * batches are worth a call at all. Pure: time comes in as epoch milliseconds, so the
 * same code runs against the real clock in the node and a virtual clock in tests.
 *
 * Why it is not a fixed "every 5 s": Marketo counts every status call against the
 * instance's shared limits (100 calls / 20 s, 50,000 a day), and a 10-minute import
 * polled every 5 s costs 120 calls. Instead:
 * - Marketo imports at a speed that belongs to the instance, first in, first out on two
 *   lanes. Once that speed is known (handed over by Bulk Import, or learnt from the
 *   running counts of any of our batches) every batch's end follows from the lane
 *   schedule, and each batch is polled once, just after its predicted end;
 * - until then only the oldest unfinished batch is polled, soon after submission (small
 *   files finish in seconds) and, while Queued, with a doubling gap;
 * - an answer that contradicts the schedule (foreign jobs ahead of ours) moves the
 *   prediction; repeated Queued answers fall back to the doubling gap;
 * - no batch goes unpolled longer than the user's maximum once it is predicted to run.
 */
import type { BatchStatusName } from '../batch';
import {
	estimateCompletion,
	gapForTrustedRateMs,
	isFinishedStatus,
	learnSpeed,
	MARKETO_IMPORT_LANES,
	pollMarginMs,
	predictRuns,
	type PredictedRun,
	type ScheduledBatch,
	type StatusObservation as SharedStatusObservation,
} from './batchStatus';

export interface PollSettings {
	/** first poll this long after submission */
	firstPollDelayMs: number;
	/** never poll one batch more often than this */
	minIntervalMs: number;
	/** never leave one worth-polling batch unpolled longer than this (user option) */
	maxIntervalMs: number;
	/** gap after the first Queued answer; doubles with every further Queued answer */
	queuedBackoffStartMs: number;
}

export const DEFAULT_POLL_SETTINGS: PollSettings = {
	firstPollDelayMs: 1000,
	minIntervalMs: 250,
	maxIntervalMs: 30000,
	queuedBackoffStartMs: 5000,
};

export { MARKETO_IMPORT_LANES };

/** How many status answers per batch the prediction looks at (the newest ones). */
const OBSERVATIONS_KEPT = 3;

/** A status answer as the schedule sees it (the shared shape, with a known status word). */
export interface StatusObservation extends SharedStatusObservation {
	status: BatchStatusName;
}

export interface BatchPollState {
	submittedAt: number;
	/** Marketo's queue is FIFO: creation order. Batch IDs grow with creation. */
	batchId: number;
	/** data rows in the batch, when known (lets us predict the end while Importing) */
	totalRows: number | null;
	/** newest last; at most OBSERVATIONS_KEPT */
	observations: StatusObservation[];
	/** consecutive answers with the same status as the newest one (drives the back-off) */
	samePhasePolls: number;
	/** newest time the batch answered Queued: it started later than that */
	lastQueuedAt: number | null;
}

export function newPollState(batch: {
	submittedAt: number;
	batchId: number;
	totalRows?: number | null;
}): BatchPollState {
	return {
		submittedAt: batch.submittedAt,
		batchId: batch.batchId,
		totalRows: batch.totalRows ?? null,
		observations: [],
		samePhasePolls: 0,
		lastQueuedAt: null,
	};
}

export function lastObservation(state: BatchPollState): StatusObservation | undefined {
	return state.observations[state.observations.length - 1];
}

export function isFinished(state: BatchPollState): boolean {
	return isFinishedStatus(lastObservation(state)?.status ?? 'Queued');
}

/** Returns the new state after a status answer; the input state is not changed. */
export function recordObservation(
	state: BatchPollState,
	observation: StatusObservation,
): BatchPollState {
	const previous = lastObservation(state);
	const samePhase = previous !== undefined && previous.status === observation.status;
	// Counts read while Queued (0) would make the rate look slower; Importing readings
	// stay after the end, since they still tell the instance's speed.
	const keptHistory = previous?.status === 'Queued' && !samePhase ? [] : state.observations;
	return {
		...state,
		observations: [...keptHistory, observation].slice(-OBSERVATIONS_KEPT),
		samePhasePolls: samePhase ? state.samePhasePolls + 1 : 1,
		lastQueuedAt: observation.status === 'Queued' ? observation.at : state.lastQueuedAt,
	};
}

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, value));
}

/** 1st answer -> start, 2nd -> 2 x start, 3rd -> 4 x start ..., never above max */
export function backoffInterval(startMs: number, samePhasePolls: number, maxMs: number): number {
	const doublings = Math.max(0, samePhasePolls - 1);
	// 2^doublings overflows to Infinity eventually, which min() turns into maxMs.
	return Math.min(maxMs, startMs * 2 ** doublings);
}

/** The predicted end of an Importing batch (epoch ms), or null when we cannot tell yet. */
export function predictedEnd(state: BatchPollState): number | null {
	if (state.totalRows === null || lastObservation(state)?.status !== 'Importing') return null;
	return estimateCompletion(state.observations, state.totalRows);
}

/**
 * When this batch should next be polled (epoch ms) while the instance's speed is still
 * unknown, ignoring queue position: soon after submission, then a doubling gap while
 * Queued, the predicted end once its own counts move.
 */
export function nextPollAt(state: BatchPollState, settings: PollSettings): number {
	const last = lastObservation(state);
	if (last === undefined) return state.submittedAt + settings.firstPollDelayMs;
	if (isFinishedStatus(last.status)) return Number.POSITIVE_INFINITY;
	const maxMs = Math.max(settings.maxIntervalMs, settings.minIntervalMs);
	if (last.status === 'Queued') {
		return last.at + backoffInterval(settings.queuedBackoffStartMs, state.samePhasePolls, maxMs);
	}
	const end = predictedEnd(state);
	if (end !== null && state.totalRows !== null) {
		const margin = pollMarginMs(end - last.at);
		return last.at + clamp(end + margin - last.at, settings.minIntervalMs, maxMs);
	}
	// Importing, but no rate yet (one answer so far, the counts did not move, or the readings
	// are too close for how precisely they are dated: the next one comes far enough away).
	const gap = Math.max(
		backoffInterval(settings.firstPollDelayMs, state.samePhasePolls, maxMs),
		Math.min(maxMs, gapForTrustedRateMs(2 * (last.uncertaintyMs ?? 0))),
	);
	return last.at + gap;
}

/** Pure: the scheduler's view of a batch for the shared lane prediction. */
export function scheduledBatchOf(state: BatchPollState): ScheduledBatch {
	return {
		submittedAt: state.submittedAt,
		rows: state.totalRows,
		observations: state.observations,
		lastQueuedAt: state.lastQueuedAt,
	};
}

/**
 * A run predicted through this many batches of its lane is read once while it imports:
 * a speed learnt a little low (two readings 1 s apart, one of them dated a moment early
 * by a busy n8n) makes every predicted end late by the same share, and an end poll that
 * finds the batch Complete cannot tell how late it was, so without a reading the lateness
 * adds up along the lane (measured: 2.6 s over seven batches of 3.6 s). Not every second
 * batch: each reading is a call, and when batches end every second or so the node's 50
 * calls per 20 s (transport/throttle.ts) are what hold back the last ones.
 */
const HOPS_BEFORE_A_PLACING_READING = 3;
/** That reading comes this far into the predicted run: late enough to find it importing. */
const PLACING_READING_SHARE = 0.25;

/**
 * When to poll a batch whose run is predicted from the lane schedule: just after its
 * predicted end (and, for a run predicted through several batches, once a quarter into
 * it, see HOPS_BEFORE_A_PLACING_READING); never sooner than the minimum interval after
 * the last poll; once it should be running, never later than the maximum interval; and
 * after two Queued answers in a row (the schedule is off: someone else's jobs are ahead)
 * no sooner than the doubling gap.
 */
export function scheduledPollAt(
	state: BatchPollState,
	run: PredictedRun,
	settings: PollSettings,
): number {
	const last = lastObservation(state);
	if (last !== undefined && isFinishedStatus(last.status)) return Number.POSITIVE_INFINITY;
	const maxMs = Math.max(settings.maxIntervalMs, settings.minIntervalMs);
	const runningSince = Math.max(run.start, last?.at ?? state.submittedAt);
	let at = run.end + pollMarginMs(run.end - runningSince);
	if (run.hops >= HOPS_BEFORE_A_PLACING_READING) {
		const duration = run.end - run.start;
		at = Math.min(
			at,
			run.start + Math.max(settings.minIntervalMs, PLACING_READING_SHARE * duration),
		);
	}
	at = Math.min(at, runningSince + maxMs);
	if (last !== undefined) {
		at = Math.max(at, last.at + settings.minIntervalMs);
		if (last.status === 'Queued' && state.samePhasePolls >= 2) {
			at = Math.max(
				at,
				last.at + backoffInterval(settings.queuedBackoffStartMs, state.samePhasePolls - 1, maxMs),
			);
		}
	}
	return at;
}

function queueOrder(states: BatchPollState[]): number[] {
	return states
		.map((_, index) => index)
		.sort(
			(a, b) =>
				states[a].submittedAt - states[b].submittedAt ||
				states[a].batchId - states[b].batchId ||
				a - b,
		);
}

/**
 * Indices of the unfinished batches worth a call while the instance's speed is unknown:
 * only the oldest one. Everything behind it waits in the FIFO queue or runs beside it
 * at the same speed, so one batch teaches what all need.
 */
export function batchesWorthPolling(states: BatchPollState[]): number[] {
	const oldest = queueOrder(states).find((index) => !isFinished(states[index]));
	return oldest === undefined ? [] : [oldest];
}

/**
 * Pure: the speed Bulk Import measured (BatchDescriptor.observedRowsPerSecond of the
 * input items) in rows per ms; the newest batches carry the best value, and all
 * come from one instance, so the highest is taken. null when none is usable.
 */
export function rowsPerMsFromItems(values: unknown[]): number | null {
	const usable = values.filter(
		(v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0,
	);
	return usable.length === 0 ? null : Math.max(...usable) / 1000;
}

/** Pure: the instance's speed (rows per ms) from our answers, else the one handed over, else null. */
export function instanceRowsPerMs(
	states: BatchPollState[],
	handedOverRowsPerMs: number | null = null,
): number | null {
	const learnt = learnSpeed(states.map(scheduledBatchOf));
	if (learnt?.exact) return learnt.rowsPerMs;
	// Bulk Import hands over only exact speeds. A lower bound from our own answers is not
	// used: after a wait in the queue it can be many times too low, and polls would come
	// that much too late.
	return handedOverRowsPerMs !== null && handedOverRowsPerMs > 0 ? handedOverRowsPerMs : null;
}

/** Poll time of every unfinished batch (epoch ms; Infinity when finished or not worth a call). */
export function pollTimes(
	states: BatchPollState[],
	settings: PollSettings,
	handedOverRowsPerMs: number | null = null,
): number[] {
	const times = states.map(() => Number.POSITIVE_INFINITY);
	const rowsPerMs = instanceRowsPerMs(states, handedOverRowsPerMs);
	if (rowsPerMs === null) {
		for (const index of batchesWorthPolling(states))
			times[index] = nextPollAt(states[index], settings);
		return times;
	}
	const order = queueOrder(states);
	const runs = predictRuns(
		order.map((index) => scheduledBatchOf(states[index])),
		rowsPerMs,
	);
	// First in, first out: behind a batch of ours still answering Queued, every batch waits too.
	let olderQueued = false;
	order.forEach((index, position) => {
		if (olderQueued || isFinished(states[index])) return;
		const run = runs[position];
		times[index] =
			run === null
				? nextPollAt(states[index], settings)
				: scheduledPollAt(states[index], run, settings);
		olderQueued = lastObservation(states[index])?.status === 'Queued';
	});
	return times;
}

export interface PollPlan {
	/** poll these now (indices into the states) */
	due: number[];
	/** when nothing is due: sleep until this time (epoch ms); null when every batch is finished */
	wakeAt: number | null;
	/** the overall time limit has passed: stop waiting */
	timeLimitReached: boolean;
}

/** At most this many status calls at once (one per lane plus one), oldest first. */
const MAX_DUE_AT_ONCE = MARKETO_IMPORT_LANES + 1;

export function planPolls(
	states: BatchPollState[],
	now: number,
	settings: PollSettings,
	deadline: number,
	handedOverRowsPerMs: number | null = null,
): PollPlan {
	if (states.every(isFinished)) return { due: [], wakeAt: null, timeLimitReached: false };
	if (now >= deadline) return { due: [], wakeAt: null, timeLimitReached: true };
	const times = pollTimes(states, settings, handedOverRowsPerMs);
	const due = queueOrder(states)
		.filter((index) => times[index] <= now)
		.slice(0, MAX_DUE_AT_ONCE);
	if (due.length > 0) return { due, wakeAt: now, timeLimitReached: false };
	const next = Math.min(deadline, ...times);
	return { due: [], wakeAt: next, timeLimitReached: false };
}
