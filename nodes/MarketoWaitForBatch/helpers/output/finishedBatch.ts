/**
 * A finished batch into output items: its result files downloaded, their rows tied back to the
 * submitted file, a summary on Done and the row items on Failed Rows and Warning Rows.
 */
import type { IBinaryData, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { delimiterOf, fileExtensionOf, mimeTypeOf } from '../../../shared/csv/formats';
import { batchPath } from '../../../shared/importTypes';
import type { BatchStatus } from '../../../shared/jobs/batchStatus';
import { toRowJson, type ResultRowKind } from '../../../shared/rowItems';
import { marketoDownloadText } from '../../../shared/transport';
import type { AwaitedBatch } from '../input/batchSource';
import type { ResultOptions } from '../input/options';
import { parseResultFile, type ResultFile } from '../rows/resultRows';
import type { RunFiles } from '../rows/runFiles';
import {
	noSubmittedFileTies,
	sourceItemIndexOf,
	tieBackResultFiles,
	type RowTie,
} from '../rows/tieBack';
import { failedBatchError } from './batchErrors';
import {
	OUTPUT_DONE,
	OUTPUT_FAILED_ROWS,
	OUTPUT_WARNING_ROWS,
	pairedTo,
	type OutputCollector,
} from './outputCollector';
import { checkCounts, summaryJson } from './summary';

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
				sourceItemIndex: sourceItemIndexOf(
					tie.rowNumber,
					batch.firstRowNumber,
					batch.firstSourceItemIndex,
					batch.sourceItemRanges,
				),
				tieBack: tie.tieBack,
			}),
			pairedItem: pairedTo(batch),
		};
	});
}

/**
 * A batch Marketo has finished, whichever mode saw it. Failed (Marketo stopped it) is the
 * item's error, unless On Failed Batch is "Output It on Done" (then it is output like a
 * Complete one, with its status and Marketo's message). Otherwise: fetch its failure /
 * warning files (only when the counts say they hold rows), tie the rows back to the
 * submitted file, and add the summary and the row items to the outputs.
 */
export async function outputFinishedBatch(
	this: IExecuteFunctions,
	collector: OutputCollector,
	batch: AwaitedBatch,
	last: BatchStatus,
	options: ResultOptions,
	files: RunFiles,
): Promise<void> {
	try {
		await outputFinished.call(this, collector, batch, last, options, files);
	} finally {
		files.letGo(batch);
	}
}

async function outputFinished(
	this: IExecuteFunctions,
	collector: OutputCollector,
	batch: AwaitedBatch,
	last: BatchStatus,
	options: ResultOptions,
	runFiles: RunFiles,
): Promise<void> {
	if (last.status === 'Failed' && options.onFailedBatch !== 'outputOnDone') {
		throw failedBatchError.call(this, batch, last);
	}
	// Side by side: the last batch's two downloads are on the critical path of the whole wait.
	const [failuresText, warningsText] = await runFiles.download(
		async () =>
			await Promise.all([
				last.rowsFailed > 0 ? downloadResultFile.call(this, batch, 'failures') : null,
				last.rowsWithWarning > 0 ? downloadResultFile.call(this, batch, 'warnings') : null,
			]),
	);
	const delimiter = delimiterOf(batch.format);
	const failures = failuresText === null ? null : parseResultFile(failuresText, delimiter);
	const warnings = warningsText === null ? null : parseResultFile(warningsText, delimiter);

	const files = [failures, warnings].filter(
		(file): file is ResultFile => file !== null && file.rows.length > 0,
	);
	const part = runFiles.partOf(batch);
	let ties: RowTie[][] = [];
	if (files.length === 0) runFiles.letGo(batch);
	else
		ties = part === null ? files.map(noSubmittedFileTies) : await tieBackResultFiles(files, part);
	const tiesOf = (file: ResultFile | null) =>
		file === null ? [] : (ties[files.indexOf(file)] ?? []);

	const failedRows = failures === null ? [] : rowItems(batch, failures, tiesOf(failures), 'failed');
	const warningRows =
		warnings === null ? [] : rowItems(batch, warnings, tiesOf(warnings), 'warning');
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
