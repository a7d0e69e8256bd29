import type { IDataObject } from 'n8n-workflow';

import type { ImportType } from './importTypes';
import type { CsvFormat } from './csv/formats';

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
	fileName: string;
	part: number;
	partCount: number;
	rows: number;
	bytes: number;
	firstRowNumber: number;
	firstSourceItemIndex?: number;
	submittedFile?: {
		binaryProperty: string;
		dataStart: number;
		dataEnd: number;
	};
	submittedAt: string;
	/** the instance's import speed Bulk Import measured while waiting for queue slots (rows/s), when it did */
	observedRowsPerSecond?: number;
}
