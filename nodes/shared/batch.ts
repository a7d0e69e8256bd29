import type { IDataObject } from 'n8n-workflow';

import type { ImportType } from './importTypes';
import type { ResolvedEncoding } from './csv/encoding';
import type { CsvFormat } from './csv/formats';
import type { ItemRange } from './itemRanges';

export type BatchStatusName = 'Queued' | 'Importing' | 'Complete' | 'Failed';

/**
 * What Marketo Bulk Import outputs for every batch it submits, and what
 * Marketo Wait for Batch reads. See docs/ARCHITECTURE.md for the contract.
 */
export interface BatchDescriptor extends IDataObject {
	batchId: number;
	importId: string;
	status: BatchStatusName;
	importType: ImportType;
	objectApiName?: string;
	programId?: number;
	programMemberStatus?: string;
	lookupField?: string;
	listId?: number;
	partitionName?: string;
	format: CsvFormat;
	/**
	 * The encoding the file was read in. Other than UTF-8, what was uploaded is the file
	 * transcoded to UTF-8, and `submittedFile`'s offsets are offsets in that (encoding.ts).
	 */
	fileEncoding?: ResolvedEncoding;
	fileName: string;
	part: number;
	partCount: number;
	rows: number;
	bytes: number;
	firstRowNumber: number;
	firstSourceItemIndex?: number;
	/**
	 * "Items" input: the input items written as this part's rows, in row order. Items with
	 * equal settings share a file, so these need not be one run (itemRanges.ts).
	 */
	sourceItemRanges?: ItemRange[];
	submittedFile?: {
		binaryProperty: string;
		dataStart: number;
		dataEnd: number;
		/**
		 * A grouped import (Member Status or Program from a column): the part's rows are the
		 * rows in [dataStart, dataEnd) whose columns at `columns` (header indices) hold `values`
		 * (surrounding spaces ignored); the other rows in the range belong to other batches.
		 */
		group?: SubmittedGroup;
		/**
		 * The part's rows' data-row numbers in the file, when they are not every row of
		 * [dataStart, dataEnd): rows of a record an earlier part holds are taken out of their
		 * part and uploaded in a later one (the same-key guard), so a part's range may hold
		 * rows that are not its own, and a held-back part's rows are spread over the file.
		 * `firstRowNumber` is the number of the range's first row (itemRanges.ts).
		 */
		rowNumbers?: ItemRange[];
	};
	submittedAt: string;
	/** the instance's import speed Bulk Import measured while waiting for queue slots (rows/s), when it did */
	observedRowsPerSecond?: number;
	/** the batch's end, when Bulk Import already saw it while waiting for a queue slot */
	finalStatus?: SeenFinalStatus;
	/**
	 * Rows of this part's range that were held back for a later part (the same-key guard):
	 * their records have rows in an earlier part, and two batches holding the same lookup
	 * value (dedupe fields for custom objects) never run at once.
	 */
	rowsHeldBack?: number;
	/**
	 * Batches that had to finish before this part was uploaded, because they hold earlier
	 * rows of this part's records (the same-key guard); absent when it waited for none.
	 */
	waitedForBatchIds?: number[];
	/**
	 * Set when creating this batch first failed in a way that leaves Marketo's answer unknown
	 * (HTTP 5xx, a lost connection, 604/608/611/713): batches Marketo may have made from that
	 * first upload. They had finished before this part was sent again, so the same rows never
	 * ran twice at the same time; one of them may have imported these rows already.
	 */
	possibleDuplicateBatchIds?: number[];
	/** a sentence for the user when something about this batch needs their attention */
	notice?: string;
}

/** The rows of a part of a grouped import: those in [dataStart, dataEnd) whose group columns hold `values`. */
export interface SubmittedGroup extends IDataObject {
	/** indices of the group columns in the file's header */
	columns: number[];
	values: string[];
}

/**
 * A finished status Bulk Import read itself (its oldest batch, to find a free queue
 * slot). Handed over so Wait for Batch does not spend another status call on it.
 */
export interface SeenFinalStatus extends IDataObject {
	status: 'Complete' | 'Failed';
	rowsProcessed: number;
	rowsFailed: number;
	rowsWithWarning: number;
	message: string;
	/** ISO time of the status answer */
	seenAt: string;
}
