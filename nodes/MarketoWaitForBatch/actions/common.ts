/**
 * What both modes share: reading the batches from the input, turning a finished batch
 * into output items, and collecting the items per output in input order.
 */
import {
	BINARY_ENCODING,
	NodeOperationError,
	sleep,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import type { BatchStatus } from '../../shared/batchStatus';
import { delimiterOf, fileExtensionOf, mimeTypeOf } from '../../shared/csv/formats';
import { batchPath } from '../../shared/importTypes';
import { marketoDownloadText } from '../../shared/transport';
import {
	BatchInputError,
	batchFromItemJson,
	batchFromParameters,
	describeBatch,
	type AwaitedBatch,
} from '../helpers/batchSource';
import { parseResultFile, toRowJson, type ResultFile, type ResultRowKind } from '../helpers/resultRows';
import { checkCounts, errorJson, summaryJson, type LastStatus } from '../helpers/summary';
import {
	noSubmittedFileTies,
	sourceItemIndexOf,
	tieBackResultFiles,
	type OpenSource,
	type RowTie,
} from '../helpers/tieBack';
import { OUTPUT_DONE, OUTPUT_FAILED_ROWS, OUTPUT_WARNING_ROWS, type BatchSource } from './descriptions';

export interface ResultOptions {
	attachResultFiles: boolean;
	countWarningsAsFailed: boolean;
}

export function readResultOptions(this: IExecuteFunctions): ResultOptions {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	return {
		attachResultFiles: options.attachResultFiles === true,
		countWarningsAsFailed: options.countWarningsAsFailed === true,
	};
}

/**
 * The three outputs, filled per input item so that the final order follows the input
 * whatever order the batches finish in.
 */
export class OutputCollector {
	private readonly slots: INodeExecutionData[][][];

	constructor(itemCount: number) {
		this.slots = Array.from({ length: itemCount }, () => [[], [], []]);
	}

	add(itemIndex: number, output: number, items: INodeExecutionData[]): void {
		this.slots[itemIndex][output].push(...items);
	}

	outputs(): INodeExecutionData[][] {
		return [OUTPUT_DONE, OUTPUT_FAILED_ROWS, OUTPUT_WARNING_ROWS].map((output) =>
			this.slots.flatMap((slot) => slot[output]),
		);
	}
}

export function pairedTo(batch: AwaitedBatch) {
	return { item: batch.itemIndex };
}

/**
 * The batches of the input, in input order. A bad item stops the node, or under
 * Continue On Fail becomes an error item on Done and is left out.
 */
export function readBatches(this: IExecuteFunctions, collector: OutputCollector): AwaitedBatch[] {
	const items = this.getInputData();
	const source = this.getNodeParameter('batchSource', 0, 'input') as BatchSource;
	const batches: AwaitedBatch[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			batches.push(
				source === 'define'
					? batchFromParameters(
							{
								batchId: this.getNodeParameter('batchId', itemIndex),
								importType: this.getNodeParameter('importType', itemIndex),
								objectApiName: this.getNodeParameter('objectApiName', itemIndex, ''),
								fileFormat: this.getNodeParameter('fileFormat', itemIndex, 'csv'),
							},
							itemIndex,
						)
					: batchFromItemJson(items[itemIndex].json, itemIndex),
			);
		} catch (error) {
			const failure =
				error instanceof BatchInputError
					? new NodeOperationError(this.getNode(), error.message, { itemIndex })
					: error;
			if (!this.continueOnFail()) throw failure;
			collector.add(itemIndex, OUTPUT_DONE, [
				{ json: { error: (failure as Error).message }, pairedItem: { item: itemIndex } },
			]);
		}
	}
	return batches;
}

/** The batch's end as Bulk Import already read it (while waiting for a queue slot), or null. */
export function handedOverStatus(batch: AwaitedBatch): BatchStatus | null {
	const seen = batch.finalStatus;
	if (seen === undefined) return null;
	return {
		batchId: batch.batchId,
		status: seen.status,
		rowsProcessed: seen.rowsProcessed,
		rowsFailed: seen.rowsFailed,
		rowsWithWarning: seen.rowsWithWarning,
		message: seen.message,
		raw: {},
		readAt: Date.parse(seen.seenAt),
	};
}

