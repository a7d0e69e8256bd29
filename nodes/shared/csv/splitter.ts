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
 * - Memory stays bounded by one part plus the source chunk in hand: each chunk is
 *   copied into the part buffer as it arrives (no chunk is held), rows are counted,
 *   never collected, and a part is handed out as soon as the next row cannot fit.
 *   With `reusePartBuffer` every part is handed out in the same buffer, so nothing
 *   part-sized is left for the garbage collector either (see SplitOptions).
 * - Speed: rows are found by the row scanner (rowScanner.ts: WebAssembly SIMD, 16
 *   bytes per step, with a pure-JS fallback); no string is made from the bytes.
 * The generator's return value is a `SplitSummary`.
 */

import { parseFirstRow } from './parser';
import { createRowScanner, newRowScan } from './rowScanner';

export const DEFAULT_MAX_PART_BYTES = 10_000_000;

export interface SplitOptions {
	/** Largest part, header included (default 10,000,000 bytes). */
	maxPartBytes?: number;
	/**
	 * Hand out every part in the same memory instead of a fresh Buffer each: a
	 * yielded `body` is then valid only until the next part is requested (the
	 * generator's next `next()`), so use it (upload it, copy it) before that and do
	 * not keep it. Memory then stays at one part whatever the file size, instead of
	 * growing with the parts the garbage collector has not freed yet. Default false.
	 */
	reusePartBuffer?: boolean;
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

const BOM_LENGTH = 3;
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * `source` without a leading UTF-8 BOM. The first bytes are gathered until the BOM
 * question can be answered (a source may hand out 1-byte chunks); after that each
 * `next()` is the source's own promise, passed through untouched, so the hot path
 * pays no extra await per chunk. Chunks may then be Uint8Arrays or empty.
 */
function withoutBom(
	source: AsyncIterable<Buffer | Uint8Array>,
	found: { bomLength: number },
): AsyncIterable<Buffer | Uint8Array> {
	return {
		[Symbol.asyncIterator]() {
			const inner = source[Symbol.asyncIterator]();
			/** the first bytes, while the BOM question is open */
			let head: Buffer | undefined = Buffer.alloc(0);
			const readHead = async (): Promise<IteratorResult<Buffer | Uint8Array>> => {
				while (head !== undefined) {
					const next = await inner.next();
					if (next.done) {
						const rest = head;
						head = undefined;
						return rest.length > 0 ? { done: false, value: rest } : DONE;
					}
					const chunk = asBuffer(next.value);
					head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
					if (head.length >= BOM_LENGTH) {
						found.bomLength = hasUtf8Bom(head) ? BOM_LENGTH : 0;
						const rest = head.subarray(found.bomLength);
						head = undefined;
						if (rest.length > 0) return { done: false, value: rest };
					}
				}
				return inner.next();
			};
			return {
				next: () => (head === undefined ? inner.next() : readHead()),
				return: async () => {
					head = undefined;
					if (inner.return) await inner.return();
					return DONE;
				},
			};
		},
	};
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
	const reuse = options.reusePartBuffer === true;
	const bom = { bomLength: 0 };
	const scan = newRowScan();
	const scanner = createRowScanner();
	// The part being filled: the header, then the bytes from partStart on. Allocated
	// once; pages the file never reaches are never touched, so a small file costs little.
	const partBuffer = Buffer.allocUnsafe(maxPartBytes);

	// All offsets below are in the BOM-less stream; bom.bomLength is added on output.
	let headerBytes = 0; // 0 until the header line has ended
	let streamLength = 0;
	/** bytes before this offset are in partBuffer (or in an emitted part) */
	let copied = 0;
	let partStart = 0;
	/** a row ending after this offset does not fit in the current part */
	let partLimit = 0;
	let partRows = 0;
	let partFirstRow = 0;
	let totalRows = 0;
	let partCount = 0;

	/** Copies chunk bytes up to stream offset `to` (at most the part limit) into the part. */
	const copyUpTo = (chunk: Buffer, chunkStart: number, to: number) => {
		if (to <= copied) return;
		chunk.copy(partBuffer, headerBytes + copied - partStart, copied - chunkStart, to - chunkStart);
		copied = to;
	};
	const makePart = (end: number): FilePart => {
		const view = partBuffer.subarray(0, headerBytes + end - partStart);
		return {
			index: partCount++,
			body: reuse ? view : Buffer.from(view),
			rows: partRows,
			firstRowNumber: partFirstRow,
			dataStart: partStart + bom.bomLength,
			dataEnd: end + bom.bomLength,
		};
	};
	/** Starts the next part at `offset`: the bytes already copied from there on move up behind the header. */
	const startPartAt = (offset: number) => {
		partBuffer.copy(partBuffer, headerBytes, headerBytes + offset - partStart, headerBytes + copied - partStart);
		partStart = offset;
		partLimit = offset + maxPartBytes - headerBytes;
		partRows = 0;
	};
	const addRows = (dataRows: number) => {
		if (dataRows === 0) return;
		if (partRows === 0) partFirstRow = totalRows + 1;
		partRows += dataRows;
		totalRows += dataRows;
	};

	for await (const raw of withoutBom(source, bom)) {
		const chunk = asBuffer(raw);
		if (chunk.length === 0) continue;
		const chunkStart = streamLength;
		streamLength += chunk.length;
		let pos = 0;
		scanner.load(chunk);

		if (headerBytes === 0) {
			// The header is the first row: a limit before the chunk makes its end the "overflow".
			pos = scanner.scan(chunkStart, 0, -1, scan);
			copyUpTo(chunk, chunkStart, Math.min(streamLength, maxPartBytes));
			const headerEnd = scan.overflowEnd;
			if (headerEnd === -1) {
				if (streamLength >= maxPartBytes) {
					if (hasLoneCr(partBuffer.subarray(0, copied))) throw crLineEndingsError();
					throw headerTooLarge(streamLength, maxPartBytes);
				}
				continue;
			}
			if (hasLoneCr(partBuffer.subarray(0, Math.min(headerEnd, copied)))) throw crLineEndingsError();
			if (scan.overflowIsEmptyLine) {
				throw new CsvFileError(
					'empty-header',
					'The first line of the file is empty: it must be the header line naming the columns',
				);
			}
			if (headerEnd >= maxPartBytes) throw headerTooLarge(headerEnd, maxPartBytes);
			// The header sits at the front of partBuffer already; the data follows it in place.
			headerBytes = headerEnd;
			partStart = headerEnd;
			partLimit = maxPartBytes;
			scan.rowStart = headerEnd;
		}

		for (;;) {
			pos = scanner.scan(chunkStart, pos, partLimit, scan);
			addRows(scan.dataRows);
			copyUpTo(chunk, chunkStart, Math.min(streamLength, partLimit));
			if (scan.overflowEnd === -1) break;

			// A row that does not fit: the part ends before it, and it opens the next one.
			const rowEnd = scan.overflowEnd;
			const rowBytes = rowEnd - scan.rowStart;
			if (headerBytes + rowBytes > maxPartBytes) {
				throw new RowTooLargeError(totalRows + 1, rowBytes, headerBytes, maxPartBytes, true);
			}
			// Only empty lines waiting (partRows 0) carry no data: they are let go.
			if (partRows > 0) yield makePart(scan.rowStart);
			startPartAt(scan.rowStart);
			if (!scan.overflowIsEmptyLine) addRows(1);
			scan.rowStart = rowEnd;
		}

		// The unfinished row can no longer join the current part: hand the part out now
		// instead of holding it while the row keeps growing (bounds memory).
		const unfinishedBytes = streamLength - scan.rowStart;
		if (headerBytes + unfinishedBytes > maxPartBytes) {
			throw new RowTooLargeError(totalRows + 1, unfinishedBytes, headerBytes, maxPartBytes, false);
		}
		if (streamLength > partLimit) {
			if (partRows > 0) yield makePart(scan.rowStart);
			startPartAt(scan.rowStart);
			copyUpTo(chunk, chunkStart, streamLength);
		}
	}

	if (headerBytes === 0) {
		if (streamLength === 0) throw new EmptyFileError();
		if (hasLoneCr(partBuffer.subarray(0, copied))) throw crLineEndingsError();
		throw new HeaderOnlyError();
	}
	if (scan.inQuotes) {
		throw new CsvFileError(
			'unclosed-quote',
			`A quoted value opened in row ${totalRows + 1} is never closed: the file ends inside quotes`,
			totalRows + 1,
		);
	}

	// A last row without a line ending (it fits: the part was handed out early otherwise).
	const lastRowBytes = streamLength - scan.rowStart;
	const lastRowIsEmptyLine = lastRowBytes === 0 || (lastRowBytes === 1 && scan.lastByte === CR);
	if (!lastRowIsEmptyLine) addRows(1);
	// Trailing empty lines go with the last part; alone they form no part.
	if (partRows > 0) yield makePart(streamLength);
	if (totalRows === 0) throw new HeaderOnlyError();

	return {
		headerBytes,
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
