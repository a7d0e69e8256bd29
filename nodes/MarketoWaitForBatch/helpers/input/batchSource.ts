/**
 * Which batch an input item stands for. Pure: problems are thrown as BatchInputError
 * (a plain Error with a message a user can act on); the action turns it into a
 * NodeOperationError for the right item.
 */
import type { IDataObject } from 'n8n-workflow';

import type { BatchStatusName, SeenFinalStatus, SubmittedGroup } from '../../../shared/batch';
import { isResolvedEncoding, type ResolvedEncoding } from '../../../shared/csv/encoding';
import { isCsvFormat, type CsvFormat } from '../../../shared/csv/formats';
import type { ImportTarget, ImportType } from '../../../shared/importTypes';
import { itemRangesFrom, type ItemRange } from '../../../shared/itemRanges';

export interface SubmittedFileRef {
	binaryProperty: string;
	dataStart: number;
	dataEnd: number;
	/** a grouped import's part: its rows are the range's rows of this group */
	group?: SubmittedGroup;
	/** the part's rows' numbers, when not every row of the range is the part's (batch.ts) */
	rowNumbers?: ItemRange[];
}

/** Everything the node needs to know about one batch it waits for. */
export interface AwaitedBatch {
	itemIndex: number;
	batchId: number;
	importId?: string;
	importType: ImportType;
	objectApiName?: string;
	format: CsvFormat;
	/** the encoding the submitted file was read in (UTF-8 when not said) */
	fileEncoding: ResolvedEncoding;
	fileName?: string;
	part?: number;
	partCount?: number;
	/** data rows in the batch when known (lets the scheduler predict the end) */
	rows: number | null;
	firstRowNumber: number;
	firstSourceItemIndex?: number;
	sourceItemRanges?: ItemRange[];
	submittedFile?: SubmittedFileRef;
	/** ISO time of the create call's answer, null when not known (Define Below) */
	submittedAt: string | null;
	/** the status the item arrived with (Bulk Import's create answer) */
	initialStatus: BatchStatusName | null;
	/** the batch's end as Bulk Import already read it, when it did: no status call needed */
	finalStatus?: SeenFinalStatus;
}

export class BatchInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BatchInputError';
	}
}

const IMPORT_TYPES: ImportType[] = ['leads', 'programMembers', 'customObjects'];
const STATUSES: BatchStatusName[] = ['Queued', 'Importing', 'Complete', 'Failed'];

export function isImportType(value: unknown): value is ImportType {
	return IMPORT_TYPES.includes(value as ImportType);
}

/** A positive whole number, also from a numeric string (expressions often give strings). */
export function toBatchId(value: unknown): number | null {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
	return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

function optionalNumber(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Pure: a grouped part's group, when well-formed (column indices and as many string values). */
export function groupOf(value: unknown): SubmittedGroup | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const { columns, values } = value as IDataObject;
	if (
		!Array.isArray(columns) ||
		!Array.isArray(values) ||
		columns.length === 0 ||
		columns.length !== values.length
	) {
		return undefined;
	}
	if (
		!columns.every((c) => Number.isInteger(c) && (c as number) >= 0) ||
		!values.every((v) => typeof v === 'string')
	) {
		return undefined;
	}
	return { columns: columns as number[], values: values as string[] };
}

function submittedFileOf(value: unknown): SubmittedFileRef | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const ref = value as IDataObject;
	const { binaryProperty, dataStart, dataEnd } = ref;
	if (
		typeof binaryProperty !== 'string' ||
		typeof dataStart !== 'number' ||
		typeof dataEnd !== 'number'
	) {
		return undefined;
	}
	const group = groupOf(ref.group);
	const rowNumbers = itemRangesFrom(ref.rowNumbers);
	return {
		binaryProperty,
		dataStart,
		dataEnd,
		...(group ? { group } : {}),
		...(rowNumbers ? { rowNumbers } : {}),
	};
}

function count(value: unknown): number | null {
	return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

/** Pure: Bulk Import's handed-over final status, or undefined when absent or not well-formed. */
export function finalStatusOf(value: unknown): SeenFinalStatus | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const seen = value as IDataObject;
	const counts = [count(seen.rowsProcessed), count(seen.rowsFailed), count(seen.rowsWithWarning)];
	if (seen.status !== 'Complete' && seen.status !== 'Failed') return undefined;
	if (counts.some((n) => n === null)) return undefined;
	if (typeof seen.seenAt !== 'string' || Number.isNaN(Date.parse(seen.seenAt))) return undefined;
	return {
		status: seen.status,
		rowsProcessed: counts[0] as number,
		rowsFailed: counts[1] as number,
		rowsWithWarning: counts[2] as number,
		message: typeof seen.message === 'string' ? seen.message : '',
		seenAt: seen.seenAt,
	};
}

