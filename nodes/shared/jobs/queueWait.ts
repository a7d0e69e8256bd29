import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { SeenFinalStatus } from '../batch';
import {
	estimateCompletion,
	fetchBatchStatus,
	isFinishedStatus,
	probeBatchStatus,
	learnRowsPerMs,
	MARKETO_QUEUE_CAPACITY,
	observationOf,
	pollMarginMs,
	predictRuns,
	type BatchStatus,
	type ScheduledBatch,
	type StatusObservation,
} from './batchStatus';
import type { ImportTarget } from '../importTypes';
import { currentClock } from '../pacing';

/**
 * Marketo runs at most 10 bulk imports per instance (2 processing, 8 waiting)
 * and answers 1016 when that shared queue is full (1019 when the static list
 * is busy with another import). Re-uploading a 10 MB part every few seconds
 * would waste calls and bandwidth, so the wait depends on whose jobs fill it:
 * - ours: a slot frees exactly when one of our batches finishes. Marketo
 *   imports at one speed per instance, first in, first out on two lanes, so
 *   once one reading of running counts gives that speed, every batch's end
 *   follows from the lane schedule: sleep until the next predicted end and
 *   retry the upload without another status call; read a status only when
 *   the queue stays full past a predicted end (someone else's jobs);
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
export function nextOwnBatchPollMs(
	now: number,
	predictedAt: number | null,
	pollsWithoutPrediction: number,
): number {
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

export interface TrackedBatch extends ScheduledBatch {
	target: ImportTarget;
	batchId: number;
	rows: number;
	finished: boolean;
	/** the finished status as read, to hand over to Wait for Batch */
	finalStatus?: SeenFinalStatus;
}

/** Every batch this execution submitted, oldest first. Marketo's queue is FIFO, so the oldest frees a slot first. */
export class SubmittedBatches {
	private readonly batches: TrackedBatch[] = [];

	add(
		target: ImportTarget,
		batchId: number,
		rows: number,
		status: string,
		submittedAt = currentClock().now(),
	): void {
		this.batches.push({
			target,
			batchId,
			rows,
			finished: isFinishedStatus(status),
			observations: [],
			submittedAt,
			lastQueuedAt: null,
		});
	}

	record(batch: TrackedBatch, observation: StatusObservation, status?: BatchStatus): void {
		batch.observations.push(observation);
		if (observation.status === 'Queued') batch.lastQueuedAt = observation.at;
		if (isFinishedStatus(observation.status)) {
			batch.finished = true;
			if (status !== undefined) batch.finalStatus = seenFinalStatus(status);
		}
	}

	oldestUnfinished(): TrackedBatch | undefined {
		return this.batches.find((batch) => !batch.finished);
	}

	/** Batches not yet seen finished. */
	unfinishedCount(): number {
		return this.batches.filter((batch) => !batch.finished).length;
	}

	/**
	 * True when our own batches not yet seen finished would fill Marketo's queue and no
	 * known speed says one has left it: an upload now would most likely earn a 1016.
	 */
	mayFillQueue(): boolean {
		return this.rowsPerMs() === null && this.unfinishedCount() >= MARKETO_QUEUE_CAPACITY;
	}

	finalStatusOf(batchId: number): SeenFinalStatus | undefined {
		return this.find(batchId)?.finalStatus;
	}

	find(batchId: number): TrackedBatch | undefined {
		return this.batches.find((batch) => batch.batchId === batchId);
	}

	/** The highest batch id Marketo gave this execution, or null before the first. */
	highestBatchId(): number | null {
		return this.batches.reduce<number | null>(
			(high, batch) => (high === null || batch.batchId > high ? batch.batchId : high),
			null,
		);
	}

	/** The instance's import speed learnt from our readings (rows per ms), or null. */
	rowsPerMs(): number | null {
		return learnRowsPerMs(this.batches);
	}

	/**
	 * The unfinished batch predicted to end first and when to look (its end plus a
	 * margin), or null without a known speed.
	 */
	nextPredictedEnd(): { batch: TrackedBatch; at: number } | null {
		const rowsPerMs = this.rowsPerMs();
		if (rowsPerMs === null) return null;
		const runs = predictRuns(this.batches, rowsPerMs);
		let next: { batch: TrackedBatch; at: number } | null = null;
		this.batches.forEach((batch, index) => {
			const run = runs[index];
			if (batch.finished || run === null) return;
			const at = run.end + pollMarginMs(run.end - run.start);
			if (next === null || at < next.at) next = { batch, at };
		});
		return next;
	}

