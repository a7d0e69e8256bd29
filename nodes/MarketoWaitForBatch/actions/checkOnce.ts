/**
 * Mode "Check Once": one status call per batch, output what Marketo says now. For
 * waits of hours, a workflow loops this with n8n's Wait and If nodes (on `stillRunning`)
 * instead of keeping an execution busy.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { fetchBatchStatus, isFinishedStatus } from '../../shared/batchStatus';
import { targetOf, type AwaitedBatch } from '../helpers/batchSource';
import { stillRunningJson } from '../helpers/summary';
import {
	OutputCollector,
	cancelledError,
	handleBatchError,
	handedOverStatus,
	outputFinishedBatch,
	pairedTo,
	readBatches,
	readResultOptions,
	type ResultOptions,
} from './common';
import { OUTPUT_DONE } from './descriptions';

/** Status calls in flight at once: well inside Marketo's 10 concurrent (advice: 5). */
const CHECKS_AT_ONCE = 3;

async function checkBatch(
	this: IExecuteFunctions,
	collector: OutputCollector,
	batch: AwaitedBatch,
	options: ResultOptions,
): Promise<void> {
	try {
		// A batch Bulk Import already saw end will not change: no call for it.
		const status =
			handedOverStatus(batch) ?? (await fetchBatchStatus.call(this, targetOf(batch), batch.itemIndex));
		if (isFinishedStatus(status.status)) {
			await outputFinishedBatch.call(this, collector, batch, status, options);
		} else {
			collector.add(batch.itemIndex, OUTPUT_DONE, [
				{ json: stillRunningJson(batch, status), pairedItem: pairedTo(batch) },
			]);
		}
	} catch (error) {
		handleBatchError.call(this, collector, batch, error as Error);
	}
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const collector = new OutputCollector(this.getInputData().length);
	const options = readResultOptions.call(this);
	const signal = this.getExecutionCancelSignal?.();
	const batches = readBatches.call(this, collector);
	for (let start = 0; start < batches.length; start += CHECKS_AT_ONCE) {
		if (signal?.aborted) throw cancelledError.call(this);
		const group = batches.slice(start, start + CHECKS_AT_ONCE);
		await Promise.all(group.map(async (batch) => await checkBatch.call(this, collector, batch, options)));
	}
	return collector.outputs();
}
