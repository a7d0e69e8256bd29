import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
} from 'n8n-workflow';

import { batchPath, type ImportTarget } from '../importTypes';
import type { BatchStatusName } from '../batch';
import { marketoApiRequest } from '../transport';
import { currentClock } from '../pacing';

/**
 * One status answer, the same shape for the three import types. Leads and
 * program members count processed rows in `numOfLeadsProcessed`, custom
 * objects in `numOfObjectsProcessed`; callers should not have to care.
 */
export interface BatchStatus {
	batchId: number;
	status: BatchStatusName;
	rowsProcessed: number;
	rowsFailed: number;
	rowsWithWarning: number;
	message: string;
	raw: IDataObject;
	/** epoch ms the counts describe (see statusReadTime) */
	readAt: number;
	/** the counts were read within this many ms of readAt */
	readUncertaintyMs: number;
}

export interface StatusObservation {
	/** epoch ms when the status was read */
	at: number;
	/** the status was read within this many ms of `at` (0 when unknown) */
	uncertaintyMs?: number;
	/** rows Marketo has handled so far (processed + failed: both leave the queue) */
	rowsProcessed: number;
	status: string;
}

const KNOWN_STATUSES: BatchStatusName[] = ['Queued', 'Importing', 'Complete', 'Failed'];

function toCount(value: unknown): number {
	const n = typeof value === 'number' ? value : Number(value);
	return Number.isFinite(n) && n >= 0 ? n : 0;
}

/** Pure: Marketo's status record -> BatchStatus. Unknown status words are kept as Importing (still running). */
export function normalizeBatchStatus(
	raw: IDataObject,
	batchId: number,
	readAt = 0,
	readUncertaintyMs = 0,
): BatchStatus {
	const status = KNOWN_STATUSES.find(
		(s) => s.toLowerCase() === String(raw.status ?? '').toLowerCase(),
	);
	return {
		batchId: raw.batchId === undefined ? batchId : Number(raw.batchId),
		status: status ?? 'Importing',
		rowsProcessed: toCount(raw.numOfLeadsProcessed ?? raw.numOfObjectsProcessed),
		rowsFailed: toCount(raw.numOfRowsFailed),
		rowsWithWarning: toCount(raw.numOfRowsWithWarning),
		message: typeof raw.message === 'string' ? raw.message : '',
		raw,
		readAt,
		readUncertaintyMs,
	};
}

/** Pure: what a status answer tells the schedule. */
export function observationOf(
	status: BatchStatus,
): StatusObservation & { status: BatchStatusName } {
	return {
		at: status.readAt,
		uncertaintyMs: status.readUncertaintyMs,
		status: status.status,
		rowsProcessed: status.rowsProcessed + status.rowsFailed,
	};
}

export function isFinishedStatus(status: string): boolean {
	return status === 'Complete' || status === 'Failed';
}

/** The answer is dated on the pacing's clock, so a fake clock in tests dates it in fake time too. */
export async function fetchBatchStatus(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	target: ImportTarget & { batchId: number },
	itemIndex?: number,
): Promise<BatchStatus> {
	const clock = currentClock();
	const sentAt = clock.now();
	const result = (await marketoApiRequest.call(this, {
		method: 'GET',
		path: batchPath(target, target.batchId, 'status'),
		idempotent: true,
		itemIndex,
	})) as IDataObject[];
	const read = statusReadTime(sentAt, clock.now());
	return normalizeBatchStatus(result[0] ?? {}, target.batchId, read.at, read.uncertaintyMs);
}

/**
 * Marketo's answers for a batch id it does not know (or that another API user made, which
 * this user may not read): 1003 "Batch ID not found" is what is seen; 1013 "object not
 * found", 610 "not found" and an empty result are read the same way.
 */
const BATCH_NOT_FOUND_CODES = new Set(['1003', '1013', '610']);

function marketoCodeOf(error: unknown): string | undefined {
	const code = (error as { httpCode?: unknown } | null)?.httpCode;
	return typeof code === 'string' ? code : undefined;
}

