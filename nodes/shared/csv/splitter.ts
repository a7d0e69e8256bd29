/**
 * Splits a delimited file into upload-sized parts for Marketo's Bulk Import
 * (which answers HTTP 413 above 10 MB per file), in two passes over the file.
 *
 * Pass 1, `planParts` ("look before you upload"): one streamed read of the whole
 * file, in bounded memory, that finds everything that would stop an import half
 * way: bytes that are not in the file's encoding, a quoted value that is never
 * closed, a row too large for a part, an empty or header-only file. Such a file is
 * refused before anything is uploaded. It also decides where each part starts and
 * ends. Pass 2, `cutParts`, reads the file again and hands out the planned parts,
 * copying bytes without looking at them.
 *
 * Rules (the node and the tests rely on them):
 * - Rows are read as rowBoundaries.ts describes (the reading the parser, the
 *   tie-back and the simulator share). The header is the first row.
 * - The file is read as UTF-8 (encoding.ts): a UTF-8 file byte for byte, any other
 *   encoding transcoded. A part is at most `maxPartBytes` bytes as uploaded.
 * - Each part is the header line followed by whole rows, byte for byte as read
 *   (line endings included). A UTF-8 BOM is left out of every part but counted in
 *   `dataStart`/`dataEnd`, which are offsets in the file as read, so Wait for Batch
 *   can find a failed row again.
 * - Empty lines are not data rows: they stay in a part byte for byte but are not
 *   counted; empty lines that would form a part with no data row are left out.
 * - Memory: pass 1 keeps the header and one row end per `boundarySpacing` bytes
 *   (about 8 KiB: 2 MB per GB of file); pass 2 one part.
 */

import { readAsUtf8, type OpenSource, type ResolvedEncoding } from './encoding';
import {
	CsvFileError,
	EmptyFileError,
	encodingProblem,
	headerTooLarge,
	HeaderOnlyError,
	RowTooLargeError,
	unclosedQuote,
	withPlace,
} from './fileErrors';
import { parseFirstRow } from './parser';
import { RowBoundaryScanner } from './rowBoundaries';
import { RowViews, type RowVisitor } from './rowFields';

export const DEFAULT_MAX_PART_BYTES = 10_000_000;

export interface PlanOptions {
	/** The encoding the file is in (see `resolveEncoding`). */
	encoding: ResolvedEncoding;
	/** The delimiter, from the first bytes of the file as read (BOM-less). */
	delimiterFor: (head: Buffer) => string;
	/** Largest part, header included (default 10,000,000 bytes). */
	maxPartBytes?: number;
	/** The part size to aim for once the file's size (as read) is known; at most `maxPartBytes`. */
	targetPartBytes?: (fileBytes: number) => number;
	/**
	 * Given the header, what to call with every data row this same read finds (a `RowVisitor`:
	 * its `position` + 1 is the row number), or nothing: so a caller that must see every row
	 * before anything is uploaded (the group splitter's groups) needs no read of its own.
	 */
	visitRows?: (header: string[]) => RowVisitor | undefined;
}

/** One planned part: [dataStart, dataEnd) of the file as read, after the header. */
export interface PartPlan {
	/** 0-based position of the part */
	index: number;
	/** data rows in this part (empty lines not counted) */
	rows: number;
	/** 1-based data-row number of this part's first row in the whole file */
	firstRowNumber: number;
	dataStart: number;
	dataEnd: number;
}

export interface SplitPlan {
	encoding: ResolvedEncoding;
	delimiter: string;
	/** the header line with its line break, as uploaded */
	headerLine: Buffer;
	/** the column names */
	header: string[];
	parts: PartPlan[];
	totalRows: number;
	/** bytes of the file as read, a BOM included */
	totalBytes: number;
	hasBom: boolean;
}

export interface FilePart extends PartPlan {
	/** the header line followed by this part's rows, exactly as read */
	body: Buffer;
}

const UTF8_BOM_LENGTH = 3;

