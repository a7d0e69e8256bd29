/**
 * What both modes share: reading the batches from the input, turning a finished batch
 * into output items, and collecting the items per output in input order.
 */
import {
	BINARY_ENCODING,
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import type { BatchStatus } from '../../shared/jobs/batchStatus';
import {
	READ_CHUNK_BYTES,
	readAsUtf8,
	type ByteSource,
	type OpenSource,
	type ResolvedEncoding,
} from '../../shared/csv/encoding';
import { delimiterOf, fileExtensionOf, mimeTypeOf } from '../../shared/csv/formats';
import { batchPath } from '../../shared/importTypes';
import { marketoDownloadText } from '../../shared/transport';
import { REAL_CLOCK, type Clock } from '../../shared/clock';
import {
	BatchInputError,
	batchFromItemJson,
	batchFromParameters,
	describeBatch,
	upstreamErrorNote,
	type AwaitedBatch,
} from '../helpers/input/batchSource';
import { parseResultFile, toRowJson, type ResultFile, type ResultRowKind } from '../helpers/rows/resultRows';
import {
	checkCounts,
	errorJson,
	stopReport,
	summaryJson,
	type BatchOutcome,
	type LastStatus,
} from '../helpers/output/summary';
import {
	noSubmittedFileTies,
	sourceItemIndexOf,
	tieBackResultFiles,
	type RowTie,
	type SubmittedPart,
} from '../helpers/rows/tieBack';
import { SubmittedFileReader, SubmittedFiles } from '../helpers/rows/submittedFiles';
import {
	OUTPUT_DONE,
	OUTPUT_FAILED_ROWS,
	OUTPUT_WARNING_ROWS,
	type BatchSource,
	type OnFailedBatch,
} from './common.descriptions';

export interface ResultOptions {
	attachResultFiles: boolean;
	countWarningsAsFailed: boolean;
	onFailedBatch: OnFailedBatch;
}

export function readResultOptions(this: IExecuteFunctions): ResultOptions {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	return {
		attachResultFiles: options.attachResultFiles === true,
		countWarningsAsFailed: options.countWarningsAsFailed === true,
		onFailedBatch:
			this.getNodeParameter('onFailedBatch', 0, 'error') === 'outputOnDone' ? 'outputOnDone' : 'error',
	};
}

/**
 * A Failed batch stops the whole node (On Failed Batch "Stop With an Error", no Continue
 * On Fail). The mode then throws failedBatchError with every batch's outcome instead of
 * outputting anything.
 */
export function stopsOnFailedBatch(this: IExecuteFunctions, options: ResultOptions): boolean {
	return options.onFailedBatch === 'error' && !this.continueOnFail();
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
 * Continue On Fail becomes an error item on Done and is left out. An earlier node's
 * error item (no batch) is passed through on Done with a note, whatever the setting.
 */
export function readBatches(this: IExecuteFunctions, collector: OutputCollector): AwaitedBatch[] {
	const items = this.getInputData();
	const source = this.getNodeParameter('batchSource', 0, 'input') as BatchSource;
	const batches: AwaitedBatch[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const note = source === 'input' ? upstreamErrorNote(items[itemIndex].json) : null;
		if (note !== null) {
			collector.add(itemIndex, OUTPUT_DONE, [
				{ json: { ...items[itemIndex].json, note }, pairedItem: { item: itemIndex } },
			]);
			continue;
		}
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
		// A finished answer only cuts predictions short; how precisely it is dated does not matter.
		readUncertaintyMs: 0,
	};
}

const FAILED_BATCH_HINT =
	"Marketo stopped this batch: rows it had not processed were not imported (its counts say how many it had). Common causes: a header Marketo does not know, an empty file, or a wrong format (delimiter). Fix the file and import it again: rows imported again update the same records.";

/**
 * The error for a batch Marketo ended Failed. When it stops the node (`outcomes` given:
 * every batch of the input and its last status), the description names the batches
 * that finished, whose rows are then not output, and how to fetch them.
 */
export function failedBatchError(
	this: IExecuteFunctions,
	batch: AwaitedBatch,
	last: LastStatus,
	outcomes?: BatchOutcome[],
) {
	const why = last.message !== '' ? last.message : 'Marketo gave no reason';
	const description =
		outcomes === undefined
			? FAILED_BATCH_HINT
			: `${FAILED_BATCH_HINT} ${stopReport(outcomes)} With On Failed Batch set to "Output It on Done", a Failed batch is output on Done and the other batches go on.`;
	return new NodeOperationError(this.getNode(), `Marketo ended ${describeBatch(batch)} as Failed: ${why}`, {
		itemIndex: batch.itemIndex,
		description,
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

/** The submitted file as read by Bulk Import (encoding.ts): the offsets of `submittedFile` are in this. */
function openBinary(this: IExecuteFunctions, binary: IBinaryData, encoding: ResolvedEncoding): OpenSource {
	const openRaw = async (): Promise<ByteSource> => {
		if (binary.id) return await this.helpers.getBinaryStream(binary.id, READ_CHUNK_BYTES);
		return [Buffer.from(binary.data, BINARY_ENCODING)];
	};
	return async () => readAsUtf8(await openRaw(), encoding);
}

/** Result-file downloads of finished batches at the same time, at most (two calls each). */
const DOWNLOADING_AT_ONCE = 2;

/**
 * The submitted parts of one run and what their batches share: one reader per stored
 * file (each byte read at most once, see submittedFiles.ts) and the download slots.
 * Every batch with a part must end in `outputFinishedBatch` or `letGo`; `releaseAll`
 * when the run ends or stops, so no batch waits for a turn that will not come.
 */
export class RunFiles {
	private readonly files = new SubmittedFiles();
	private readonly parts = new Map<AwaitedBatch, SubmittedPart>();
	private readonly downloadSlots = new Slots(DOWNLOADING_AT_ONCE);

	constructor(context: IExecuteFunctions, batches: AwaitedBatch[]) {
		const items = context.getInputData();
		for (const batch of batches) {
			const ref = batch.submittedFile;
			const binary = ref && items[batch.itemIndex]?.binary?.[ref.binaryProperty];
			if (!ref || !binary) continue;
			const open = openBinary.call(context, binary, batch.fileEncoding);
			const delimiter = delimiterOf(batch.format);
			// Only a stored file is worth sharing: an in-memory one costs no reading.
			const reader = binary.id
				? this.files.reader(`${binary.id}|${batch.fileEncoding}|${delimiter}`, open, delimiter)
				: new SubmittedFileReader(open, delimiter);
			reader.register(ref.dataStart);
			this.parts.set(batch, {
				reader,
				delimiter,
				dataStart: ref.dataStart,
				dataEnd: ref.dataEnd,
				firstRowNumber: batch.firstRowNumber,
				...(ref.group ? { group: ref.group } : {}),
			});
		}
	}

	partOf(batch: AwaitedBatch): SubmittedPart | null {
		return this.parts.get(batch) ?? null;
	}

	/** The batch will not tie rows back: the parts after it need not wait for it. */
	letGo(batch: AwaitedBatch): void {
		const part = this.parts.get(batch);
		part?.reader.release(part.dataStart);
	}

	/** The readers of the run, each once (a stored file's parts share one). */
	private readers(): SubmittedFileReader[] {
		return [...new Set([...this.parts.values()].map((part) => part.reader))];
	}

	releaseAll(): void {
		for (const reader of this.readers()) reader.releaseAll();
	}

	/** The run is over: every file the tie-back opened is closed (closing lets every turn go). */
	async close(): Promise<void> {
		await Promise.all(this.readers().map(async (reader) => await reader.close()));
	}

	async download<T>(work: () => Promise<T>): Promise<T> {
		return await this.downloadSlots.run(work);
	}
}

/** At most `size` pieces of work at a time, the others wait in order. */
class Slots {
	private free: number;
	private readonly queue: Array<() => void> = [];

	constructor(size: number) {
		this.free = size;
	}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.free > 0) this.free--;
		else await new Promise<void>((resolve) => this.queue.push(resolve));
		try {
			return await work();
		} finally {
			const next = this.queue.shift();
			if (next) next();
			else this.free++;
		}
	}
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
				sourceItemIndex: sourceItemIndexOf(tie.rowNumber, batch.firstRowNumber, batch.firstSourceItemIndex, batch.sourceItemRanges),
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

	const files = [failures, warnings].filter((file): file is ResultFile => file !== null && file.rows.length > 0);
	const part = runFiles.partOf(batch);
	let ties: RowTie[][] = [];
	if (files.length === 0) runFiles.letGo(batch);
	else ties = part === null ? files.map(noSubmittedFileTies) : await tieBackResultFiles(files, part);
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

let clock: Clock = REAL_CLOCK;

/**
 * Test knob (process-wide, like configureThrottle): Wait for Batch reads the time, dates
 * status answers and sleeps between polls on this clock. With a fake clock (and the
 * simulator on the same one) a wait of minutes takes no real time and polls at the same
 * moments on every run.
 */
export function configureWaitForBatchClock(newClock: Clock): void {
	clock = newClock;
}

export function resetWaitForBatchClock(): void {
	clock = REAL_CLOCK;
}

export function waitForBatchClock(): Clock {
	return clock;
}

/**
 * Stopping the execution ends the pause at once: the clock's sleep then rejects, the only way
 * it ends early, and the caller's next check of the signal reports the stop.
 */
export async function pauseUnlessCancelled(ms: number, signal: AbortSignal | undefined): Promise<void> {
	await clock.sleep(ms, signal).then(
		() => undefined,
		() => undefined,
	);
}

export function cancelledError(this: IExecuteFunctions) {
	return new NodeOperationError(
		this.getNode(),
		'The execution was stopped while waiting for Marketo batches; the batches keep running in Marketo',
	);
}