/** A batch's status, or null when Marketo says there is no such batch (for this import type and user). */
export async function probeBatchStatus(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	target: ImportTarget & { batchId: number },
	itemIndex?: number,
): Promise<BatchStatus | null> {
	const sentAt = Date.now();
	let result: IDataObject[];
	try {
		result = (await marketoApiRequest.call(this, {
			method: 'GET',
			path: batchPath(target, target.batchId, 'status'),
			idempotent: true,
			itemIndex,
		})) as IDataObject[];
	} catch (error) {
		if (BATCH_NOT_FOUND_CODES.has(marketoCodeOf(error) ?? '')) return null;
		// The transport throws n8n errors already; anything else is wrapped so n8n can show it.
		throw error instanceof NodeApiError || error instanceof NodeOperationError
			? error
			: new NodeOperationError(this.getNode(), error as Error, { itemIndex });
	}
	if (result[0] === undefined || result[0].status === undefined) return null;
	const read = statusReadTime(sentAt, Date.now());
	return normalizeBatchStatus(result[0], target.batchId, read.at, read.uncertaintyMs);
}

/**
 * Longer than one status call normally takes: a call that took longer went through
 * retries (a token refresh, a 606 window), so its start says nothing about its answer.
 */
const SINGLE_CALL_MS = 2_000;

/**
 * Pure: the moment a status answer describes, and how far off that may be. Marketo reads
 * a batch's counts somewhere between the call leaving and its answer coming back: the
 * call can leave late from a busy n8n, or wait at a busy server (0.67 s measured), and
 * the answer can take long too. So an answer is dated halfway, give or take half the
 * call; a call long enough to have been retried read its counts on its last attempt,
 * shortly before the answer.
 */
export function statusReadTime(
	sentAt: number,
	answeredAt: number,
): { at: number; uncertaintyMs: number } {
	const took = Math.max(0, answeredAt - sentAt);
	if (took > SINGLE_CALL_MS) return { at: answeredAt, uncertaintyMs: SINGLE_CALL_MS / 2 };
	return { at: sentAt + took / 2, uncertaintyMs: took / 2 };
}

/**
 * A speed from two readings is trusted when their dating may be off by at most this share
 * of the time between them: two readings 0.3 s apart, one of them read 0.67 s after it was
 * sent, once made the speed three times too low, and every poll came that much too late.
 * Not 10%: in a busy n8n a status call takes 100 to 250 ms, and no pair 1 s apart passed
 * (bench makespan 0.88). The bound is the worst case; the usual error is a fraction of it.
 */
const MAX_SPEED_ERROR = 0.25;

/** Pure: how far apart two readings dated within `uncertaintyMs` together must be for a trusted speed. */
export function gapForTrustedRateMs(uncertaintyMs: number): number {
	return uncertaintyMs / MAX_SPEED_ERROR;
}

/**
 * Pure: the import speed (rows per ms) from two Importing readings of one batch, the pair
 * furthest apart among those precise enough (MAX_SPEED_ERROR); null when none is.
 * `at` is the newer reading's time.
 */
export function trustedRate(
	readings: StatusObservation[],
): { at: number; rowsPerMs: number } | null {
	const importing = readings.filter((o) => o.status === 'Importing');
	let best: { at: number; rowsPerMs: number; elapsed: number } | null = null;
	for (let i = 0; i < importing.length; i++) {
		for (let j = i + 1; j < importing.length; j++) {
			const [a, b] =
				importing[i].at <= importing[j].at
					? [importing[i], importing[j]]
					: [importing[j], importing[i]];
			const elapsed = b.at - a.at;
			const rows = b.rowsProcessed - a.rowsProcessed;
			const error = (a.uncertaintyMs ?? 0) + (b.uncertaintyMs ?? 0);
			if (rows <= 0 || elapsed <= 0 || error > MAX_SPEED_ERROR * elapsed) continue;
			if (best === null || elapsed > best.elapsed)
				best = { at: b.at, rowsPerMs: rows / elapsed, elapsed };
		}
	}
	return best === null ? null : { at: best.at, rowsPerMs: best.rowsPerMs };
}

