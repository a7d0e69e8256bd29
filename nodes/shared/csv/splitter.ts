/**
 * Splits a delimited file into upload-sized parts for Marketo's Bulk Import
 * (which answers HTTP 413 above 10 MB per file).
 *
 * Each part is a valid file of its own: the header line followed by whole rows,
 * copied byte for byte from the original (line endings included), so Marketo sees
 * exactly what the user gave us and Wait for Batch can find a failed row in the
 * original binary again through `dataStart`/`dataEnd`.
 *
 * Rules (documented here because the node and the tests rely on them):
 * - The header is the first row. A UTF-8 BOM before it is left out of every part
 *   (Marketo wants UTF-8 without BOM) but counted in `dataStart`/`dataEnd`, which are
 *   offsets in the ORIGINAL byte stream.
 * - A row ends at LF outside double quotes (so CRLF files work, and a quoted value
 *   may hold newlines). Quote state is tracked on bytes: `"` (0x22) never occurs
 *   inside a UTF-8 multi-byte sequence, so byte scanning is safe. Files whose lines
 *   end with a lone CR (classic Mac) are rejected with a clear message.
 * - Empty lines (nothing or only CR before the LF) are not data rows: they stay in
 *   the part byte for byte but are not counted, matching a CSV reader that skips
 *   empty lines. Empty lines that would form a part with no data row (at the very
 *   end, after the last part filled up) are dropped.
 * - Every part is at most `maxPartBytes` bytes, header included. A row too big to
 *   fit in a part with the header is an error naming its row number and size.
 * - An empty file, a file with only a header (and maybe empty lines) and a file
 *   whose first line is empty are errors thrown before any part is yielded, so the
 *   node fails before uploading anything. A quote still open at the end of the file
 *   is an error too (found at the end, so earlier parts may have been yielded).
 *   All are `CsvFileError` with a `code`; the common ones have their own subclass.
 * - Memory stays bounded by about one part plus one source chunk: rows are never
 *   collected into an array, parts are cut from the source chunks with one
 *   Buffer.concat each, and a part is handed out as soon as the next row cannot
 *   fit. The source must not reuse a chunk's memory after yielding it (Node
 *   streams never do).
 * The generator's return value is a `SplitSummary`.
 */

import { parseFirstRow } from './parser';

export const DEFAULT_MAX_PART_BYTES = 10_000_000;

export interface SplitOptions {
	/** Largest part, header included (default 10,000,000 bytes). */
	maxPartBytes?: number;
}

export interface FilePart {
	/** 0-based position of the part */
	index: number;
	/** the header line followed by this part's rows, exactly as in the original */
	body: Buffer;
	/** data rows in this part (empty lines not counted) */
	rows: number;
	/** 1-based data-row number of this part's first row in the whole file */
	firstRowNumber: number;
	/** byte range [dataStart, dataEnd) of this part's rows in the original stream (header excluded, BOM counted) */
	dataStart: number;
	dataEnd: number;
}

export interface SplitSummary {
	/** bytes of the header line including its line ending (BOM excluded) */
	headerBytes: number;
	hasBom: boolean;
	totalRows: number;
	partCount: number;
	/** bytes read from the source, BOM included */
	totalBytes: number;
}

export type CsvFileErrorCode =
	| 'empty-file'
	| 'header-only'
	| 'empty-header'
	| 'header-too-large'
	| 'row-too-large'
	| 'unclosed-quote'
	| 'cr-line-endings';

/** A problem with the file's content; the node turns it into a NodeOperationError. */
export class CsvFileError extends Error {
	readonly code: CsvFileErrorCode;
	/** 1-based data-row number, when the problem is in a data row */
	readonly rowNumber?: number;

	constructor(code: CsvFileErrorCode, message: string, rowNumber?: number) {
		super(message);
		this.name = 'CsvFileError';
		this.code = code;
		this.rowNumber = rowNumber;
	}
}

export class EmptyFileError extends CsvFileError {
	constructor() {
		super('empty-file', 'The file is empty: it needs a header line naming the columns and at least one row');
		this.name = 'EmptyFileError';
	}
}

export class HeaderOnlyError extends CsvFileError {
	constructor() {
		super('header-only', 'The file has a header line but no data rows, so there is nothing to import');
		this.name = 'HeaderOnlyError';
	}
}

export class RowTooLargeError extends CsvFileError {
	readonly rowBytes: number;
	readonly maxPartBytes: number;

