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

/** Bytes of one block of a `RowLog`: blocks are let go of one by one as they are read back. */
const LOG_BLOCK_BYTES = 256 * 1024;
/** Varints hold values below this (bitwise arithmetic); a larger one ends the log. */
const LOG_VALUE_LIMIT = 0x7fffffff;

/**
 * The rows one read found (as `RowViews` hands them to a `RowVisitor`), written down in a few
 * bytes each: where each row starts and ends (as varints of the distance from the row before)
 * and a small number the caller tags it with. A later read of the same bytes hands out the
 * same rows from it (`LoggedRows`) without finding the row ends again: finding them is most of
 * a read's work. Past `maxBytes` the log gives up (`complete` false) and lets its memory go.
 */
export class RowLog {
	private blocks: Uint8Array[] = [];
	/** where each block's bytes end (the current one's: `fill`) */
	private fills: number[] = [];
	private block: Uint8Array = new Uint8Array(0);
	private fill = 0;
	private size = 0;
	private lastEnd = 0;
	private given = false;
	rows = 0;
	/** the stream offset where the last row ended */
	get end(): number {
		return this.lastEnd;
	}

	constructor(private readonly maxBytes: number) {}

	/** True while every row added is in the log. */
	get complete(): boolean {
		return !this.given;
	}

	/** Lets go of the log: it is of no use any more. */
	giveUp(): void {
		this.given = true;
		this.blocks = [];
		this.fills = [];
		this.block = new Uint8Array(0);
	}

	/** Adds the row a `RowVisitor` was given (its bytes, stream offset) with `tag`. */
	add(start: number, contentEnd: number, rowEnd: number, streamStart: number, tag: number): void {
		if (this.given) return;
		const gap = streamStart - this.lastEnd;
		const content = contentEnd - start;
		const lineBreak = rowEnd - contentEnd;
		const head = (content * 3 + lineBreak) * 2 + (gap > 0 ? 1 : 0);
		if (head > LOG_VALUE_LIMIT || gap > LOG_VALUE_LIMIT || tag > LOG_VALUE_LIMIT || gap < 0) {
			this.giveUp();
			return;
		}
		if (this.fill + 15 > this.block.length) {
			if (this.size + LOG_BLOCK_BYTES > this.maxBytes) {
				this.giveUp();
				return;
			}
			if (this.blocks.length > 0) this.fills.push(this.fill);
			this.block = new Uint8Array(LOG_BLOCK_BYTES);
			this.blocks.push(this.block);
			this.fill = 0;
			this.size += LOG_BLOCK_BYTES;
		}
		this.put(head);
		if (gap > 0) this.put(gap);
		this.put(tag);
		this.lastEnd = streamStart + rowEnd - start;
		this.rows++;
	}

	private put(value: number): void {
		const block = this.block;
		let at = this.fill;
		while (value >= 0x80) {
			block[at++] = (value & 0x7f) | 0x80;
			value >>>= 7;
		}
		block[at++] = value;
		this.fill = at;
	}

	/**
	 * Hands the blocks written, in order, and where each one's bytes end, to one `LoggedRows`,
	 * which lets each go once read: the log is empty afterwards.
	 */
	take(): { blocks: Uint8Array[]; fills: number[] } {
		if (this.given) throw new Error('The row log is incomplete or was read already');
		const taken = { blocks: this.blocks, fills: [...this.fills, this.fill] };
		this.giveUp();
		return taken;
	}
}

/**
 * The rows of a `RowLog`, handed out from a second read of the same bytes as `RowReader` hands
 * out rows it finds: `read` each chunk, then `finish`. The stream read here starts at offset
 * `base` of the one logged. `tag` is the tag of the row being visited.
 */
export class LoggedRows {
	private readonly views = new RowViews(() => {});
	private readonly blocks: Uint8Array[];
	private readonly fills: number[];
	private blockIndex = 0;
	private at = 0;
	private left: number;
	private streamEnd = 0;
	/** the end of the last row handed out, in this stream's offsets */
	private lastEnd: number;
	/** the next row, decoded but not yet in the bytes read (-1: none decoded) */
	private nextStart = -1;
	private nextContentEnd = 0;
	private nextRowEnd = 0;
	private nextTag = 0;
	tag = 0;

	constructor(log: RowLog, base: number) {
		this.left = log.rows;
		({ blocks: this.blocks, fills: this.fills } = log.take());
		this.lastEnd = -base;
	}

	private get(): number {
		let block = this.blocks[this.blockIndex];
		if (this.at >= this.fills[this.blockIndex]) {
			this.blocks[this.blockIndex] = EMPTY; // read: let it go
			block = this.blocks[++this.blockIndex];
			this.at = 0;
		}
		let value = 0;
		let shift = 0;
		for (;;) {
			const byte = block[this.at++];
			value |= (byte & 0x7f) << shift;
			if (byte < 0x80) return value >>> 0;
			shift += 7;
		}
	}

	private decode(): void {
		const head = this.get();
		const gap = head & 1 ? this.get() : 0;
		const lengths = head >>> 1;
		const lineBreak = lengths % 3;
		const content = (lengths - lineBreak) / 3;
		this.nextStart = this.lastEnd + gap;
		this.nextContentEnd = this.nextStart + content;
		this.nextRowEnd = this.nextContentEnd + lineBreak;
		this.nextTag = this.get();
	}

	/** Reads the next chunk of the stream and visits each logged row that ends in it. */
	read(chunk: Buffer, visit: RowVisitor): void {
		if (chunk.length === 0) return;
		const views = this.views;
		views.visit = visit;
		views.begin(chunk);
		this.streamEnd += chunk.length;
		for (;;) {
			if (this.nextStart === -1) {
				if (this.left === 0) break;
				this.left--;
				this.decode();
			}
			if (this.nextRowEnd > this.streamEnd) break;
			// The bytes before the row (empty lines): no row, as RowViews takes an empty line.
			if (this.nextStart > this.lastEnd) views.rowEnd(this.lastEnd, this.nextStart);
			this.tag = this.nextTag;
			views.rowEnd(this.nextContentEnd, this.nextRowEnd);
			this.lastEnd = this.nextRowEnd;
			this.nextStart = -1;
		}
		views.end();
	}

	/** The end of the stream: true when every logged row was handed out. */
	finish(): boolean {
		return this.nextStart === -1 && this.left === 0;
	}
}
