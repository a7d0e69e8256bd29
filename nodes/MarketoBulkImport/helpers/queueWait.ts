import { NodeOperationError, sleep, type IExecuteFunctions } from 'n8n-workflow';

import {
	estimateCompletion,
	fetchBatchStatus,
	isFinishedStatus,
	type StatusObservation,
} from '../../shared/batchStatus';
import type { ImportTarget } from '../../shared/importTypes';

/**
 * Marketo runs at most 10 bulk imports per instance (2 processing, 8 waiting)
 * and answers 1016 when that shared queue is full (1019 when the static list
 * is busy with another import). Re-uploading a 10 MB part every few seconds
 * would waste calls and bandwidth, so the wait depends on whose jobs fill it:
 * - ours: a slot frees exactly when one of our batches finishes; read its
 *   running counts, predict that moment and sleep until then;
 * - someone else's: nothing to observe, so back off exponentially up to the
 *   user's Queue Wait Limit.
 */

const FOREIGN_BACKOFF_FIRST_MS = 5_000;
const FOREIGN_BACKOFF_MAX_MS = 120_000;
const OWN_POLL_FIRST_MS = 2_000;
const OWN_POLL_MAX_MS = 30_000;
const PREDICTION_MIN_MS = 1_000;
const PREDICTION_MAX_MS = 60_000;
/** A little after the predicted moment, so the poll usually finds the batch done. */
const PREDICTION_MARGIN_MS = 500;

/** Pure: delay before the n-th (1-based) retry when only foreign jobs fill the queue: 5 s, 10 s, 20 s ... 2 min. */
export function foreignQueueBackoffMs(waitNumber: number): number {
	const exponent = Math.max(0, waitNumber - 1);
	return Math.min(FOREIGN_BACKOFF_MAX_MS, FOREIGN_BACKOFF_FIRST_MS * 2 ** Math.min(exponent, 30));
}

/**
 * Pure: how long to sleep before reading our oldest batch's status again.
 * With a predicted finish time: until just after it (bounded, since a
 * prediction can be off). Without one (still queued): a growing interval.
 */
export function nextOwnBatchPollMs(now: number, predictedAt: number | null, pollsWithoutPrediction: number): number {
	if (predictedAt !== null) {
		const untilPredicted = predictedAt - now + PREDICTION_MARGIN_MS;
		return Math.min(PREDICTION_MAX_MS, Math.max(PREDICTION_MIN_MS, untilPredicted));
	}
	const exponent = Math.max(0, Math.min(pollsWithoutPrediction, 30));
	return Math.min(OWN_POLL_MAX_MS, OWN_POLL_FIRST_MS * 2 ** exponent);
}

/** Pure: the sleep actually taken, never past the deadline. */
export function boundedDelayMs(delayMs: number, now: number, deadline: number): number {
	return Math.max(0, Math.min(delayMs, deadline - now));
}

export function formatDuration(ms: number): string {
	const seconds = Math.round(ms / 1000);
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	const rest = seconds % 60;
	return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

export interface TrackedBatch {
	target: ImportTarget;
	batchId: number;
	rows: number;
	finished: boolean;
	observations: StatusObservation[];
}

/** Every batch this execution submitted, oldest first. Marketo's queue is FIFO, so the oldest frees a slot first. */
export class SubmittedBatches {
	private readonly batches: TrackedBatch[] = [];

	add(target: ImportTarget, batchId: number, rows: number, status: string): void {
		this.batches.push({ target, batchId, rows, finished: isFinishedStatus(status), observations: [] });
	}

	oldestUnfinished(): TrackedBatch | undefined {
		return this.batches.find((batch) => !batch.finished);
	}

	get count(): number {
		return this.batches.length;
	}
}

export interface QueueWaitOptions {
	itemIndex: number;
	waitLimitMs: number;
	/** injectable for tests; defaults to the real clock and n8n's sleep */
	now?: () => number;
	sleepMs?: (ms: number) => Promise<void>;
}

/**
 * Builds the `waitForQueueSlot` callback for one create-import call. It
 * returns when it is worth trying the upload again, or throws once the
 * Queue Wait Limit is spent.
 */
export function createQueueSlotWaiter(
	context: IExecuteFunctions,
	submitted: SubmittedBatches,
	options: QueueWaitOptions,
): (attempt: number, code: '1016' | '1019') => Promise<void> {
	const now = options.now ?? (() => Date.now());
	const cancelSignal = context.getExecutionCancelSignal?.();
	const sleepMs = options.sleepMs ?? ((ms: number) => sleep(ms, cancelSignal));
	let startedAt: number | undefined;
	let foreignWaits = 0;

	const giveUp = (code: '1016' | '1019'): never => {
		const waited = formatDuration(now() - (startedAt ?? now()));
		const reason =
			code === '1019'
				? 'Marketo is still importing other data into the same static list (code 1019).'
				: "Marketo's bulk import queue stayed full (code 1016). Each Marketo instance runs at most 10 import jobs at a time, shared by every integration.";
		throw new NodeOperationError(context.getNode(), `Gave up waiting for a free Marketo import slot after ${waited}`, {
			itemIndex: options.itemIndex,
			description: `${reason} Other integrations or earlier runs are filling the queue. Retry later, schedule this workflow outside their busy hours, or raise "Queue Wait Limit" in the node's options.`,
		});
	};

	return async (_attempt, code) => {
		if (startedAt === undefined) startedAt = now();
		const deadline = startedAt + options.waitLimitMs;

		let ours = submitted.oldestUnfinished();
		if (!ours) {
			// Only foreign jobs: nothing to watch, wait longer each time.
			foreignWaits++;
			if (now() >= deadline) giveUp(code);
			await sleepMs(boundedDelayMs(foreignQueueBackoffMs(foreignWaits), now(), deadline));
			if (now() >= deadline) giveUp(code);
			return;
		}

		// One of ours holds a slot: return as soon as one of ours is done.
		let pollsWithoutPrediction = 0;
		while (ours) {
			const status = await fetchBatchStatus.call(context, { ...ours.target, batchId: ours.batchId }, options.itemIndex);
			ours.observations.push({
				at: now(),
				rowsProcessed: status.rowsProcessed + status.rowsFailed,
				status: status.status,
			});
			if (isFinishedStatus(status.status)) {
				ours.finished = true;
				return;
			}
			if (now() >= deadline) giveUp(code);

			const predictedAt = estimateCompletion(ours.observations, ours.rows);
			const delay = nextOwnBatchPollMs(now(), predictedAt, pollsWithoutPrediction);
			if (predictedAt === null) pollsWithoutPrediction++;
			await sleepMs(boundedDelayMs(delay, now(), deadline));
			ours = submitted.oldestUnfinished();
		}
	};
}