	constructor(rowNumber: number, rowBytes: number, headerBytes: number, maxPartBytes: number, complete: boolean) {
		const size = complete ? `${rowBytes} bytes` : `more than ${rowBytes} bytes`;
		super(
			'row-too-large',
			`Row ${rowNumber} is ${size}: with the ${headerBytes}-byte header it does not fit in one ` +
				`upload of at most ${maxPartBytes} bytes` +
				(complete ? '' : ' (an unclosed quote can make the rest of the file look like one row)'),
			rowNumber,
		);
		this.name = 'RowTooLargeError';
		this.rowBytes = rowBytes;
		this.maxPartBytes = maxPartBytes;
	}
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

function hasUtf8Bom(bytes: Uint8Array): boolean {
	return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function asBuffer(chunk: Buffer | Uint8Array): Buffer {
	return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Buffers the very first bytes until the BOM question can be answered (a source
 * may hand out 1-byte chunks), then passes chunks through without the BOM.
 */
async function* withoutBom(
	source: AsyncIterable<Buffer | Uint8Array>,
	found: { bomLength: number },
): AsyncGenerator<Buffer> {
	let start: Buffer[] = [];
	let startLength = 0;
	let decided = false;
	for await (const raw of source) {
		const chunk = asBuffer(raw);
		if (decided) {
			if (chunk.length > 0) yield chunk;
			continue;
		}
		start.push(chunk);
		startLength += chunk.length;
		if (startLength < 3) continue;
		decided = true;
		const first = start.length === 1 ? start[0] : Buffer.concat(start, startLength);
		start = [];
		found.bomLength = hasUtf8Bom(first) ? 3 : 0;
		if (first.length > found.bomLength) yield first.subarray(found.bomLength);
	}
	if (!decided && startLength > 0) {
		const first = Buffer.concat(start, startLength);
		found.bomLength = hasUtf8Bom(first) ? 3 : 0;
		if (first.length > found.bomLength) yield first.subarray(found.bomLength);
	}
}

/** True when a CR outside quotes is not followed by LF: the line endings are CR only. */
function hasLoneCr(bytes: Buffer): boolean {
	let inQuotes = false;
	for (let i = 0; i < bytes.length; i++) {
		const byte = bytes[i];
		if (byte === QUOTE) inQuotes = !inQuotes;
		else if (byte === CR && !inQuotes && bytes[i + 1] !== LF) return true;
	}
	return false;
}

function crLineEndingsError(): CsvFileError {
	return new CsvFileError(
		'cr-line-endings',
		'The file ends its lines with CR only (old Mac format). Save it again as CSV with Windows (CRLF) or Unix (LF) line endings',
	);
}

/**
 * The bytes of the stream that are not yet in an emitted part, as the chunks they
 * arrived in. Offsets are in the BOM-less stream.
 */
class HeldBytes {
	private chunks: Buffer[] = [];
	/** offset of chunks[0][0] */
	private start = 0;

	add(chunk: Buffer): void {
		this.chunks.push(chunk);
	}

	/** The bytes [from, to), which must be held, behind `prefix`, copied once. */
	copy(from: number, to: number, prefix?: Buffer): Buffer {
		const pieces: Buffer[] = prefix ? [prefix] : [];
		let chunkStart = this.start;
		for (const chunk of this.chunks) {
			const chunkEnd = chunkStart + chunk.length;
			if (chunkEnd > from && chunkStart < to) {
				pieces.push(chunk.subarray(Math.max(from - chunkStart, 0), Math.min(to, chunkEnd) - chunkStart));
			}
			if (chunkEnd >= to) break;
			chunkStart = chunkEnd;
		}
		return Buffer.concat(pieces, (prefix ? prefix.length : 0) + (to - from));
	}

	/** Forgets every byte before `offset`. */
	release(offset: number): void {
		while (this.chunks.length > 0 && this.start + this.chunks[0].length <= offset) {
			this.start += this.chunks[0].length;
			this.chunks.shift();
		}
	}
}

/** What the row finder carries from one chunk to the next. */
interface RowScanState {
	inQuotes: boolean;
	/** bytes of the unfinished row that arrived in earlier chunks */
	carriedRowBytes: number;
	/** the last byte of the previous chunk (-1 before the first) */
	lastByte: number;
	/** row ends found in the current chunk (see findRowEnds) */
	ends: Int32Array;
	/** how many of them are empty lines */
	emptyLines: number;
}

/**
 * The hot loop: finds the rows that end in `text` (one chunk as latin1, so one
 * char per byte and offsets match the bytes). Writes, for each row, the chunk
 * offset just after its LF into `state.ends`, negated for an empty line, and
 * returns how many. Only two searches happen per quoted value and one per row,
 * each a native `indexOf`.
 */
function findRowEnds(text: string, state: RowScanState): number {
	const length = text.length;
	if (state.ends.length < length) state.ends = new Int32Array(length);
	const ends = state.ends;
	let count = 0;
	let emptyLines = 0;
	let inQuotes = state.inQuotes;
	// Offset of the current row's start relative to this chunk (negative when it began earlier).
	let rowStart = -state.carriedRowBytes;
	let nextLf = -2;
	let pos = 0;
	while (pos < length) {
		if (inQuotes) {
			const closing = text.indexOf('"', pos);
			if (closing === -1) break;
			inQuotes = false;
			pos = closing + 1;
			continue;
		}
		const opening = text.indexOf('"', pos);
		const stop = opening === -1 ? length : opening;
		if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
		while (nextLf !== -1 && nextLf < stop) {
			const end = nextLf + 1;
			const rowBytes = end - rowStart;
			const isEmptyLine =
				rowBytes === 1 ||
				(rowBytes === 2 && (nextLf > 0 ? text.charCodeAt(nextLf - 1) : state.lastByte) === CR);
			if (isEmptyLine) {
				ends[count++] = -end;
				emptyLines++;
			} else {
				ends[count++] = end;
			}
			rowStart = end;
			nextLf = text.indexOf('\n', end);
		}
		if (opening === -1) break;
		inQuotes = true;
		pos = opening + 1;
	}
	state.inQuotes = inQuotes;
	state.emptyLines = emptyLines;
	state.carriedRowBytes = length - rowStart;
	state.lastByte = length > 0 ? text.charCodeAt(length - 1) : state.lastByte;
	return count;
}

/**
 * Splits `source` (e.g. a binary data stream) into parts; see the file comment for
 * the rules. Errors about the content are thrown as `CsvFileError`.
 */
export async function* splitIntoParts(
	source: AsyncIterable<Buffer | Uint8Array>,
	options: SplitOptions = {},
): AsyncGenerator<FilePart, SplitSummary, undefined> {
	const maxPartBytes = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
	if (!Number.isInteger(maxPartBytes) || maxPartBytes < 2) {
		throw new RangeError(`maxPartBytes must be an integer of at least 2, got ${maxPartBytes}`);
	}
	const bom = { bomLength: 0 };
	const held = new HeldBytes();
	const scan: RowScanState = {
		inQuotes: false,
		carriedRowBytes: 0,
		lastByte: -1,
		ends: new Int32Array(65_536),
		emptyLines: 0,
	};

	// All offsets below are in the BOM-less stream; bom.bomLength is added on output.
	let header: Buffer | undefined;
	let headerBytes = 0;
	let streamLength = 0;
	let rowStart = 0;
	let partStart = 0;
	/** a row ending after this offset does not fit in the current part */
	let partLimit = 0;
	let partRows = 0;
	let partFirstRow = 0;
	let totalRows = 0;
	let partCount = 0;

	const makePart = (end: number): FilePart => {
		const part: FilePart = {
			index: partCount,
			body: held.copy(partStart, end, header),
			rows: partRows,
			firstRowNumber: partFirstRow,
			dataStart: partStart + bom.bomLength,
			dataEnd: end + bom.bomLength,
		};
		partCount++;
		startPartAt(end);
		return part;
	};
	const startPartAt = (offset: number) => {
		held.release(offset);
		partStart = offset;
		partLimit = offset + maxPartBytes - headerBytes;
		partRows = 0;
	};

	for await (const chunk of withoutBom(source, bom)) {
		held.add(chunk);
		const chunkStart = streamLength;
		streamLength += chunk.length;
		const rowCount = findRowEnds(chunk.toString('latin1'), scan);
		const ends = scan.ends;
		const lastEnd = rowCount > 0 ? chunkStart + Math.abs(ends[rowCount - 1]) : 0;
		if (header !== undefined && rowCount > 0 && lastEnd <= partLimit) {
			// Fast path (all but about one chunk per part): every row of the chunk fits.
			const dataRows = rowCount - scan.emptyLines;
			if (dataRows > 0) {
				if (partRows === 0) partFirstRow = totalRows + 1;
				partRows += dataRows;
				totalRows += dataRows;
			}
			rowStart = lastEnd;
		}
		for (let r = header !== undefined && lastEnd <= partLimit ? rowCount : 0; r < rowCount; r++) {
			const endInChunk = ends[r];
			const isEmptyLine = endInChunk < 0;
			const rowEnd = chunkStart + (isEmptyLine ? -endInChunk : endInChunk);

			if (header === undefined) {
				header = held.copy(0, rowEnd);
				headerBytes = header.length;
				if (hasLoneCr(header)) throw crLineEndingsError();
				if (isEmptyLine) {
					throw new CsvFileError(
						'empty-header',
						'The first line of the file is empty: it must be the header line naming the columns',
					);
				}
				if (headerBytes >= maxPartBytes) throw headerTooLarge(headerBytes, maxPartBytes);
				rowStart = rowEnd;
				startPartAt(rowEnd);
				continue;
			}

			if (rowEnd > partLimit) {
				const rowBytes = rowEnd - rowStart;
				if (headerBytes + rowBytes > maxPartBytes) {
					throw new RowTooLargeError(totalRows + 1, rowBytes, headerBytes, maxPartBytes, true);
				}
				if (partRows > 0) {
					yield makePart(rowStart);
				} else {
					// Only empty lines are waiting: they carry no data, let them go.
					startPartAt(rowStart);
				}
			}
			if (!isEmptyLine) {
				totalRows++;
				if (partRows === 0) partFirstRow = totalRows;
				partRows++;
			}
			rowStart = rowEnd;
		}

		if (header === undefined) {
			if (streamLength >= maxPartBytes) {
				const start = held.copy(0, streamLength);
				if (hasLoneCr(start)) throw crLineEndingsError();
				throw headerTooLarge(streamLength, maxPartBytes);
			}
			continue;
		}
		// The unfinished row can no longer join the current part: hand the part out now
		// instead of holding it while the row keeps growing (bounds memory).
		const unfinishedBytes = streamLength - rowStart;
		if (headerBytes + unfinishedBytes > maxPartBytes) {
			throw new RowTooLargeError(totalRows + 1, unfinishedBytes, headerBytes, maxPartBytes, false);
		}
		if (partRows > 0 && streamLength > partLimit) {
			yield makePart(rowStart);
		}
	}

	if (header === undefined) {
		if (streamLength === 0) throw new EmptyFileError();
		const onlyLine = held.copy(0, streamLength);
		if (hasLoneCr(onlyLine)) throw crLineEndingsError();
		throw new HeaderOnlyError();
	}
	if (scan.inQuotes) {
		throw new CsvFileError(
			'unclosed-quote',
			`A quoted value opened in row ${totalRows + 1} is never closed: the file ends inside quotes`,
			totalRows + 1,
		);
	}

	// A last row without a line ending.
	if (streamLength > rowStart) {
		const rowBytes = streamLength - rowStart;
		const isEmptyLine = rowBytes === 1 && scan.lastByte === CR;
		if (!isEmptyLine) {
			if (streamLength > partLimit && partRows > 0) {
				yield makePart(rowStart);
			}
			totalRows++;
			if (partRows === 0) partFirstRow = totalRows;
			partRows++;
			rowStart = streamLength;
		}
	}
	if (partRows > 0) {
		// Trailing empty lines go with the last part when they fit.
		const end = header.length + (streamLength - partStart) <= maxPartBytes ? streamLength : rowStart;
		yield makePart(end);
	}
	if (totalRows === 0) throw new HeaderOnlyError();

	return {
		headerBytes: header.length,
		hasBom: bom.bomLength > 0,
		totalRows,
		partCount,
		totalBytes: streamLength + bom.bomLength,
	};
}

function headerTooLarge(headerBytes: number, maxPartBytes: number): CsvFileError {
	return new CsvFileError(
		'header-too-large',
		`The header line is ${headerBytes} bytes or more: no row fits next to it in an upload of at most ${maxPartBytes} bytes`,
	);
}

/**
 * The column names in the first line of `head` (the first bytes of a file), for
 * checks before upload. A BOM is ignored. If `head` stops inside the header line,
 * the names read so far are returned.
 */
export function readHeader(head: Buffer | Uint8Array, delimiter: string): string[] {
	const text = new TextDecoder('utf-8').decode(head);
	return parseFirstRow(text, delimiter);
}
