import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { delimiterOf, fileExtensionOf, isCsvFormat, mimeTypeOf, type CsvFormat } from '../../shared/csv/formats';
import { NestedValueError, toDelimitedFile } from '../../shared/csv/writer';
import {
	DEFAULT_PART_SIZE_MB,
	DEFAULT_QUEUE_WAIT_MINUTES,
	type ImportOptions,
	type InputSource,
} from '../actions/common.descriptions';
import { toNodeError } from './errors';
import type { PlanBuilder } from './importPlan';
import { binarySizeBytes } from './partSizing';
import { openBinarySource, parseColumnList, singleChunkSource, sourceItemsOfPart } from './readInput';
import { createImportSession, submitParts, type ImportSession, type SubmitSettings } from './submitParts';

/** The generated file's binary property on Items-input output items. */
export const GENERATED_FILE_PROPERTY = 'data';

/** Pure: node options -> what submitParts needs. */
export function submitSettingsFrom(options: ImportOptions): SubmitSettings {
	const partSizeMb = options.partSizeMb && options.partSizeMb > 0 ? options.partSizeMb : DEFAULT_PART_SIZE_MB;
	const waitMinutes =
		options.queueWaitMinutes !== undefined && options.queueWaitMinutes >= 0
			? options.queueWaitMinutes
			: DEFAULT_QUEUE_WAIT_MINUTES;
	return {
		preflight: options.preflightCheck !== false,
		partSizeLimitBytes: Math.floor(Math.min(partSizeMb, DEFAULT_PART_SIZE_MB) * 1_000_000),
		queueWaitLimitMs: waitMinutes * 60_000,
	};
}

function errorMessageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
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
	const binaryProperty = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim();
	const requested = this.getNodeParameter('fileFormat', itemIndex, 'auto') as string;
	const format: CsvFormat | 'auto' = isCsvFormat(requested) ? requested : 'auto';

	const { binary, chunks } = await openBinarySource(this, itemIndex, binaryProperty);
	const originalName = binary.fileName ?? '';
	const fallbackName = `marketo-${plan.target.importType}.${fileExtensionOf(format === 'auto' ? 'csv' : format)}`;
	const parts = await submitParts.call(
		this,
		session,
		plan,
		{
			chunks,
			fileName: options.fileName?.trim() || originalName || fallbackName,
			detectionFileName: originalName || undefined,
			mimeType: binary.mimeType,
			sizeBytes: binarySizeBytes(binary),
			format,
			subject: `The file in item ${itemIndex}, binary property '${binaryProperty}'`,
			keepPartBodies: false,
			fixHint: `Fix the file in binary property '${binaryProperty}' (a header line of REST API field names, then one row per record) and run again.`,
		},
		itemIndex,
		submitSettingsFrom(options),
	);

	return parts.map(({ descriptor, part }) => ({
		json: {
			...descriptor,
			submittedFile: { binaryProperty, dataStart: part.dataStart, dataEnd: part.dataEnd },
		},
		binary: { [binaryProperty]: binary },
		pairedItem: { item: itemIndex },
	}));
}

/**
 * Items input: all incoming items become ONE file (one row per item, in
 * order), so a workflow that collected 50,000 records makes a handful of
 * batches, not 50,000. Each output item carries its part file as binary and
 * is paired with the items whose rows are in that part.
 */
async function importAllItems(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	buildPlan: PlanBuilder,
	session: ImportSession,
): Promise<INodeExecutionData[]> {
	const plan = await buildPlan.call(this, 0);
	const options = this.getNodeParameter('options', 0, {}) as ImportOptions;
	const requested = this.getNodeParameter('itemsFormat', 0, 'csv') as string;
	const format: CsvFormat = isCsvFormat(requested) ? requested : 'csv';
	const chosenColumns = parseColumnList(String(this.getNodeParameter('columns', 0, '') ?? ''));

	let body: Buffer;
	try {
		body = toDelimitedFile(
			items.map((item) => item.json as IDataObject),
			{ delimiter: delimiterOf(format), columns: chosenColumns.length > 0 ? chosenColumns : undefined },
		).body;
	} catch (error) {
		if (error instanceof NestedValueError) {
			throw new NodeOperationError(this.getNode(), error.message, {
				itemIndex: error.itemIndex,
				description: `Write a plain value into '${error.field}' (e.g. {{ $json.${error.field}.name }} in an Edit Fields node), or leave it out by listing the wanted fields in "Columns".`,
			});
		}
		throw toNodeError(this.getNode(), error, 0);
	}

	const fileName = options.fileName?.trim() || `marketo-${plan.target.importType}.${fileExtensionOf(format)}`;
	const parts = await submitParts.call(
		this,
		session,
		plan,
		{
			chunks: singleChunkSource(body),
			sizeBytes: body.length,
			fileName,
			format,
			subject: `The file written from the ${items.length} input items`,
			keepPartBodies: true,
			fixHint: 'Give the items at least one field (or list the fields in "Columns").',
		},
		0,
		submitSettingsFrom(options),
	);

	const outputs: INodeExecutionData[] = [];
	for (const { descriptor, part } of parts) {
		if (!part.body) throw new NodeOperationError(this.getNode(), 'Internal error: a generated part lost its bytes');
		const headerBytes = part.body.length - (part.dataEnd - part.dataStart);
		const partFile = await this.helpers.prepareBinaryData(part.body, fileName, mimeTypeOf(format));
		outputs.push({
			json: {
				...descriptor,
				firstSourceItemIndex: part.firstRowNumber - 1,
				submittedFile: {
					binaryProperty: GENERATED_FILE_PROPERTY,
					dataStart: headerBytes,
					dataEnd: part.body.length,
				},
			},
			binary: { [GENERATED_FILE_PROPERTY]: partFile },
			pairedItem: sourceItemsOfPart(part.firstRowNumber, part.rows).map((item) => ({ item })),
		});
	}
	return outputs;
}

/** Runs one import operation over the node's input, honouring Continue On Fail per item. */
export async function runImport(this: IExecuteFunctions, buildPlan: PlanBuilder): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const session = createImportSession();
	const inputSource = this.getNodeParameter('inputSource', 0, 'binary') as InputSource;

	if (inputSource === 'items') {
		if (items.length === 0) return [];
		try {
			return await importAllItems.call(this, items, buildPlan, session);
		} catch (error) {
			if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, 0);
			return [{ json: { error: errorMessageOf(error) }, pairedItem: items.map((_, item) => ({ item })) }];
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
