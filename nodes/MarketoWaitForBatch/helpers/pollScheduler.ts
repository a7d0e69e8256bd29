/**
 * Decides WHEN to ask Marketo for the status of each batch we wait for, and WHICH
 * batches are worth a call at all. Pure: time comes in as epoch milliseconds, so the
 * same code runs against the real clock in the node and a virtual clock in tests.
 *
 * Why it is not a fixed "every 5 s": Marketo counts every status call against the
 * instance's shared limits (100 calls / 20 s, 50,000 a day), and a 10-minute import
 * polled every 5 s costs 120 calls. Instead:
 * - the first poll comes soon after submission (small files finish in seconds);
 * - while a batch is Queued, the gap doubles up to the user's maximum;
 * - while a batch is Importing, its running counts tell how fast it goes, so we poll
 *   at the predicted end (clamped to [minimum, maximum]);
 * - Marketo's import queue is FIFO with two lanes, so a batch behind one of ours that
 *   is still Queued cannot have started: we do not spend calls on it.
 */
import type { BatchStatusName } from '../../shared/batch';
import { estimateCompletion, isFinishedStatus } from '../../shared/batchStatus';

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
	firstPollDelayMs: 2500,
	minIntervalMs: 2000,
	maxIntervalMs: 30000,
	queuedBackoffStartMs: 5000,
};

/** Marketo processes at most this many imports of an instance at the same time. */
export const MARKETO_IMPORT_LANES = 2;

/** How many status answers per batch the prediction looks at (the newest ones). */
const OBSERVATIONS_KEPT = 3;

export interface StatusObservation {
	at: number;
	status: BatchStatusName;
	/** rows Marketo has finished with so far (imported + failed) */
	rowsProcessed: number;
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
	// Counts from an earlier phase (e.g. 0 while Queued) would make the rate look slower.
	const keptHistory = samePhase ? state.observations : [];
	return {
		...state,
		observations: [...keptHistory, observation].slice(-OBSERVATIONS_KEPT),
		samePhasePolls: samePhase ? state.samePhasePolls + 1 : 1,
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

/** When this batch should next be polled (epoch ms), ignoring queue position. */
export function nextPollAt(state: BatchPollState, settings: PollSettings): number {
	const last = lastObservation(state);
	if (last === undefined) return state.submittedAt + settings.firstPollDelayMs;
	if (isFinishedStatus(last.status)) return Number.POSITIVE_INFINITY;
	const maxMs = Math.max(settings.maxIntervalMs, settings.minIntervalMs);
	if (last.status === 'Queued') {
		return last.at + backoffInterval(settings.queuedBackoffStartMs, state.samePhasePolls, maxMs);
	}
	const end = predictedEnd(state);
	if (end !== null) {
		return last.at + clamp(end - last.at, settings.minIntervalMs, maxMs);
	}
	// Importing, but no rate yet (one answer so far, or the counts did not move).
	return last.at + backoffInterval(settings.minIntervalMs, state.samePhasePolls, maxMs);
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
 * Indices of the unfinished batches that can change state right now: the oldest ones,
 * at most one per import lane plus the first queued one. Everything behind a batch of
 * ours that is still Queued is queued too (FIFO), so it is not polled.
 */
export function batchesWorthPolling(states: BatchPollState[]): number[] {
	const chosen: number[] = [];
	for (const index of queueOrder(states)) {
		if (isFinished(states[index])) continue;
		chosen.push(index);
		if (lastObservation(states[index])?.status === 'Queued') break;
		if (chosen.length === MARKETO_IMPORT_LANES + 1) break;
	}
	return chosen;
}

export interface PollPlan {
	/** poll these now (indices into the states) */
	due: number[];
	/** when nothing is due: sleep until this time (epoch ms); null when every batch is finished */
	wakeAt: number | null;
	/** the overall time limit has passed: stop waiting */
	timeLimitReached: boolean;
}

export function planPolls(
	states: BatchPollState[],
	now: number,
	settings: PollSettings,
	deadline: number,
): PollPlan {
	const candidates = batchesWorthPolling(states);
	if (candidates.length === 0) return { due: [], wakeAt: null, timeLimitReached: false };
	if (now >= deadline) return { due: [], wakeAt: null, timeLimitReached: true };
	const due: number[] = [];
	let wakeAt = deadline;
	for (const index of candidates) {
		const at = nextPollAt(states[index], settings);
		if (at <= now) due.push(index);
		else wakeAt = Math.min(wakeAt, at);
	}
	return { due, wakeAt: due.length > 0 ? now : wakeAt, timeLimitReached: false };
}