/**
 * Pure: when will this batch finish? Uses the import rate between two readings in
 * which the batch was moving (trustedRate), and extrapolates the remaining rows from
 * the newest one. Returns null when there is no trusted rate yet (still queued, a
 * single reading, readings too close for their dating) - the caller then falls back
 * to a backoff schedule instead of guessing.
 */
export function estimateCompletion(
	observations: Array<{ at: number; rowsProcessed: number; status: string }>,
	totalRows: number,
): number | null {
	if (observations.length === 0) return null;
	const sorted = [...observations].sort((a, b) => a.at - b.at);
	const last = sorted[sorted.length - 1];
	if (isFinishedStatus(last.status)) return last.at;
	if (last.rowsProcessed >= totalRows && totalRows > 0) return last.at;

	// The rate only means something while importing; readings taken while
	// queued would dilute it with waiting time.
	const rate = trustedRate(sorted);
	const latest = sorted.filter((o) => o.status === 'Importing').pop();
	if (rate === null || latest === undefined) return null;
	const remaining = Math.max(0, totalRows - latest.rowsProcessed);
	return Math.round(latest.at + remaining / rate.rowsPerMs);
}

/**
 * Queue prediction. Marketo runs the bulk imports of an instance first in,
 * first out on two lanes, at a speed (rows per second) that belongs to the
 * instance rather than to one batch. So once that speed is known, the start
 * and end of each of our batches follows from the lane schedule, and one
 * status call at the predicted end is usually enough. Foreign jobs ahead of
 * ours are invisible; observations that contradict the schedule (still
 * Queued, fewer rows than expected) simply move the prediction.
 */
export const MARKETO_IMPORT_LANES = 2;
/** Marketo holds at most this many bulk import jobs per instance (queued + importing). */
export const MARKETO_QUEUE_CAPACITY = 10;

/** What the prediction needs to know about one batch of ours. */
export interface ScheduledBatch {
	/** epoch ms of the create call's answer: the batch cannot start before */
	submittedAt: number;
	/** data rows, null when unknown (then no prediction for it) */
	rows: number | null;
	/** oldest first */
	observations: StatusObservation[];
	/** the newest time it was seen Queued (its start is later), null when never */
	lastQueuedAt: number | null;
}

export interface PredictedRun {
	start: number;
	end: number;
	/**
	 * How many predictions this run stands on since a reading last placed its lane: 0 when
	 * its own Importing reading places it, 1 when it follows such a batch (or starts on a
	 * free lane), and so on. Every hop adds the speed's error once more, and an end that a
	 * Complete answer had to cut short is only known to lie before that answer, so the
	 * batch after it counts at least 2.
	 */
	hops: number;
}

function latestObservation(batch: ScheduledBatch, status: string): StatusObservation | undefined {
	for (let i = batch.observations.length - 1; i >= 0; i--) {
		if (batch.observations[i].status === status) return batch.observations[i];
	}
	return undefined;
}

function finishedObservation(batch: ScheduledBatch): StatusObservation | undefined {
	return batch.observations.find((o) => isFinishedStatus(o.status));
}

/**
 * Pure: the instance's import speed in rows per millisecond, or null.
 * Best: two Importing readings of one batch far enough apart for their dating (exact,
 * see trustedRate). Otherwise one Importing
 * reading gives a lower bound - the batch cannot have started before it was
 * submitted or while it was still seen Queued - and the highest lower bound
 * is the closest. A low estimate makes polls come late, never early, so only
 * exact speeds are used for scheduling (learnRowsPerMs); the bound is reported.
 */