/**
 * Pure: the note for an earlier node's error item that names no batch (Marketo Bulk Import under
 * Continue On Fail: the rows it did not submit, next to the items of the batches it did). There
 * is nothing to wait for and nothing wrong with the other batches, so the item is passed through
 * on Done with this note instead of failing the node. Null for any other item.
 */
export function upstreamErrorNote(json: IDataObject): string | null {
	if (json.error === undefined || json.error === null || toBatchId(json.batchId) !== null)
		return null;
	return 'Passed through: an error item from an earlier node, not a batch, so there is nothing to wait for.';
}

/** The batch of an item as Marketo Bulk Import output it (a BatchDescriptor). */
export function batchFromItemJson(json: IDataObject, itemIndex: number): AwaitedBatch {
	const batchId = toBatchId(json.batchId);
	if (batchId === null) {
		const hint =
			json.error !== undefined
				? 'it is an error item from an earlier node'
				: 'it has no "batchId" field';
		throw new BatchInputError(
			`Item ${itemIndex} carries no Marketo batch: ${hint}. Connect the output of Marketo Bulk Import, or set Batch Source to "Define Below".`,
		);
	}
	if (!isImportType(json.importType)) {
		throw new BatchInputError(
			`Item ${itemIndex} (batch ${batchId}) has no valid "importType" (leads, programMembers or customObjects).`,
		);
	}
	const objectApiName = optionalString(json.objectApiName);
	if (json.importType === 'customObjects' && objectApiName === undefined) {
		throw new BatchInputError(
			`Item ${itemIndex} (batch ${batchId}) is a custom object import without "objectApiName".`,
		);
	}
	const submittedAt = optionalString(json.submittedAt);
	return {
		itemIndex,
		batchId,
		importId:
			optionalString(json.importId) ??
			(typeof json.importId === 'number' ? String(json.importId) : undefined),
		importType: json.importType,
		objectApiName: json.importType === 'customObjects' ? objectApiName : undefined,
		format: isCsvFormat(json.format) ? json.format : 'csv',
		fileEncoding: isResolvedEncoding(json.fileEncoding) ? json.fileEncoding : 'utf-8',
		fileName: optionalString(json.fileName),
		part: optionalNumber(json.part),
		partCount: optionalNumber(json.partCount),
		rows: optionalNumber(json.rows) ?? null,
		firstRowNumber: optionalNumber(json.firstRowNumber) ?? 1,
		firstSourceItemIndex: optionalNumber(json.firstSourceItemIndex),
		sourceItemRanges: itemRangesFrom(json.sourceItemRanges),
		submittedFile: submittedFileOf(json.submittedFile),
		submittedAt:
			submittedAt !== undefined && !Number.isNaN(Date.parse(submittedAt)) ? submittedAt : null,
		initialStatus: STATUSES.includes(json.status as BatchStatusName)
			? (json.status as BatchStatusName)
			: null,
		finalStatus: finalStatusOf(json.finalStatus),
	};
}

/** A batch named by the node's parameters (Batch Source "Define Below"). */
export function batchFromParameters(
	parameters: {
		batchId: unknown;
		importType: unknown;
		objectApiName?: unknown;
		fileFormat?: unknown;
	},
	itemIndex: number,
): AwaitedBatch {
	const batchId = toBatchId(parameters.batchId);
	if (batchId === null) {
		throw new BatchInputError(
			`Batch ID must be a positive whole number (item ${itemIndex} gave ${JSON.stringify(parameters.batchId)}).`,
		);
	}
	if (!isImportType(parameters.importType)) {
		throw new BatchInputError(`Unknown import type ${JSON.stringify(parameters.importType)}.`);
	}
	const objectApiName =
		typeof parameters.objectApiName === 'string' ? parameters.objectApiName.trim() : '';
	if (parameters.importType === 'customObjects' && objectApiName === '') {
		throw new BatchInputError('A custom object batch needs the Custom Object API Name.');
	}
	return {
		itemIndex,
		batchId,
		importType: parameters.importType,
		objectApiName: parameters.importType === 'customObjects' ? objectApiName : undefined,
		format: isCsvFormat(parameters.fileFormat) ? parameters.fileFormat : 'csv',
		fileEncoding: 'utf-8',
		rows: null,
		firstRowNumber: 1,
		submittedAt: null,
		initialStatus: null,
	};
}

export function targetOf(batch: AwaitedBatch): ImportTarget & { batchId: number } {
	return {
		importType: batch.importType,
		objectApiName: batch.objectApiName,
		batchId: batch.batchId,
	};
}

/** "batch 12 (part 2 of 3 of leads.csv)": how messages name a batch. */
export function describeBatch(batch: AwaitedBatch): string {
	const where =
		batch.part !== undefined && batch.partCount !== undefined && batch.partCount > 1
			? ` (part ${batch.part} of ${batch.partCount}${batch.fileName ? ` of ${batch.fileName}` : ''})`
			: batch.fileName
				? ` (${batch.fileName})`
				: '';
	return `batch ${batch.batchId}${where}`;
}
