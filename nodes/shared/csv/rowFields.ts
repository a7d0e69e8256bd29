/**
 * Reading rows and single fields straight from a file's bytes, with the row grammar of
 * rowBoundaries.ts: used where a whole-row parse for every row would cost too much (the
 * tie-back reading a 1 GB file, Bulk Import collecting a part's lookup values, the group
 * splitter cutting a file by its status column).
 */
import { RowBoundaryScanner } from './rowBoundaries';

const QUOTE = 0x22;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes [start, end): a cheap first test before a string is made. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
	let hash = FNV_OFFSET;
	for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], FNV_PRIME);
	return hash >>> 0;
}

/**
 * FNV-1a over field `index` of the row in bytes [start, end), found and hashed in one JavaScript
 * pass: for the short fields a probe column holds (an email), a native `indexOf` call costs more
 * than the loop. -1 when a quoted field is in the way (parse the row then). Equals
 * `hashBytes` over the bounds `findUnquotedField` gives.
 */
export function hashOfUnquotedField(
	bytes: Uint8Array,
	start: number,
	end: number,
	index: number,
	delimiter: number,
): number {
	let pos = start;
	for (let field = 0; field < index; field++) {
		if (pos < end && bytes[pos] === QUOTE) return -1;
		while (pos < end && bytes[pos] !== delimiter) pos++;
		if (pos >= end) return FNV_OFFSET >>> 0;
		pos++;
	}
	if (pos < end && bytes[pos] === QUOTE) return -1;
	let hash = FNV_OFFSET;
	for (; pos < end; pos++) {
		const byte = bytes[pos];
		if (byte === delimiter) break;
		hash = Math.imul(hash ^ byte, FNV_PRIME);
	}
	return hash >>> 0;
}

export interface FieldBounds {
	start: number;
	end: number;
}

/**
 * Finds field `index` of the row in bytes [start, end) without parsing the row and
 * puts its bounds in `out`; false when a quoted field is in the way (the row is then
 * parsed whole). A row too short to have the field gives an empty field at its end.
 */
export function findUnquotedField(
	bytes: Buffer,
	start: number,
	end: number,
	index: number,
	delimiter: number,
	out: FieldBounds,
): boolean {
	let fieldStart = start;
	for (let field = 0; ; field++) {
		if (fieldStart < end && bytes[fieldStart] === QUOTE) return false;
		let fieldEnd = bytes.indexOf(delimiter, fieldStart);
		if (fieldEnd === -1 || fieldEnd > end) fieldEnd = end;
		if (field === index || fieldEnd === end) {
			out.start = field === index ? fieldStart : end;
			out.end = fieldEnd;
			return true;
		}
		fieldStart = fieldEnd + 1;
	}
}

/**
 * A row found by `RowReader`: its content is bytes [start, contentEnd) of `bytes` and its
 * line break [contentEnd, rowEnd); `position` is its 0-based position among the rows
 * (empty lines are no rows) and `streamStart` where it starts in the stream read.
 */
export type RowVisitor = (
	bytes: Buffer,
	start: number,
	contentEnd: number,
	position: number,
	rowEnd: number,
	streamStart: number,
) => void;

const EMPTY = Buffer.alloc(0);

/**
 * Rows as views of the chunks a `RowBoundaryScanner` reads, from the row ends it reports:
 * for a reader that runs its own scanner (the splitter's pass 1) as well as for `RowReader`.
 * A row is handed out as a view of its chunk; only a row that spans chunks is copied into a
 * Buffer of its own (the bytes of earlier chunks kept until its end is read).
 */
export class RowViews {
	private position = 0;
	private chunk: Buffer = EMPTY;
	private chunkStart: number;
	/** the bytes of the row being read that came in earlier chunks */
	private carried: Buffer = EMPTY;
	private carriedStart: number;
	private rowStart: number;

	/** Rows start at stream offset `from`, inside the chunk being scanned (`chunk`, read from `chunkStart`) or at its end. */
	constructor(
		public visit: RowVisitor,
		from = 0,
		chunk: Buffer = EMPTY,
		chunkStart = from,
	) {
		this.rowStart = from;
		this.chunk = chunk;
		this.chunkStart = chunkStart;
		this.carriedStart = from;
	}

	/** The scanner is about to read `chunk` (the next bytes of the stream). */
	begin(chunk: Buffer): void {
		this.chunk = chunk;
	}

	/** A row end the scanner reported (stream offsets); empty lines are no rows. */
	readonly rowEnd = (contentEnd: number, rowEnd: number): void => {
		const { rowStart, chunk, chunkStart } = this;
		if (contentEnd > rowStart) {
			if (rowStart >= chunkStart && rowEnd <= chunkStart + chunk.length) {
				this.visit(
					chunk,
					rowStart - chunkStart,
					contentEnd - chunkStart,
					this.position++,
					rowEnd - chunkStart,
					rowStart,
				);
			} else {
				const row = Buffer.concat([
					this.carried.subarray(rowStart - this.carriedStart),
					chunk.subarray(0, Math.max(0, rowEnd - chunkStart)),
				]);
				this.visit(row, 0, contentEnd - rowStart, this.position++, rowEnd - rowStart, rowStart);
			}
		}
		this.rowStart = rowEnd;
	};

	/** The scanner has read the chunk: keeps the unfinished row's bytes (a CR ending the chunk included). */
	end(): void {
		const chunk = this.chunk;
		const chunkEnd = this.chunkStart + chunk.length;
		if (this.rowStart < chunkEnd) {
			this.carried =
				this.rowStart >= this.chunkStart
					? Buffer.from(chunk.subarray(this.rowStart - this.chunkStart))
					: Buffer.concat([this.carried.subarray(this.rowStart - this.carriedStart), chunk]);
			this.carriedStart = this.rowStart;
		} else {
			this.carried = EMPTY;
			this.carriedStart = chunkEnd;
		}
		this.chunkStart = chunkEnd;
		this.chunk = EMPTY;
	}
}

/** The rows of a stream read chunk by chunk, as the splitter finds them (rowBoundaries.ts), as `RowViews`. */
export class RowReader {
	private readonly scanner: RowBoundaryScanner;
	private readonly views = new RowViews(() => {});

	constructor(delimiter: string) {
		this.scanner = new RowBoundaryScanner(delimiter);
	}

	/** Reads the next chunk of the stream and visits each row it ends. */
	read(raw: Uint8Array, visit: RowVisitor): void {
		if (raw.length === 0) return;
		const chunk = Buffer.isBuffer(raw)
			? raw
			: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
		this.views.visit = visit;
		this.views.begin(chunk);
		this.scanner.scan(chunk, this.views.rowEnd);
		this.views.end();
	}

	/** The end of the stream: visits the last row when the stream does not end with a line break. */
	finish(visit: RowVisitor): void {
		this.views.visit = visit;
		this.scanner.finish(this.views.rowEnd);
	}
}

/**
 * Calls `visit` with every data row of `chunks` (bytes [start, end) of `bytes`, line
 * break excluded) and its 0-based position among the data rows, reading rows as the
 * splitter does. No Buffer is made for a row unless it spans two chunks.
 */
export async function forEachRow(
	chunks: AsyncIterable<Uint8Array>,
	delimiter: string,
	visit: (bytes: Buffer, start: number, end: number, position: number) => void,
): Promise<void> {
	const rows = new RowReader(delimiter);
	for await (const chunk of chunks) rows.read(chunk, visit);
	rows.finish(visit);
}
