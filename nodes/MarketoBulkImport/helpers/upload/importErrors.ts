import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { EncodingError } from '../../../shared/csv/encoding';
import type { CsvFileError } from '../../../shared/csv/fileErrors';
import type { CreateOutcomeUnknownError } from '../../../shared/transport';
import type { toNodeError } from '../../../shared/nodeErrors';
import { appendToRanges, type ItemRange } from '../../../shared/itemRanges';
import type { FileToImport, SubmittedPart } from './types';

/**
 * What the user reads when an import stops or half succeeds: a problem found in the file and
 * its fix, which rows are in Marketo and which are not, and rows whose upload's answer was lost.
 */

/**
 * The data rows an import did not submit: `from` to `to` (the file's last row; null when the
 * rest of the file was not read; below `from` when every row from there was submitted), and
 * rows before `from` held back for a later part that was not uploaded (the same-key guard).
 */
export interface RowsNotSubmitted {
	from: number;
	to: number | null;
	heldBack?: ItemRange[];
}

/** Pure: "rows 41-60", "row 60", "rows 41 to the end of the file". */
export function describeRowRange(range: { from: number; to: number | null }): string {
	if (range.to === null) return `rows ${range.from} to the end of the file`;
	return range.to === range.from ? `row ${range.from}` : `rows ${range.from}-${range.to}`;
}

/** Ranges named in a message before the rest is only counted. */
const RANGES_NAMED = 20;

/** Pure: "rows 5, 9-12 and 40" (the first ranges, then how many rows more). */
export function describeRowNumbers(ranges: readonly ItemRange[]): string {
	const count = ranges.reduce((sum, { from, to }) => sum + to - from + 1, 0);
	const named = ranges
		.slice(0, RANGES_NAMED)
		.map(({ from, to }) => (from === to ? `${from}` : `${from}-${to}`));
	const namedCount = ranges
		.slice(0, RANGES_NAMED)
		.reduce((sum, { from, to }) => sum + to - from + 1, 0);
	if (count > namedCount) named.push(`${count - namedCount} more`);
	const list =
		named.length === 1
			? named[0]
			: `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
	return `${count === 1 ? 'row' : 'rows'} ${list}`;
}

/** Most ranges of held-back rows remembered for an error message (a few kilobytes of numbers). */
const HELD_BACK_RANGES_KEPT = 10_000;

/**
 * The rows held back for a later part and not yet uploaded, in file order, for the error
 * should the import stop: held-back parts take them in this order. Past HELD_BACK_RANGES_KEPT
 * ranges only their count is kept, and the message names the rows from the first of them.
 */
export class HeldBackRows {
	private ranges: ItemRange[] = [];
	total = 0;
	/** the first row not remembered, when there were too many ranges */
	private overflowFrom: number | null = null;

	add(ranges: readonly ItemRange[]): void {
		for (const range of ranges) {
			this.total += range.to - range.from + 1;
			if (this.overflowFrom !== null) continue;
			if (this.ranges.length >= HELD_BACK_RANGES_KEPT) this.overflowFrom = range.from;
			else for (let row = range.from; row <= range.to; row++) appendToRanges(this.ranges, row);
		}
	}

	/** A held-back part of `rows` rows was uploaded: its rows are the first still held. */
	submitted(rows: number): void {
		this.total -= rows;
		let left = rows;
		while (left > 0 && this.ranges.length > 0) {
			const first = this.ranges[0];
			const length = first.to - first.from + 1;
			if (length <= left) {
				this.ranges.shift();
				left -= length;
			} else {
				first.from += left;
				left = 0;
			}
		}
	}

	/** What was not submitted, given the first row after the parts uploaded and the file's last. */
	notSubmitted(from: number, lastRow: number | null): RowsNotSubmitted {
		if (this.total > 0 && this.overflowFrom !== null && this.ranges.length === 0) {
			// Too many to name: from the first of them on, every row not in the batches listed.
			return { from: Math.min(from, this.overflowFrom), to: lastRow };
		}
		return {
			from,
			to: lastRow,
			...(this.total > 0 ? { heldBack: this.ranges.map((range) => ({ ...range })) } : {}),
		};
	}
}

/** Pure: what is in Marketo and what is not, for an error's description. */
function describeSubmitted(parts: SubmittedPart[], notSubmitted: RowsNotSubmitted): string {
	if (parts.some(({ part }) => part.group !== undefined)) {
		// Groups interleave in the file: what was submitted is no range of rows.
		const listed = parts
			.map(
				({ descriptor, part }) =>
					`batch ${descriptor.batchId} (${(part.group?.values ?? []).map((v) => `'${v}'`).join(', ')}: ${part.rows} rows from row ${part.firstRowNumber})`,
			)
			.join(', ');
		return (
			`These batches are already in Marketo and will be imported: ${listed}. The file's other rows were not submitted: ` +
			'import again only the rows that are not in those batches.'
		);
	}
	const ids = parts.map((p) => p.descriptor.batchId).join(', ');
	const batches = parts.length === 1 ? `batch ${ids}` : `batches ${ids}`;
	const held = notSubmitted.heldBack ?? [];
	const restOfFile = notSubmitted.to === null || notSubmitted.to >= notSubmitted.from;
	const missing = [
		...(held.length > 0
			? [
					`${describeRowNumbers(held)} (held back for a later part: their records have rows in an earlier part)`,
				]
			: []),
		...(restOfFile ? [describeRowRange(notSubmitted)] : []),
	];
	if (held.length > 0 || parts.some(({ part }) => part.rowNumbers !== undefined)) {
		// Rows were moved between parts: what was submitted is no single range of rows.
		return (
			`The parts before the problem are already in Marketo as ${batches} and will be imported. ` +
			`Not submitted: ${missing.join(', and ')}. Import only those rows again, not the whole file.`
		);
	}
	const submittedRows = { from: parts[0].part.firstRowNumber, to: notSubmitted.from - 1 };
	return (
		`The parts before the problem are already in Marketo as ${batches} (${describeRowRange(submittedRows)}) and will be imported. ` +
		`Not submitted: ${missing.join(', and ')}. Import only those rows again, not the whole file.`
	);
}

