/**
 * Mode "Check Once": one status call per batch, output what Marketo says now. For
 * waits of hours, a workflow loops this with n8n's Wait and If nodes (on `stillRunning`)
 * instead of keeping an execution busy.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import {
	fetchBatchStatus,
	isFinishedStatus,
	type BatchStatus,
} from '../../shared/jobs/batchStatus';
import { targetOf, type AwaitedBatch } from '../helpers/input/batchSource';
import { stillRunningJson } from '../helpers/output/summary';
import { handedOverStatus, readBatches } from '../helpers/input/readBatches';
import {
	readResultOptions,
	stopsOnFailedBatch,
	type ResultOptions,
} from '../helpers/input/options';
import { cancelledError, failedBatchError, handleBatchError } from '../helpers/output/batchErrors';
import { outputFinishedBatch } from '../helpers/output/finishedBatch';
import { OUTPUT_DONE, OutputCollector, pairedTo } from '../helpers/output/outputCollector';
import { RunFiles } from '../helpers/rows/runFiles';

/** Status calls (and result-file fetches) in flight at once: well inside Marketo's 10 concurrent (advice: 5). */
const CHECKS_AT_ONCE = 3;

interface Checked {
	batch: AwaitedBatch;
	last: BatchStatus;
}

/** The batch's status now, or null when it became an error item (Continue On Fail). */
async function checkStatus(
	this: IExecuteFunctions,
	collector: OutputCollector,
	batch: AwaitedBatch,
): Promise<Checked | null> {
	try {
		// A batch Bulk Import already saw end will not change: no call for it.
		const last =
			handedOverStatus(batch) ??
			(await fetchBatchStatus.call(this, targetOf(batch), batch.itemIndex));
		return { batch, last };
	} catch (error) {
		handleBatchError.call(this, collector, batch, error as Error);
		return null;
	}
}

async function outputChecked(
	this: IExecuteFunctions,
	collector: OutputCollector,
	{ batch, last }: Checked,
	options: ResultOptions,
	files: RunFiles,
): Promise<void> {
	try {
		if (isFinishedStatus(last.status)) {
			await outputFinishedBatch.call(this, collector, batch, last, options, files);
		} else {
			// The batch item it came from stays in it (fields and file), so a workflow can send it
			// straight back into Check Once (If, Wait) and its rows still tie back to the file.
			const input = this.getInputData()[batch.itemIndex];
			collector.add(batch.itemIndex, OUTPUT_DONE, [
				{
					json: { ...input?.json, ...stillRunningJson(batch, last) },
					...(input?.binary ? { binary: input.binary } : {}),
					pairedItem: pairedTo(batch),
				},
			]);
		}
	} catch (error) {
		handleBatchError.call(this, collector, batch, error as Error, last);
	}
}

/** Runs `work` on the items CHECKS_AT_ONCE at a time, stopping between groups when the execution is stopped. */
async function inGroups<T, R>(
	context: IExecuteFunctions,
	items: T[],
	work: (item: T) => Promise<R>,
	signal: AbortSignal | undefined,
): Promise<R[]> {
	const results: R[] = [];
	for (let start = 0; start < items.length; start += CHECKS_AT_ONCE) {
		if (signal?.aborted) throw cancelledError.call(context);
		results.push(...(await Promise.all(items.slice(start, start + CHECKS_AT_ONCE).map(work))));
	}
	return results;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const collector = new OutputCollector(this.getInputData().length);
	const options = readResultOptions.call(this);
	const signal = this.getExecutionCancelSignal?.();
	const batches = readBatches.call(this, collector);
	// Every status first: a Failed batch that stops the node names all the others.
	const checked = (
		await inGroups(
			this,
			batches,
			async (batch) => await checkStatus.call(this, collector, batch),
			signal,
		)
	).filter((c): c is Checked => c !== null);
	if (stopsOnFailedBatch.call(this, options)) {
		const failed = checked.find((c) => c.last.status === 'Failed');
		if (failed !== undefined) throw failedBatchError.call(this, failed.batch, failed.last, checked);
	}
	// Every output at once: the downloads are limited by RunFiles, and a batch's tie-back
	// may wait for an earlier part of the same file (submittedFiles.ts), which must not
	// sit in a later group.
	const files = new RunFiles(this, batches);
	for (const batch of batches) {
		const found = checked.find((c) => c.batch === batch);
		if (found === undefined || !isFinishedStatus(found.last.status)) files.letGo(batch);
	}
	if (signal?.aborted) throw cancelledError.call(this);
	try {
		await Promise.all(
			checked.map(async (c) => await outputChecked.call(this, collector, c, options, files)),
		);
	} finally {
		await files.close();
	}
	return collector.outputs();
}
