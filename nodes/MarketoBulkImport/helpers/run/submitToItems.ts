import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IPairedItemData,
} from 'n8n-workflow';

import { toNodeError } from '../../../shared/nodeErrors';
import { PartialImportError, type RowsNotSubmitted } from '../upload/importErrors';
import type { SubmittedPart } from '../upload/types';

/**
 * Pure: the error item of an import that stopped after some parts were submitted. It names
 * the batches already in Marketo (output as batch items next to it) and the rows that were not.
 */
function stoppedImportJson(stopped: PartialImportError): IDataObject {
	const json: IDataObject = { error: stopped.message };
	if (stopped.nodeError.description) json.description = stopped.nodeError.description;
	json.fileName = stopped.submitted[0].descriptor.fileName;
	json.submittedBatchIds = stopped.submitted.map(({ descriptor }) => descriptor.batchId);
	json.rowsNotSubmitted = { ...stopped.rowsNotSubmitted };
	return json;
}

/**
 * Submits a file and turns its parts into batch items. When the import stops after some
 * parts were submitted, those batches are not dropped: under Continue On Fail their items
 * are output as for a finished import (so Wait for Batch follows them) plus one error item
 * saying which rows were not submitted and why; otherwise the error names them.
 */
export async function submitToItems(
	this: IExecuteFunctions,
	submit: () => Promise<SubmittedPart[]>,
	toItems: (parts: SubmittedPart[]) => Promise<INodeExecutionData[]>,
	itemIndex: number,
	/** the input item(s) the error item is paired to */
	errorPairedItem: (notSubmitted: RowsNotSubmitted) => IPairedItemData | IPairedItemData[],
): Promise<INodeExecutionData[]> {
	let parts: SubmittedPart[];
	try {
		parts = await submit();
	} catch (error) {
		if (!(error instanceof PartialImportError)) throw toNodeError(this.getNode(), error, itemIndex);
		if (!this.continueOnFail()) throw error.nodeError;
		return [
			...(await toItems(error.submitted)),
			{ json: stoppedImportJson(error), pairedItem: errorPairedItem(error.rowsNotSubmitted) },
		];
	}
	return await toItems(parts);
}
