/**
 * The Done item of a batch: one summary per batch. Pure.
 */
import type { IDataObject } from 'n8n-workflow';

import type { BatchStatusName } from '../../../shared/batch';
import type { AwaitedBatch } from '../input/batchSource';

/** The part of a status answer the summary shows (BatchStatus from batchStatus.ts fits). */
export interface LastStatus {
	status: BatchStatusName;
	rowsProcessed: number;
	rowsFailed: number;
	rowsWithWarning: number;
	message: string;
}

export interface CountsCheck {
	countsMatch: boolean;
	countsNote?: string;
}

/**
 * Do Marketo's counts agree with the rows its files held? `fileRows` is null when the
 * file was not downloaded (the count said there was nothing to fetch).
 */
export function checkCounts(
	counts: { rowsFailed: number; rowsWithWarning: number },
	fileRows: { failed: number | null; warning: number | null },
): CountsCheck {
	const notes: string[] = [];
	const compare = (label: string, file: string, counted: number, inFile: number | null) => {
		if (inFile !== null && inFile !== counted) {
			notes.push(`Marketo counted ${counted} ${label} row(s) but its ${file} file holds ${inFile}`);
		}
	};
	compare('failed', 'failures', counts.rowsFailed, fileRows.failed);
	compare('warning', 'warnings', counts.rowsWithWarning, fileRows.warning);
	return notes.length === 0
		? { countsMatch: true }
		: { countsMatch: false, countsNote: notes.join('; ') + '.' };
}

function batchFields(batch: AwaitedBatch): IDataObject {
	const fields: IDataObject = { batchId: batch.batchId, importType: batch.importType };
	if (batch.objectApiName !== undefined) fields.objectApiName = batch.objectApiName;
	if (batch.importId !== undefined) fields.importId = batch.importId;
	return fields;
}

function fileFields(batch: AwaitedBatch): IDataObject {
	const fields: IDataObject = {};
	if (batch.part !== undefined) fields.part = batch.part;
	if (batch.partCount !== undefined) fields.partCount = batch.partCount;
	if (batch.fileName !== undefined) fields.fileName = batch.fileName;
	return fields;
}

/** Seconds from submission to end, one decimal; null when either is unknown. */
export function durationSeconds(submittedAt: string | null, endedAt: number | null): number | null {
	if (submittedAt === null || endedAt === null) return null;
	const start = Date.parse(submittedAt);
	if (Number.isNaN(start)) return null;
	return Math.round((endedAt - start) / 100) / 10;
}

export interface SummaryInput {
	batch: AwaitedBatch;
	last: LastStatus;
	/** epoch ms of the answer that said Complete/Failed; null while running */
	endedAt: number | null;
	failedRowItems: number;
	warningRowItems: number;
	counts: CountsCheck;
	stillRunning: boolean;
}

export function summaryJson(input: SummaryInput): IDataObject {
	const { batch, last } = input;
	const json: IDataObject = {
		...batchFields(batch),
		status: last.status,
		rowsProcessed: last.rowsProcessed,
		rowsFailed: last.rowsFailed,
		rowsWithWarning: last.rowsWithWarning,
		message: last.message,
		submittedAt: batch.submittedAt,
		endedAt: input.endedAt === null ? null : new Date(input.endedAt).toISOString(),
		durationSeconds: durationSeconds(batch.submittedAt, input.endedAt),
		...fileFields(batch),
		failedRowItems: input.failedRowItems,
		warningRowItems: input.warningRowItems,
		countsMatch: input.counts.countsMatch,
	};
	if (input.counts.countsNote !== undefined) json.countsNote = input.counts.countsNote;
	if (input.stillRunning) json.stillRunning = true;
	return json;
}

/** What we know of a batch before (or without) any status answer. */
export function unknownStatus(batch: AwaitedBatch): LastStatus {
	return {
		status: batch.initialStatus ?? 'Queued',
		rowsProcessed: 0,
		rowsFailed: 0,
		rowsWithWarning: 0,
		message: '',
	};
}

/** Done item of a batch that has not finished (Check Once, or the time limit). */
export function stillRunningJson(batch: AwaitedBatch, last: LastStatus): IDataObject {
	return summaryJson({
		batch,
		last,
		endedAt: null,
		failedRowItems: 0,
		warningRowItems: 0,
		counts: { countsMatch: true },
		stillRunning: true,
	});
}

/** Continue On Fail: the error item of one batch keeps the batch's fields so it can be told apart. */
export function errorJson(batch: AwaitedBatch, message: string, last?: LastStatus): IDataObject {
	const json: IDataObject = { error: message, ...batchFields(batch), ...fileFields(batch) };
	if (last !== undefined) {
		json.status = last.status;
		json.message = last.message;
	}
	return json;
}

/** One line per running batch for the time-limit error. */
export function describeRunning(batch: AwaitedBatch, last: LastStatus): string {
	const progress =
		last.status === 'Importing' && batch.rows !== null
			? `, ${last.rowsProcessed + last.rowsFailed} of ${batch.rows} rows done`
			: '';
	return `batch ${batch.batchId}: ${last.status}${progress}`;
}

/** A batch and what Marketo last said of it, for the stop errors. */
export interface BatchOutcome {
	batch: AwaitedBatch;
	last: LastStatus;
}

function hasEnded(last: LastStatus): boolean {
	return last.status === 'Complete' || last.status === 'Failed';
}

/** One entry per finished batch for the stop errors: its status and Marketo's counts. */
export function describeFinished(batch: AwaitedBatch, last: LastStatus): string {
	return `batch ${batch.batchId}: ${last.status}, ${last.rowsProcessed} rows processed, ${last.rowsFailed} failed, ${last.rowsWithWarning} with warning`;
}

/**
 * What an error that stops the node (a Failed batch, the time limit) tells about the
 * other batches, whose results it does not output: every batch that finished, every
 * batch still running, and the batch IDs whose rows Check Once can still fetch.
 */
export function stopReport(outcomes: BatchOutcome[]): string {
	const finished = outcomes.filter((o) => hasEnded(o.last));
	const running = outcomes.filter((o) => !hasEnded(o.last));
	const lines: string[] = [
		finished.length === 0
			? 'Nothing was output; no batch had finished.'
			: `Nothing was output. Finished in Marketo: ${finished.map((o) => describeFinished(o.batch, o.last)).join('; ')}.`,
	];
	if (running.length > 0) {
		lines.push(
			`Still running in Marketo: ${running.map((o) => describeRunning(o.batch, o.last)).join('; ')}.`,
		);
	}
	const complete = finished.filter((o) => o.last.status === 'Complete');
	if (complete.length > 0) {
		const ids = complete.map((o) => o.batch.batchId).join(', ');
		const failedToo = finished.some((o) => o.last.status === 'Failed');
		lines.push(
			`To get the results and the failed and warning rows of batch${complete.length === 1 ? '' : 'es'} ${ids}, ` +
				`run Mode "Check Once" with Batch Source "Define Below" (${complete.length === 1 ? `Batch ID ${ids}` : `Batch IDs ${ids}, one input item each`}), or on the same input` +
				(failedToo ? ' with On Failed Batch set to "Output It on Done".' : '.'),
		);
	}
	return lines.join(' ');
}