	/**
	 * When our own batches are predicted to leave a slot in Marketo's queue (10 jobs
	 * per instance) at `now` or later; null without a known speed. Uploading
	 * earlier would only earn a 1016.
	 */
	predictedFreeSlotAt(now: number): number | null {
		const rowsPerMs = this.rowsPerMs();
		if (rowsPerMs === null) return null;
		return freeSlotAt(
			predictRuns(this.batches, rowsPerMs).map((run, index) =>
				this.batches[index].finished || run === null
					? null
					: run.end + pollMarginMs(run.end - run.start),
			),
			now,
		);
	}

	get count(): number {
		return this.batches.length;
	}
}

/** Pure: a finished status in the form Bulk Import hands over. */
export function seenFinalStatus(status: BatchStatus): SeenFinalStatus | undefined {
	if (status.status !== 'Complete' && status.status !== 'Failed') return undefined;
	return {
		status: status.status,
		rowsProcessed: status.rowsProcessed,
		rowsFailed: status.rowsFailed,
		rowsWithWarning: status.rowsWithWarning,
		message: status.message,
		seenAt: new Date(status.readAt).toISOString(),
	};
}

/**
 * Pure: given when each of our batches is predicted to leave the queue (null when it
 * has left), the first moment at or after `now` with fewer than `capacity` of them in it.
 */
export function freeSlotAt(
	leavesAt: Array<number | null>,
	now: number,
	capacity = MARKETO_QUEUE_CAPACITY,
): number {
	const stillIn = leavesAt
		.filter((at): at is number => at !== null && at > now)
		.sort((a, b) => a - b);
	if (stillIn.length < capacity) return now;
	return stillIn[stillIn.length - capacity];
}

/**
 * The user's Queue Wait Limit for one file: every wait for its parts (queue slots, a part
 * before it sharing lookup values, a batch that may have been made) draws on one budget, so a
 * 14-part file cannot wait 14 times the limit.
 */
export class QueueWaitBudget {
	private spent = 0;

	constructor(readonly limitMs: number) {}

	get spentMs(): number {
		return this.spent;
	}

	remainingMs(): number {
		return Math.max(0, this.limitMs - this.spent);
	}

	charge(ms: number): void {
		this.spent += Math.max(0, ms);
	}
}

export interface QueueWaitOptions {
	itemIndex: number;
	budget: QueueWaitBudget;
	/** injectable for tests; defaults to the pacing's clock (pacing.ts) (the real clock, a sleep a cancelled execution stops) */
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
	const now = options.now ?? (() => currentClock().now());
	const cancelSignal = context.getExecutionCancelSignal?.();
	const sleepMs =
		options.sleepMs ??
		(async (ms: number) => await currentClock().sleep(ms, cancelSignal, 'queue'));
	const { budget } = options;
	let foreignWaits = 0;
	let callStartedAt = 0;

	const giveUp = (code: '1016' | '1019'): never => {
		const waited = formatDuration(budget.spentMs + (now() - callStartedAt));
		const reason =
			code === '1019'
				? 'Marketo is still importing other data into the same static list (code 1019).'
				: "Marketo's bulk import queue stayed full (code 1016). Each Marketo instance runs at most 10 import jobs at a time, shared by every integration.";
		throw new NodeOperationError(
			context.getNode(),
			`Gave up waiting for a free Marketo import slot after ${waited}`,
			{
				itemIndex: options.itemIndex,
				description: `${reason} Other integrations or earlier runs are filling the queue. Retry later, schedule this workflow outside their busy hours, or raise "Queue Wait Limit" in the node's options.`,
			},
		);
	};

	return async (_attempt, code) => {
		callStartedAt = now();
		try {
			await waitOnce(callStartedAt + budget.remainingMs(), code);
		} finally {
			budget.charge(now() - callStartedAt);
		}
	};