export function learnRowsPerMs(batches: ScheduledBatch[]): number | null {
	const learnt = learnSpeed(batches);
	// Only an exact speed schedules anything: a batch that waited in the queue makes the
	// lower bound many times too low (measured: 8x), and every poll and retry then comes
	// far too late. One more reading of an importing batch makes the speed exact.
	return learnt?.exact ? learnt.rowsPerMs : null;
}

/** Pure: like learnRowsPerMs, telling whether the value is exact or only a lower bound. */
export function learnSpeed(
	batches: ScheduledBatch[],
): { rowsPerMs: number; exact: boolean } | null {
	let exact: { at: number; rowsPerMs: number } | null = null;
	let lowerBound: number | null = null;
	for (const batch of batches) {
		const importing = batch.observations.filter((o) => o.status === 'Importing');
		const trusted = trustedRate(importing);
		if (trusted !== null && (exact === null || trusted.at > exact.at)) exact = trusted;
		const latest = importing[importing.length - 1];
		if (latest !== undefined && latest.rowsProcessed > 0) {
			const earliestStart = Math.max(
				batch.submittedAt,
				batch.lastQueuedAt ?? Number.NEGATIVE_INFINITY,
			);
			const elapsed = latest.at - earliestStart;
			if (elapsed > 0) lowerBound = Math.max(lowerBound ?? 0, latest.rowsProcessed / elapsed);
		}
	}
	if (exact !== null) return { rowsPerMs: exact.rowsPerMs, exact: true };
	return lowerBound === null ? null : { rowsPerMs: lowerBound, exact: false };
}

/**
 * Pure: predicted start and end (epoch ms) of each batch, given in queue
 * order (oldest first, finished ones included so they hold their lane until
 * they ended). null for a batch without a row count.
 */
export function predictRuns(
	batches: ScheduledBatch[],
	rowsPerMs: number,
	lanes = MARKETO_IMPORT_LANES,
): Array<PredictedRun | null> {
	const laneFreeAt: number[] = Array.from({ length: lanes }, () => Number.NEGATIVE_INFINITY);
	const laneHops: number[] = Array.from({ length: lanes }, () => 0);
	// First in, first out: no batch starts before an older one did.
	let olderStart = Number.NEGATIVE_INFINITY;
	return batches.map((batch) => {
		if (batch.rows === null || !(rowsPerMs > 0)) return null;
		const lane = laneFreeAt.indexOf(Math.min(...laneFreeAt));
		const importing = latestObservation(batch, 'Importing');
		let start: number;
		let end: number;
		let hops: number;
		if (importing !== undefined) {
			hops = 0;
			// Its own counts say where it is, whatever ran before it.
			start = importing.at - importing.rowsProcessed / rowsPerMs;
			end = importing.at + Math.max(0, batch.rows - importing.rowsProcessed) / rowsPerMs;
		} else {
			start = Math.max(
				laneFreeAt[lane],
				batch.submittedAt,
				batch.lastQueuedAt ?? Number.NEGATIVE_INFINITY,
				olderStart,
			);
			end = start + batch.rows / rowsPerMs;
			hops = laneHops[lane] + 1;
		}
		const finished = finishedObservation(batch);
		let cutShort = false;
		if (finished !== undefined) {
			cutShort = finished.at < end;
			end = Math.min(end, finished.at);
		} else {
			// Not finished at its newest reading: it ends after that.
			const newest = batch.observations[batch.observations.length - 1];
			if (newest !== undefined) end = Math.max(end, newest.at);
		}
		laneFreeAt[lane] = end;
		laneHops[lane] = cutShort ? Math.max(hops, 1) : hops;
		olderStart = Math.max(olderStart, Math.min(start, end));
		return { start: Math.min(start, end), end, hops };
	});
}

/**
 * Pure: how long after a predicted end to poll, so the poll usually finds
 * the batch done: 7% of how far ahead the prediction reaches (a small error
 * in the speed grows with it), at least 250 ms.
 */
export function pollMarginMs(horizonMs: number): number {
	return Math.max(250, Math.round(0.07 * Math.max(0, horizonMs)));
}