/**
 * An import that stopped after some of its parts were created in Marketo. Those batches run
 * whatever happens next, so they must not be dropped: with Continue On Fail the caller outputs
 * them like a finished import's (`submitted`, descriptors complete) plus an error item; without,
 * it throws `nodeError`, whose description names the batches and the rows not submitted.
 */
export class PartialImportError extends Error {
	readonly nodeError: ReturnType<typeof toNodeError>;
	readonly submitted: SubmittedPart[];
	readonly rowsNotSubmitted: RowsNotSubmitted;

	/** `lastRow`: the file's last data row, null when not known; `notSubmitted`: when rows were held back */
	constructor(
		nodeError: ReturnType<typeof toNodeError>,
		submitted: SubmittedPart[],
		lastRow: number | null,
		notSubmitted?: RowsNotSubmitted,
	) {
		super(nodeError.message);
		this.name = 'PartialImportError';
		this.nodeError = nodeError;
		this.submitted = submitted;
		const last = submitted[submitted.length - 1].part;
		const from = last.firstRowNumber + last.rows;
		this.rowsNotSubmitted = notSubmitted ?? {
			from,
			to: lastRow !== null && lastRow >= from ? lastRow : null,
		};
		nodeError.description = [
			nodeError.description,
			describeSubmitted(submitted, this.rowsNotSubmitted),
		]
			.filter(Boolean)
			.join(' ');
	}
}

/** Pure: what the user does about a problem found in the file, when it is more than "fix the file". */
export function fixForFileError(error: CsvFileError | EncodingError): string | undefined {
	if (error instanceof EncodingError || error.code === 'invalid-encoding') {
		if (/NUL byte/.test(error.message)) {
			return 'Set Options > File Encoding to UTF-16 (Excel\'s "Unicode Text"), or save the file again as "CSV UTF-8".';
		}
		if (/byte order mark/.test(error.message)) return 'Set Options > File Encoding to Auto.';
		return (
			'Marketo reads UTF-8 only. A "CSV" saved by Excel on Windows is Windows-1252: set Options > File Encoding to ' +
			'Windows-1252 (ISO-8859-1 for older Unix or database exports), or save the file again as "CSV UTF-8".'
		);
	}
	switch (error.code) {
		case 'unclosed-quote':
			return (
				'A value that starts with a double quote must end with one. Close the quote; or, if the quote is part of ' +
				'the value, double it inside a quoted value ("Baker 5"" 10"), or remove it. A quote that is not the first ' +
				'character of a value needs nothing.'
			);
		case 'row-too-large':
			return (
				"Shorten the values of that row (Marketo's text fields hold 255 characters, text areas about 65,000), " +
				'or look for a quote that opens a value by mistake earlier in that row.'
			);
		case 'file-changed':
			return 'Run the workflow again: the file was replaced while the node was reading it.';
		default:
			return undefined;
	}
}