/** The error for a batch Marketo ended Failed. */
function batchFailedError(this: IExecuteFunctions, batch: AwaitedBatch, last: LastStatus) {
	const why = last.message !== '' ? last.message : 'Marketo gave no reason';
	return new NodeOperationError(this.getNode(), `Marketo ended ${describeBatch(batch)} as Failed: ${why}`, {
		itemIndex: batch.itemIndex,
		description:
			'A Failed batch imported nothing. Common causes: a header Marketo does not know, an empty file, or a wrong format (delimiter). Fix the file and import it again.',
	});
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

function openBinary(this: IExecuteFunctions, binary: IBinaryData): OpenSource {
	return async () => {
		if (binary.id) return await this.helpers.getBinaryStream(binary.id);
		return [Buffer.from(binary.data, BINARY_ENCODING)];
	};
}

/** The submitted part as a re-readable byte source, or null when the item does not carry it. */
function submittedPartOf(this: IExecuteFunctions, batch: AwaitedBatch) {
	const ref = batch.submittedFile;
	if (ref === undefined) return null;
	const binary = this.getInputData()[batch.itemIndex]?.binary?.[ref.binaryProperty];
	if (binary === undefined) return null;
	return {
		open: openBinary.call(this, binary),
		delimiter: delimiterOf(batch.format),
		dataStart: ref.dataStart,
		dataEnd: ref.dataEnd,
		firstRowNumber: batch.firstRowNumber,
	};
}

async function downloadResultFile(
	this: IExecuteFunctions,
	batch: AwaitedBatch,
	resource: 'failures' | 'warnings',
): Promise<string> {
	return await marketoDownloadText.call(this, {
		method: 'GET',
		path: batchPath(batch, batch.batchId, resource),
		idempotent: true,
		itemIndex: batch.itemIndex,
	});
}

function rowItems(
	batch: AwaitedBatch,
	file: ResultFile,
	ties: RowTie[],
	kind: ResultRowKind,
): INodeExecutionData[] {
	const context = {
		kind,
		batchId: batch.batchId,
		importType: batch.importType,
		objectApiName: batch.objectApiName,
	};
	return file.rows.map((row, index) => {
		const tie = ties[index];
		return {
			json: toRowJson(row, context, {
				rowNumber: tie.rowNumber,
				sourceItemIndex: sourceItemIndexOf(tie.rowNumber, batch.firstRowNumber, batch.firstSourceItemIndex),
				tieBack: tie.tieBack,
			}),
			pairedItem: pairedTo(batch),
		};
	});
}

/**
 * A batch Marketo has finished, whichever mode saw it. Failed imported nothing, so it is
 * the item's error. Complete: fetch its failure / warning files (only when the counts say
 * they hold rows), tie the rows back to the submitted file, and add the summary and the
 * row items to the outputs.
 */
export async function outputFinishedBatch(
	this: IExecuteFunctions,
	collector: OutputCollector,
	batch: AwaitedBatch,
	last: BatchStatus,
	options: ResultOptions,
): Promise<void> {
	if (last.status === 'Failed') throw batchFailedError.call(this, batch, last);
	// Side by side: the last batch's two downloads are on the critical path of the whole wait.
	const [failuresText, warningsText] = await Promise.all([
		last.rowsFailed > 0 ? downloadResultFile.call(this, batch, 'failures') : null,
		last.rowsWithWarning > 0 ? downloadResultFile.call(this, batch, 'warnings') : null,
	]);
	const delimiter = delimiterOf(batch.format);
	const failures = failuresText === null ? null : parseResultFile(failuresText, delimiter);
	const warnings = warningsText === null ? null : parseResultFile(warningsText, delimiter);

	const files = [failures, warnings].filter((file): file is ResultFile => file !== null && file.rows.length > 0);
	const part = files.length > 0 ? submittedPartOf.call(this, batch) : null;
	const ties = part === null ? files.map(noSubmittedFileTies) : await tieBackResultFiles(files, part);
	const tiesOf = (file: ResultFile | null) => (file === null ? [] : (ties[files.indexOf(file)] ?? []));

	const failedRows = failures === null ? [] : rowItems(batch, failures, tiesOf(failures), 'failed');
	const warningRows = warnings === null ? [] : rowItems(batch, warnings, tiesOf(warnings), 'warning');
	const warningsOutput = options.countWarningsAsFailed ? OUTPUT_FAILED_ROWS : OUTPUT_WARNING_ROWS;
	collector.add(batch.itemIndex, OUTPUT_FAILED_ROWS, failedRows);
	collector.add(batch.itemIndex, warningsOutput, warningRows);

	const summary: INodeExecutionData = {
		json: summaryJson({
			batch,
			last,
			endedAt: last.readAt,
			failedRowItems: failedRows.length + (options.countWarningsAsFailed ? warningRows.length : 0),
			warningRowItems: options.countWarningsAsFailed ? 0 : warningRows.length,
			counts: checkCounts(last, {
				failed: failures === null ? null : failures.rows.length,
				warning: warnings === null ? null : warnings.rows.length,
			}),
			stillRunning: false,
		}),
		pairedItem: pairedTo(batch),
	};
	if (options.attachResultFiles) {
		summary.binary = await resultFileBinaries.call(this, batch, failuresText, warningsText);
	}
	collector.add(batch.itemIndex, OUTPUT_DONE, [summary]);
}

async function resultFileBinaries(
	this: IExecuteFunctions,
	batch: AwaitedBatch,
	failuresText: string | null,
	warningsText: string | null,
) {
	const binaries: Record<string, IBinaryData> = {};
	const extension = fileExtensionOf(batch.format);
	const mimeType = mimeTypeOf(batch.format);
	for (const [property, text] of [
		['failures', failuresText],
		['warnings', warningsText],
	] as const) {
		if (text === null) continue;
		binaries[property] = await this.helpers.prepareBinaryData(
			Buffer.from(text, 'utf8'),
			`marketo-batch-${batch.batchId}-${property}.${extension}`,
			mimeType,
		);
	}
	return binaries;
}

/** Stopping the execution must end the wait at once, also on n8n versions whose sleep ignores the signal. */
export async function pauseUnlessCancelled(ms: number, signal: AbortSignal | undefined): Promise<void> {
	if (signal === undefined) {
		await sleep(ms);
		return;
	}
	if (signal.aborted) return;
	await new Promise<void>((resolve) => {
		const finish = () => {
			signal.removeEventListener('abort', finish);
			resolve();
		};
		signal.addEventListener('abort', finish, { once: true });
		sleep(ms, signal).then(finish, finish);
	});
}

export function cancelledError(this: IExecuteFunctions) {
	return new NodeOperationError(
		this.getNode(),
		'The execution was stopped while waiting for Marketo batches; the batches keep running in Marketo',
	);
}