	async function waitOnce(deadline: number, code: '1016' | '1019'): Promise<void> {
		let ours = submitted.oldestUnfinished();
		if (!ours) {
			// Only foreign jobs: nothing to watch, wait longer each time.
			foreignWaits++;
			if (now() >= deadline) giveUp(code);
			await sleepMs(boundedDelayMs(foreignQueueBackoffMs(foreignWaits), now(), deadline));
			if (now() >= deadline) giveUp(code);
			return;
		}

		// One of ours holds a slot: return as soon as one of ours is predicted or seen done.
		let pollsWithoutPrediction = 0;
		while (ours) {
			const predicted = submitted.nextPredictedEnd();
			if (predicted !== null && predicted.at > now()) {
				// Retry the upload then; a status call would only confirm what the schedule says.
				await sleepMs(boundedDelayMs(predicted.at - now(), now(), deadline));
				if (now() >= deadline) giveUp(code);
				return;
			}
			// No speed known yet, or the queue is still full past a predicted end: look.
			const polled = predicted?.batch ?? ours;
			const status = await fetchBatchStatus.call(
				context,
				{ ...polled.target, batchId: polled.batchId },
				options.itemIndex,
			);
			submitted.record(polled, observationOf(status), status);
			if (polled.finished) return;
			if (now() >= deadline) giveUp(code);
			if (submitted.nextPredictedEnd() === null) {
				const predictedAt = estimateCompletion(polled.observations, polled.rows);
				const delay = nextOwnBatchPollMs(now(), predictedAt, pollsWithoutPrediction);
				if (predictedAt === null) pollsWithoutPrediction++;
				await sleepMs(boundedDelayMs(delay, now(), deadline));
			}
			ours = submitted.oldestUnfinished();
		}
	}
}

/**
 * Before an upload: when our own batches are predicted to fill Marketo's queue, sleep
 * until one is predicted to leave it instead of spending a create call on a 1016.
 */
export async function waitForPredictedSlot(
	context: IExecuteFunctions,
	submitted: SubmittedBatches,
	options: Pick<QueueWaitOptions, 'now' | 'sleepMs' | 'budget'>,
): Promise<void> {
	const now = options.now ?? (() => currentClock().now());
	const sleepMs =
		options.sleepMs ??
		(async (ms: number) =>
			await currentClock().sleep(ms, context.getExecutionCancelSignal?.(), 'queue'));
	const freeAt = submitted.predictedFreeSlotAt(now());
	if (freeAt === null || freeAt <= now()) return;
	// Bounded: past the limit, the create call and its 1016 handling take over.
	const startedAt = now();
	try {
		await sleepMs(Math.min(freeAt - startedAt, options.budget.remainingMs()));
	} finally {
		options.budget.charge(now() - startedAt);
	}
}

export interface FinishWaitOptions {
	itemIndex: number;
	budget: QueueWaitBudget;
	/** why the node waits, for the error when the budget runs out: "part 4 shares 12 lookup values with it" */
	reason: string;
}

/**
 * Waits until a batch has finished (Complete or Failed), polling its status less often as it
 * runs, and returns the last status read; null when Marketo does not know the batch. Throws
 * once the file's Queue Wait Limit is spent.
 */
export async function waitUntilFinished(
	context: IExecuteFunctions,
	batch: ImportTarget & { batchId: number },
	options: FinishWaitOptions,
	tracked?: { submitted: SubmittedBatches; batch: TrackedBatch },
): Promise<BatchStatus | null> {
	const cancelSignal = context.getExecutionCancelSignal?.();
	const startedAt = currentClock().now();
	const deadline = startedAt + options.budget.remainingMs();
	let polls = 0;
	try {
		for (;;) {
			const status = await probeBatchStatus.call(context, batch, options.itemIndex);
			if (status === null) return null;
			if (tracked) {
				tracked.submitted.record(tracked.batch, observationOf(status), status);
			}
			if (isFinishedStatus(status.status)) return status;
			if (currentClock().now() >= deadline) {
				throw new NodeOperationError(
					context.getNode(),
					`Gave up waiting for Marketo batch ${batch.batchId} to finish after ${formatDuration(currentClock().now() - startedAt)}`,
					{
						itemIndex: options.itemIndex,
						description: `The node waits for it because ${options.reason}. It was still ${status.status}. Raise "Queue Wait Limit" in the node's options, or run the import when Marketo's queue is quieter.`,
					},
				);
			}
			const observations = tracked?.batch.observations ?? [];
			const predictedAt = tracked ? estimateCompletion(observations, tracked.batch.rows) : null;
			const delay = nextOwnBatchPollMs(currentClock().now(), predictedAt, polls++);
			await currentClock().sleep(
				boundedDelayMs(delay, currentClock().now(), deadline),
				cancelSignal,
				'queue',
			);
		}
	} finally {
		options.budget.charge(currentClock().now() - startedAt);
	}
}
