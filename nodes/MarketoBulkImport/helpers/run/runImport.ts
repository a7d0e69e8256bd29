import type { IBinaryData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { fileExtensionOf, isCsvFormat, type CsvFormat } from '../../../shared/csv/formats';
import type { ImportOptions, InputSource } from './importOptions';
import { errorMessageOf, toNodeError } from '../../../shared/nodeErrors';
import { importAllItems } from '../input/importItems';
import { fileEncodingOf, submitSettingsFrom } from './importOptions';
import type { PlanBuilder } from '../plan/importPlan';
import { createImportSession, type ImportSession } from './importSession';
import { openBinarySource } from '../input/readInput';
import { submitParts } from '../upload/submitParts';
import type { FileToImport, SubmittedPart } from '../upload/types';
import { submitToItems } from './submitToItems';
import { validateFile } from '../validate/validateOnly';

/**
 * The entry point of the three import operations, and the Binary File input (a file per
 * item). The "Items" input is in importItems.ts.
 */

/** Pure: Binary File input's batch items; each keeps the input's binary with its part's byte range. */
function binaryBatchItems(
	parts: SubmittedPart[],
	binaryProperty: string,
	binary: IBinaryData,
	itemIndex: number,
): INodeExecutionData[] {
	return parts.map(({ descriptor, part }) => ({
		json: {
			...descriptor,
			submittedFile: {
				binaryProperty,
				dataStart: part.dataStart,
				dataEnd: part.dataEnd,
				// A grouped import's part: only the range's rows of its group are its rows.
				...(part.group ? { group: { ...part.group } } : {}),
				// Rows held back for a later part, or a held-back part's rows from all over the file.
				...(part.rowNumbers ? { rowNumbers: part.rowNumbers.map((range) => ({ ...range })) } : {}),
			},
		},
		binary: { [binaryProperty]: binary },
		pairedItem: { item: itemIndex },
	}));
}

/**
 * Binary input: every input item carries its own file, imported on its own.
 * The output item keeps the input's binary object (same reference, no copy)
 * so Marketo Wait for Batch can tie failed rows back to the file.
 */
async function importBinaryItem(
	this: IExecuteFunctions,
	itemIndex: number,
	buildPlan: PlanBuilder,
	session: ImportSession,
): Promise<INodeExecutionData[]> {
	const plan = await buildPlan.call(this, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as ImportOptions;
	const binaryProperty = String(
		this.getNodeParameter('binaryPropertyName', itemIndex, 'data'),
	).trim();
	const requested = this.getNodeParameter('fileFormat', itemIndex, 'auto') as string;
	const format: CsvFormat | 'auto' = isCsvFormat(requested) ? requested : 'auto';

	const { binary, open } = openBinarySource(this, itemIndex, binaryProperty);
	const originalName = binary.fileName ?? '';
	const fallbackName = `marketo-${plan.target.importType}.${fileExtensionOf(format === 'auto' ? 'csv' : format)}`;
	const file: FileToImport = {
		open,
		encoding: fileEncodingOf(options),
		fileName: options.fileName?.trim() || originalName || fallbackName,
		detectionFileName: originalName || undefined,
		mimeType: binary.mimeType,
		format,
		subject: `The file in item ${itemIndex}, binary property '${binaryProperty}'`,
		keepPartBodies: false,
		fixHint: `Fix the file in binary property '${binaryProperty}' (a header line of REST API field names, then one row per record) and run again.`,
	};
	if (options.validateOnly === true) {
		return await validateFile(this, session, plan, file, itemIndex, submitSettingsFrom(options), {
			summary: { item: itemIndex },
			row: () => ({ item: itemIndex }),
			sourceItemIndex: () => null,
			summaryBinary: { [binaryProperty]: binary },
		});
	}
	return await submitToItems.call(
		this,
		async () =>
			await submitParts.call(this, session, plan, file, itemIndex, submitSettingsFrom(options)),
		async (parts) => binaryBatchItems(parts, binaryProperty, binary, itemIndex),
		itemIndex,
		() => ({ item: itemIndex }),
	);
}

/** Runs one import operation over the node's input, honouring Continue On Fail per item. */
export async function runImport(
	this: IExecuteFunctions,
	buildPlan: PlanBuilder,
): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const session = createImportSession();
	const inputSource = this.getNodeParameter('inputSource', 0, 'binary') as InputSource;

	if (inputSource === 'items') {
		if (items.length === 0) return [];
		try {
			return await importAllItems.call(this, items, buildPlan, session);
		} catch (error) {
			if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, 0);
			return [
				{ json: { error: errorMessageOf(error) }, pairedItem: items.map((_, item) => ({ item })) },
			];
		}
	}

	const outputs: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			outputs.push(...(await importBinaryItem.call(this, itemIndex, buildPlan, session)));
		} catch (error) {
			if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, itemIndex);
			outputs.push({ json: { error: errorMessageOf(error) }, pairedItem: { item: itemIndex } });
		}
	}
	return outputs;
}
