/**
 * A create-import whose outcome is unknown (docs/DECISIONS.md "A create whose outcome is
 * unknown"). Marketo may have made the batch and lost its answer, so sending the part again at
 * once could run the same rows in Marketo's two lanes at the same time. Instead the node looks
 * for the batches Marketo made since the last batch id it knows, waits until every one of them
 * has finished, and only then sends the part again. The rows may then be imported twice, one
 * batch after the other (an upsert repeated: same result), never at the same time.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { isFinishedStatus, probeBatchStatus } from '../../../shared/jobs/batchStatus';
import type { ImportTarget } from '../../../shared/importTypes';
import { marketoInstanceRoot } from '../../../shared/transport';
import { currentClock } from '../../../shared/pacing';
import { waitUntilFinished, type QueueWaitBudget } from '../../../shared/jobs/queueWait';

/** A gateway can answer 5xx while Marketo is still making the batch: give it time to appear. */
export const SETTLE_MS = 10_000;
/**
 * Consecutive ids Marketo does not know that end the search. Batches of other API users read
 * as unknown too, so a short gap is normal; ten covers a full import queue of theirs.
 */
export const UNKNOWN_IDS_ENDING_SEARCH = 10;
/** Sending one part again at most this often; a Marketo failing every create is not transient. */
export const MAX_UNCERTAIN_CREATES_PER_PART = 3;

/**
 * Highest batch id seen per Marketo instance. Marketo numbers batches in creation order, so a
 * batch made by a lost create has a higher id. Kept in this n8n process and in the workflow's
 * static data (which n8n saves after every execution that is not a manual test run, on
 * workers too), so that only a workflow's very first upload to an instance has no id to look
 * from. A value that is too low only widens the search; Marketo never hands out an id twice.
 */
const highestBatchIdByInstance = new Map<string, number>();
const STATIC_DATA_KEY = 'marketoHighestBatchIdByInstance';

function staticAnchors(context: IExecuteFunctions): Record<string, number> {
	const data = context.getWorkflowStaticData('global');
	const anchors = data[STATIC_DATA_KEY];
	if (anchors !== null && typeof anchors === 'object' && !Array.isArray(anchors))
		return anchors as Record<string, number>;
	const fresh: Record<string, number> = {};
	data[STATIC_DATA_KEY] = fresh;
	return fresh;
}

export async function rememberBatchId(
	context: IExecuteFunctions,
	batchId: number,
	itemIndex: number,
): Promise<void> {
	const root = await marketoInstanceRoot.call(context, itemIndex);
	const known = highestBatchIdByInstance.get(root);
	if (known === undefined || batchId > known) highestBatchIdByInstance.set(root, batchId);
	const anchors = staticAnchors(context);
	if (!(Number(anchors[root]) >= batchId)) anchors[root] = batchId;
}

export async function highestKnownBatchId(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<number | null> {
	const root = await marketoInstanceRoot.call(context, itemIndex);
	const inProcess = highestBatchIdByInstance.get(root) ?? -1;
	const saved = Number(staticAnchors(context)[root]);
	const highest = Math.max(inProcess, Number.isInteger(saved) ? saved : -1);
	return highest >= 0 ? highest : null;
}

/** Test knob: forget what earlier tests' simulators numbered (in this process; static data lives with each run). */
export function forgetKnownBatchIds(): void {
	highestBatchIdByInstance.clear();
}

export interface SettleOptions {
	itemIndex: number;
	budget: QueueWaitBudget;
	/** "rows 41-60" for messages */
	rowsLabel: string;
}

/** How far below the next part's id the node looks for a batch the first, lost upload made. */
export const IDS_LOOKED_AT_BELOW = 20;

/**
 * Finds every batch of `target`'s kind with an id above `anchorId` and waits until each has
 * finished. Returns their ids: any of them may be the lost create's batch.
 */
export async function settleBatchesAfter(
	context: IExecuteFunctions,
	target: ImportTarget,
	anchorId: number,
	options: SettleOptions,
): Promise<number[]> {
	return await settleBatches(context, target, { above: anchorId }, options);
}

/**
 * The same when no id was known before the lost create: `nextId` is the batch of a part
 * uploaded after it, so the lost one, if made, has an id just below it (or, made late by a slow
 * Marketo, above it). Looks at most IDS_LOOKED_AT_BELOW ids down.
 */
export async function settleBatchesAround(
	context: IExecuteFunctions,
	target: ImportTarget,
	nextId: number,
	options: SettleOptions,
): Promise<number[]> {
	return await settleBatches(context, target, { above: nextId, below: nextId }, options);
}

async function settleBatches(
	context: IExecuteFunctions,
	target: ImportTarget,
	range: { above: number; below?: number },
	options: SettleOptions,
): Promise<number[]> {
	const clock = currentClock();
	const settleStarted = clock.now();
	try {
		await clock.sleep(
			Math.min(SETTLE_MS, options.budget.remainingMs()),
			context.getExecutionCancelSignal?.(),
			'queue',
		);
	} finally {
		options.budget.charge(clock.now() - settleStarted);
	}
	// First find them all, then wait: batches made while waiting came after the lost one.
	const found: number[] = [];
	const running: number[] = [];
	const look = async (ids: Iterable<number>) => {
		let unknownInARow = 0;
		for (const batchId of ids) {
			if (unknownInARow >= UNKNOWN_IDS_ENDING_SEARCH) return;
			const status = await probeBatchStatus.call(
				context,
				{ ...target, batchId },
				options.itemIndex,
			);
			if (status === null) {
				unknownInARow++;
				continue;
			}
			unknownInARow = 0;
			found.push(batchId);
			if (!isFinishedStatus(status.status)) running.push(batchId);
		}
	};
	if (range.below !== undefined)
		await look(idsDown(range.below - 1, Math.max(1, range.below - IDS_LOOKED_AT_BELOW)));
	await look(idsUp(range.above + 1));
	for (const batchId of running) {
		await waitUntilFinished(
			context,
			{ ...target, batchId },
			{
				itemIndex: options.itemIndex,
				budget: options.budget,
				reason: `Marketo may have made it from the upload of ${options.rowsLabel} whose answer was lost, and those rows are sent again only once it has finished`,
			},
		);
	}
	return found.sort((a, b) => a - b);
}

function* idsUp(from: number): Generator<number> {
	for (let id = from; ; id++) yield id;
}

function* idsDown(from: number, to: number): Generator<number> {
	for (let id = from; id >= to; id--) yield id;
}