export function fileErrorToNodeError(
	context: IExecuteFunctions,
	error: CsvFileError | EncodingError,
	file: FileToImport,
	submitted: SubmittedPart[],
	itemIndex: number,
): NodeOperationError {
	// "The file in item 0 ...: the file is empty" reads as one sentence.
	const reason = error.message.charAt(0).toLowerCase() + error.message.slice(1);
	const fix = fixForFileError(error) ?? file.fixHint;
	return new NodeOperationError(context.getNode(), `${file.subject}: ${reason}`, {
		itemIndex,
		// With parts submitted, PartialImportError adds what is in Marketo and what is not.
		description: submitted.length === 0 ? `${fix} Nothing was uploaded.` : fix,
	});
}

/** Pure: what the user reads on a batch that was sent again after an answer was lost. */
export function possibleDuplicateNotice(rowsLabel: string, batchIds: number[]): string {
	if (batchIds.length === 0) {
		return `Marketo's answer to the first upload of ${rowsLabel} was lost; no batch had been made from it, so they were sent again.`;
	}
	const ids = batchIds.join(', ');
	return (
		`Marketo's answer to the first upload of ${rowsLabel} was lost, so they were sent again once ` +
		`${batchIds.length === 1 ? `batch ${ids}` : `batches ${ids}`} (made meanwhile, possibly from that upload) had finished. ` +
		'If one of them was that upload, these rows were imported twice, one after the other, never at the same time: an upsert repeated.'
	);
}

/** Pure: what the user reads about rows whose upload's answer was lost and that were not sent again. */
export function maybeInMarketoSentence(
	rowsLabel: string,
	candidateBatchIds: number[] = [],
): string {
	const candidates =
		candidateBatchIds.length === 0
			? ''
			: `${candidateBatchIds.length === 1 ? 'Batch' : 'Batches'} ${candidateBatchIds.join(', ')}, made meanwhile, may hold them. `;
	return (
		`${candidates}The node did not send ${rowsLabel} again, so they cannot be imported twice at the same time. ` +
		'They may be in Marketo: look them up (for example a smart list on their email addresses) before importing them again.'
	);
}

/** Pure: the same, as a sentence added to another error's description. */
export function lostUploadSentence(rowsLabel: string, candidateBatchIds: number[]): string {
	return `Marketo may or may not have made a batch for ${rowsLabel}: the answer to their upload was lost. ${maybeInMarketoSentence(rowsLabel, candidateBatchIds)}`;
}

export function uncertainPartError(
	context: IExecuteFunctions,
	error: CreateOutcomeUnknownError,
	rowsLabel: string,
	/** uploads of these rows whose answers were lost; null when there was no batch id to look from */
	lostAnswers: number | null,
	itemIndex: number,
	candidateBatchIds: number[] = [],
): NodeOperationError {
	const why =
		lostAnswers === null
			? 'This was the first upload to this Marketo instance since n8n started, and no later part could be uploaded first to find the batch it may have made.'
			: `Marketo's answers to ${lostAnswers} uploads of these rows were lost in a row.`;
	const message = `Marketo may or may not have made a batch for ${rowsLabel}: ${error.nodeError.message}`;
	const nodeError = new NodeOperationError(context.getNode(), message, {
		itemIndex,
		description: `${why} ${maybeInMarketoSentence(rowsLabel, candidateBatchIds)}`,
	});
	// n8n swaps a message naming ECONNRESET & co. for a generic sentence that drops the rows; keep ours.
	nodeError.message = message;
	return nodeError;
}
