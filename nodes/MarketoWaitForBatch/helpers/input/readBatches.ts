import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { BatchStatus } from '../../../shared/jobs/batchStatus';
import { OUTPUT_DONE, type OutputCollector } from '../output/outputCollector';
import {
	BatchInputError,
	batchFromItemJson,
	batchFromParameters,
	upstreamErrorNote,
	type AwaitedBatch,
} from './batchSource';
import type { BatchSource } from './options';

/**
 * The batches of the input, in input order. A bad item stops the node, or under
 * Continue On Fail becomes an error item on Done and is left out. An earlier node's
 * error item (no batch) is passed through on Done with a note, whatever the setting.
 */
export function readBatches(this: IExecuteFunctions, collector: OutputCollector): AwaitedBatch[] {
	const items = this.getInputData();
	const source = this.getNodeParameter('batchSource', 0, 'input') as BatchSource;
	const batches: AwaitedBatch[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const note = source === 'input' ? upstreamErrorNote(items[itemIndex].json) : null;
		if (note !== null) {
			collector.add(itemIndex, OUTPUT_DONE, [
				{ json: { ...items[itemIndex].json, note }, pairedItem: { item: itemIndex } },
			]);
			continue;
		}
		try {
			batches.push(
				source === 'define'
					? batchFromParameters(
							{
								batchId: this.getNodeParameter('batchId', itemIndex),
								importType: this.getNodeParameter('importType', itemIndex),
								objectApiName: this.getNodeParameter('objectApiName', itemIndex, ''),
								fileFormat: this.getNodeParameter('fileFormat', itemIndex, 'csv'),
							},
							itemIndex,
						)
					: batchFromItemJson(items[itemIndex].json, itemIndex),
			);
		} catch (error) {
			const failure =
				error instanceof BatchInputError
					? new NodeOperationError(this.getNode(), error.message, { itemIndex })
					: error;
			if (!this.continueOnFail()) throw failure;
			collector.add(itemIndex, OUTPUT_DONE, [
				{ json: { error: (failure as Error).message }, pairedItem: { item: itemIndex } },
			]);
		}
	}
	return batches;
}

/** The batch's end as Bulk Import already read it (while waiting for a queue slot), or null. */
export function handedOverStatus(batch: AwaitedBatch): BatchStatus | null {
	const seen = batch.finalStatus;
	if (seen === undefined) return null;
	return {
		batchId: batch.batchId,
		status: seen.status,
		rowsProcessed: seen.rowsProcessed,
		rowsFailed: seen.rowsFailed,
		rowsWithWarning: seen.rowsWithWarning,
		message: seen.message,
		raw: {},
		readAt: Date.parse(seen.seenAt),
		// A finished answer only cuts predictions short; how precisely it is dated does not matter.
		readUncertaintyMs: 0,
	};
}
