import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { describeBatch, type AwaitedBatch } from '../input/batchSource';
import { OUTPUT_DONE, pairedTo, type OutputCollector } from './outputCollector';
import { errorJson, stopReport, type BatchOutcome, type LastStatus } from './summary';

const FAILED_BATCH_HINT =
	'Marketo stopped this batch: rows it had not processed were not imported (its counts say how many it had). Common causes: a header Marketo does not know, an empty file, or a wrong format (delimiter). Fix the file and import it again: rows imported again update the same records.';

/**
 * The error for a batch Marketo ended Failed. When it stops the node (`outcomes` given:
 * every batch of the input and its last status), the description names the batches
 * that finished, whose rows are then not output, and how to fetch them.
 */
export function failedBatchError(
	this: IExecuteFunctions,
	batch: AwaitedBatch,
	last: LastStatus,
	outcomes?: BatchOutcome[],
) {
	const why = last.message !== '' ? last.message : 'Marketo gave no reason';
	const description =
		outcomes === undefined
			? FAILED_BATCH_HINT
			: `${FAILED_BATCH_HINT} ${stopReport(outcomes)} With On Failed Batch set to "Output It on Done", a Failed batch is output on Done and the other batches go on.`;
	return new NodeOperationError(
		this.getNode(),
		`Marketo ended ${describeBatch(batch)} as Failed: ${why}`,
		{
			itemIndex: batch.itemIndex,
			description,
		},
	);
}

/** Continue On Fail, or rethrow. */
export function handleBatchError(
	this: IExecuteFunctions,
	collector: OutputCollector,
	batch: AwaitedBatch,
	error: Error,
	last?: LastStatus,
): void {
	if (!this.continueOnFail()) throw error;
	collector.add(batch.itemIndex, OUTPUT_DONE, [
		{ json: errorJson(batch, error.message, last), pairedItem: pairedTo(batch) },
	]);
}

export function cancelledError(this: IExecuteFunctions) {
	return new NodeOperationError(
		this.getNode(),
		'The execution was stopped while waiting for Marketo batches; the batches keep running in Marketo',
	);
}