function hasUtf8Bom(bytes: Uint8Array): boolean {
	return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Most bytes read before the header line must have ended (then it is too large anyway). */
const HEAD_BYTES = 64 * 1024;

/**
 * The file as read, without a leading UTF-8 BOM, with the first bytes gathered
 * (at least HEAD_BYTES or a whole header line) so the delimiter can be chosen.
 */
async function* streamWithoutBom(
	chunks: AsyncIterable<Buffer>,
	found: { bomLength: number; head?: Buffer },
): AsyncGenerator<Buffer> {
	let head: Buffer | undefined = Buffer.alloc(0);
	for await (const chunk of chunks) {
		if (head === undefined) {
			yield chunk;
			continue;
		}
		head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
		if (head.length < UTF8_BOM_LENGTH) continue;
		if (found.head === undefined) found.bomLength = hasUtf8Bom(head) ? UTF8_BOM_LENGTH : 0;
		const rest = head.subarray(found.bomLength);
		if (rest.length < HEAD_BYTES && rest.indexOf(0x0a) === -1 && rest.indexOf(0x0d) === -1)
			continue;
		found.head = rest;
		head = undefined;
		if (rest.length > 0) yield rest;
	}
	if (head !== undefined) {
		if (found.head === undefined) found.bomLength = hasUtf8Bom(head) ? UTF8_BOM_LENGTH : 0;
		const rest = head.subarray(found.bomLength);
		found.head = rest;
		if (rest.length > 0) yield rest;
	}
}

/** Row ends kept by pass 1: a sparse list from which parts are cut. */
class Boundaries {
	readonly offsets: number[] = [];
	/** data rows before each offset */
	readonly rowsBefore: number[] = [];

	add(offset: number, rowsBefore: number): void {
		this.offsets.push(offset);
		this.rowsBefore.push(rowsBefore);
	}

	get last(): number {
		return this.offsets[this.offsets.length - 1];
	}
}

/**
 * Largest gap between two kept row ends, unless one row alone is larger. A part ends
 * at a kept row end, so it comes out up to this much short of its target: well
 * inside partSizing's slack (0.5% of a part), so no file needs an extra part.
 */
const BOUNDARY_SPACING = 8 * 1024;

/**
 * Pure: cuts the kept row ends into parts of at most `maxDataBytes` data bytes,
 * aiming at `targetDataBytes`. Stretches without a data row (empty lines at the
 * end) form no part.
 */
export function cutPlan(
	boundaries: Boundaries,
	maxDataBytes: number,
	targetDataBytes: number,
): PartPlan[] {
	const { offsets, rowsBefore } = boundaries;
	const parts: PartPlan[] = [];
	let start = 0;
	while (start < offsets.length - 1) {
		let end = start + 1;
		// Furthest kept row end within the target, else within the maximum (the next one always fits).
		while (end + 1 < offsets.length && offsets[end + 1] - offsets[start] <= targetDataBytes) end++;
		if (offsets[end] - offsets[start] > targetDataBytes) {
			while (end + 1 < offsets.length && offsets[end + 1] - offsets[start] <= maxDataBytes) end++;
		}
		const rows = rowsBefore[end] - rowsBefore[start];
		if (rows > 0) {
			parts.push({
				index: parts.length,
				rows,
				firstRowNumber: rowsBefore[start] + 1,
				dataStart: offsets[start],
				dataEnd: offsets[end],
			});
		}
		start = end;
	}
	return parts;
}

/**
 * Pass 1: reads the whole file once and plans its parts, or throws a CsvFileError
 * naming what would have stopped the import. Nothing is uploaded before this ends.
 */
export async function planParts(open: OpenSource, options: PlanOptions): Promise<SplitPlan> {
	const maxPartBytes = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
	if (!Number.isInteger(maxPartBytes) || maxPartBytes < 2) {
		throw new RangeError(`maxPartBytes must be an integer of at least 2, got ${maxPartBytes}`);
	}
	const found: { bomLength: number; head?: Buffer } = { bomLength: 0 };
	const stream = streamWithoutBom(
		readAsUtf8(await open(), options.encoding, { validate: true }),
		found,
	);

	let scanner: RowBoundaryScanner | undefined;
	let delimiter = ',';
	let headerLine: Buffer | undefined;
	let headerBytes = 0;
	let spacing = BOUNDARY_SPACING;
	const boundaries = new Boundaries();
	let dataRows = 0;
	let previousEnd = 0;
	let lastKept = 0;
	let streamLength = 0;
	let tooLarge: RowTooLargeError | undefined;
	let headChunks: Buffer[] | undefined = [];
	let chunkNow: Buffer = Buffer.alloc(0);
	let rows: RowViews | undefined;

	const onRowEnd = (contentEnd: number, rowEnd: number) => {
		if (headerLine === undefined) {
			if (contentEnd === 0) {
				throw new CsvFileError(
					'empty-header',
					'The first line of the file is empty: it must be the header line naming the columns',
				);
			}
			if (rowEnd >= maxPartBytes) throw headerTooLarge(rowEnd, maxPartBytes);
			headerBytes = rowEnd;
			headerLine = Buffer.concat(headChunks ?? []).subarray(0, rowEnd);
			headChunks = undefined;
			const visit = options.visitRows?.(parseFirstRow(headerLine.toString('utf8'), delimiter));
			if (visit) rows = new RowViews(visit, rowEnd, chunkNow, streamLength - chunkNow.length);
			spacing = Math.max(
				1,
				Math.min(BOUNDARY_SPACING, Math.floor((maxPartBytes - headerBytes) / 4)),
			);
			boundaries.add(rowEnd, 0);
			previousEnd = lastKept = rowEnd;
			return;
		}
		// Keep the previous row end once the gap since the last kept one would grow past the spacing.
		if (rowEnd - lastKept > spacing && previousEnd > lastKept) {
			boundaries.add(previousEnd, dataRows);
			lastKept = previousEnd;
		}
		const isEmptyLine = contentEnd === previousEnd;
		if (!isEmptyLine) {
			dataRows++;
			if (tooLarge === undefined && headerBytes + rowEnd - previousEnd > maxPartBytes) {
				// Reported after the encoding and quote checks: an unclosed quote makes a huge row too.
				tooLarge = new RowTooLargeError(dataRows, rowEnd - previousEnd, headerBytes, maxPartBytes);
			}
		}
		previousEnd = rowEnd;
		rows?.rowEnd(contentEnd, rowEnd);
	};

	try {
		for await (const chunk of stream) {
			if (scanner === undefined) {
				delimiter = options.delimiterFor(found.head ?? chunk);
				scanner = new RowBoundaryScanner(delimiter);
			}
			if (headChunks !== undefined) headChunks.push(chunk);
			streamLength += chunk.length;
			chunkNow = chunk;
			rows?.begin(chunk);
			scanner.scan(chunk, onRowEnd);
			rows?.end();
			if (headerLine === undefined && streamLength >= maxPartBytes)
				throw headerTooLarge(streamLength, maxPartBytes);
		}
	} catch (error) {
		rows = undefined; // the file is refused: its rows are nobody's business
		// Bytes not in the encoding: say where, in the user's terms (row and column).
		throw await withPlace(error, async (problem) => {
			// What stopped the reading is not LF: a CR that ended the last chunk ended its row.
			scanner?.endPendingCr(onRowEnd);
			return await encodingProblem(open, options.encoding, problem, {
				bomLength: found.bomLength,
				delimiter,
				rowStart: scanner?.currentRowStart ?? 0,
				headerLine,
				rowNumber: headerLine === undefined ? 0 : dataRows + 1,
			});
		});
	}

	if (streamLength === 0 || scanner === undefined) throw new EmptyFileError();
	if (!scanner.finish(onRowEnd)) {
		throw await unclosedQuote(open, options.encoding, scanner, {
			bomLength: found.bomLength,
			delimiter,
			headerLine,
			rowNumber: headerLine === undefined ? 0 : dataRows + 1,
		});
	}
	if (headerLine === undefined || dataRows === 0) throw new HeaderOnlyError();
	if (tooLarge) throw tooLarge;
	if (previousEnd > lastKept) boundaries.add(previousEnd, dataRows);
	if (streamLength > boundaries.last) boundaries.add(streamLength, dataRows); // trailing empty lines

	const totalBytes = streamLength + found.bomLength;
	const target = Math.min(maxPartBytes, options.targetPartBytes?.(totalBytes) ?? maxPartBytes);
	const parts = cutPlan(boundaries, maxPartBytes - headerBytes, target - headerBytes).map(
		(part) => ({
			...part,
			dataStart: part.dataStart + found.bomLength,
			dataEnd: part.dataEnd + found.bomLength,
		}),
	);
	return {
		encoding: options.encoding,
		delimiter,
		headerLine,
		header: parseFirstRow(headerLine.toString('utf8'), delimiter),
		parts,
		totalRows: dataRows,
		totalBytes,
		hasBom: found.bomLength > 0,
	};
}

/** An EncodingError made into a CsvFileError by `place`; any other error as it is. */
export interface CutOptions {
	/**
	 * Hand out every part in the same memory instead of a fresh Buffer each: a
	 * yielded `body` is then valid only until the next part is requested, so use it
	 * (upload it, copy it) before that and do not keep it. Memory then stays at one
	 * part whatever the file size. Default false.
	 */
	reusePartBuffer?: boolean;
}

/**
 * Pass 2: reads the file again and hands out the parts `plan` describes, each the
 * header line followed by its rows, byte for byte.
 */
export async function* cutParts(
	open: OpenSource,
	plan: SplitPlan,
	options: CutOptions = {},
): AsyncGenerator<FilePart, void, undefined> {
	const { headerLine, parts } = plan;
	if (parts.length === 0) return;
	const largest = Math.max(...parts.map((part) => part.dataEnd - part.dataStart));
	const shared =
		options.reusePartBuffer === true ? Buffer.allocUnsafe(headerLine.length + largest) : undefined;
	let index = 0;
	let part = parts[0];
	let body = shared ?? Buffer.allocUnsafe(headerLine.length + part.dataEnd - part.dataStart);
	headerLine.copy(body);
	let offset = 0;
	for await (const chunk of readAsUtf8(await open(), plan.encoding)) {
		const chunkStart = offset;
		offset += chunk.length;
		while (part !== undefined && chunkStart < part.dataEnd) {
			const from = Math.max(part.dataStart, chunkStart);
			const to = Math.min(part.dataEnd, offset);
			if (to > from)
				chunk.copy(
					body,
					headerLine.length + from - part.dataStart,
					from - chunkStart,
					to - chunkStart,
				);
			if (offset < part.dataEnd) break;
			yield { ...part, body: body.subarray(0, headerLine.length + part.dataEnd - part.dataStart) };
			part = parts[++index];
			if (part !== undefined) {
				if (!shared) body = Buffer.allocUnsafe(headerLine.length + part.dataEnd - part.dataStart);
				headerLine.copy(body);
			}
		}
	}
	if (part !== undefined || offset !== plan.totalBytes) {
		throw new CsvFileError(
			'file-changed',
			`The file changed while it was being imported (${offset} bytes now, ${plan.totalBytes} when it was checked)`,
		);
	}
}

/** Both passes: plans the parts, then hands them out. Returns the plan. */
export async function* splitIntoParts(
	open: OpenSource,
	options: PlanOptions & CutOptions,
): AsyncGenerator<FilePart, SplitPlan, undefined> {
	const plan = await planParts(open, options);
	yield* cutParts(open, plan, options);
	return plan;
}
