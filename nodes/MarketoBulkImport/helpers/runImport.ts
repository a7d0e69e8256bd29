import {
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IPairedItemData,
} from 'n8n-workflow';

import { isFileEncoding, type FileEncoding } from '../../shared/csv/encoding';
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
import { openBinarySource, parseColumnList, inMemorySource, sourceItemsOfPart } from './readInput';
import {
	createImportSession,
	PartialImportError,
	submitParts,
	type ImportSession,
	type RowsNotSubmitted,
	type SubmitSettings,
	type SubmittedPart,
} from './submitParts';

/** The generated file's binary property on Items-input output items. */
export const GENERATED_FILE_PROPERTY = 'data';

/** Pure: the File Encoding option (Auto when unset or unknown). */
export function fileEncodingOf(options: ImportOptions): FileEncoding {
	return isFileEncoding(options.fileEncoding) ? options.fileEncoding : 'auto';
}

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
async function submitToItems(
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
			},
		},
		binary: { [binaryProperty]: binary },
		pairedItem: { item: itemIndex },
	}));
}

/** Items input's batch items; each carries its generated part file and is paired to the items in it. */
async function generatedBatchItems(
	this: IExecuteFunctions,
	parts: SubmittedPart[],
	fileName: string,
	format: CsvFormat,
): Promise<INodeExecutionData[]> {
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

	const { binary, open } = openBinarySource(this, itemIndex, binaryProperty);
	const originalName = binary.fileName ?? '';
	const fallbackName = `marketo-${plan.target.importType}.${fileExtensionOf(format === 'auto' ? 'csv' : format)}`;
	return await submitToItems.call(
		this,
		async () =>
			await submitParts.call(
				this,
				session,
				plan,
				{
					open,
					encoding: fileEncodingOf(options),
					fileName: options.fileName?.trim() || originalName || fallbackName,
					detectionFileName: originalName || undefined,
					mimeType: binary.mimeType,
					format,
					subject: `The file in item ${itemIndex}, binary property '${binaryProperty}'`,
					keepPartBodies: false,
					fixHint: `Fix the file in binary property '${binaryProperty}' (a header line of REST API field names, then one row per record) and run again.`,
				},
				itemIndex,
				submitSettingsFrom(options),
			),
		async (parts) => binaryBatchItems(parts, binaryProperty, binary, itemIndex),
		itemIndex,
		() => ({ item: itemIndex }),
	);
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
	if (plan.grouping) {
		throw new NodeOperationError(this.getNode(), `${plan.grouping.columns.map((c) => c.parameter).join(' and ')} "From a Column" needs Binary File input`, {
			itemIndex: 0,
			description: 'With Items input, set the status (or program) per item with an expression instead, or set Input Source to Binary File.',
		});
	}
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
	return await submitToItems.call(
		this,
		async () =>
			await submitParts.call(
				this,
				session,
				plan,
				{
					open: inMemorySource(body),
					encoding: 'utf-8',
					fileName,
					format,
					subject: `The file written from the ${items.length} input items`,
					keepPartBodies: true,
					fixHint: 'Give the items at least one field (or list the fields in "Columns").',
				},
				0,
				submitSettingsFrom(options),
			),
		async (parts) => await generatedBatchItems.call(this, parts, fileName, format),
		0,
		// Row N is item N-1: the error item is paired to the items whose rows were not submitted.
		({ from, to }) => sourceItemsOfPart(from, (to ?? items.length) - from + 1).map((item) => ({ item })),
	);
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
