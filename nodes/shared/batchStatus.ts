import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';

import { batchPath, type ImportTarget } from './importTypes';
import type { BatchStatusName } from './batch';
import { marketoApiRequest } from './transport';

/**
 * One status answer, the same shape for the three import types. Leads and
 * program members count processed rows in `numOfLeadsProcessed`, custom
 * objects in `numOfObjectsProcessed`; callers should not have to care.
 */
export interface BatchStatus {
	batchId: number;
	status: BatchStatusName;
	rowsProcessed: number;
	rowsFailed: number;
	rowsWithWarning: number;
	message: string;
	raw: IDataObject;
}

export interface StatusObservation {
	/** epoch ms when the status was read */
	at: number;
	/** rows Marketo has handled so far (processed + failed: both leave the queue) */
	rowsProcessed: number;
	status: string;
}

const KNOWN_STATUSES: BatchStatusName[] = ['Queued', 'Importing', 'Complete', 'Failed'];

function toCount(value: unknown): number {
	const n = typeof value === 'number' ? value : Number(value);
	return Number.isFinite(n) && n >= 0 ? n : 0;
}

/** Pure: Marketo's status record -> BatchStatus. Unknown status words are kept as Importing (still running). */
export function normalizeBatchStatus(raw: IDataObject, batchId: number): BatchStatus {
	const status = KNOWN_STATUSES.find((s) => s.toLowerCase() === String(raw.status ?? '').toLowerCase());
	return {
		batchId: raw.batchId === undefined ? batchId : Number(raw.batchId),
		status: status ?? 'Importing',
		rowsProcessed: toCount(raw.numOfLeadsProcessed ?? raw.numOfObjectsProcessed),
		rowsFailed: toCount(raw.numOfRowsFailed),
		rowsWithWarning: toCount(raw.numOfRowsWithWarning),
		message: typeof raw.message === 'string' ? raw.message : '',
		raw,
	};
}

export function isFinishedStatus(status: string): boolean {
	return status === 'Complete' || status === 'Failed';
}

export async function fetchBatchStatus(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	target: ImportTarget & { batchId: number },
	itemIndex?: number,
): Promise<BatchStatus> {
	const result = (await marketoApiRequest.call(this, {
		method: 'GET',
		path: batchPath(target, target.batchId, 'status'),
		idempotent: true,
		itemIndex,
	})) as IDataObject[];
	return normalizeBatchStatus(result[0] ?? {}, target.batchId);
}

/**
 * Pure: when will this batch finish? Uses the import rate between the first
 * and the last observation in which the batch was moving (rows per ms), and
 * extrapolates the remaining rows. Returns null when there is no rate yet
 * (still queued, or a single reading) - the caller then falls back to a
 * backoff schedule instead of guessing.
 */
export function estimateCompletion(
	observations: Array<{ at: number; rowsProcessed: number; status: string }>,
	totalRows: number,
): number | null {
	if (observations.length === 0) return null;
	const sorted = [...observations].sort((a, b) => a.at - b.at);
	const last = sorted[sorted.length - 1];
	if (isFinishedStatus(last.status)) return last.at;
	if (last.rowsProcessed >= totalRows && totalRows > 0) return last.at;

	// The rate only means something while importing; readings taken while
	// queued would dilute it with waiting time.
	const importing = sorted.filter((o) => o.status === 'Importing');
	if (importing.length < 2) return null;
	const first = importing[0];
	const latest = importing[importing.length - 1];
	const elapsed = latest.at - first.at;
	const rows = latest.rowsProcessed - first.rowsProcessed;
	if (elapsed <= 0 || rows <= 0) return null;

	const remaining = Math.max(0, totalRows - latest.rowsProcessed);
	return Math.round(latest.at + remaining / (rows / elapsed));
}
