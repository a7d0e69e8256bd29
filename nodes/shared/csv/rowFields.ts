/**
 * Reading rows and single fields straight from a file's bytes, with the row grammar of
 * rowBoundaries.ts: used where a whole-row parse for every row would cost too much (the
 * tie-back reading a 1 GB file, Bulk Import collecting a part's lookup values).
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
export function hashOfUnquotedField(bytes: Uint8Array, start: number, end: number, index: number, delimiter: number): number {
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
 * Calls `visit` with every data row of `chunks` (bytes [start, end) of `bytes`, line
 * break excluded) and its 0-based position among the data rows, reading rows as the
 * splitter does. No Buffer is made for a row unless it spans two chunks.
 */
export async function forEachRow(
	chunks: AsyncIterable<Uint8Array>,
	delimiter: string,
	visit: (bytes: Buffer, start: number, end: number, position: number) => void,
): Promise<void> {
	const scanner = new RowBoundaryScanner(delimiter);
	let position = 0;
	let chunk: Buffer = Buffer.alloc(0);
	let chunkStart = 0;
	/** the bytes of the row being read that came in earlier chunks */
	let carried: Buffer = Buffer.alloc(0);
	let carriedStart = 0;
	let rowStart = 0;
	const onRowEnd = (contentEnd: number, rowEnd: number) => {
		if (contentEnd > rowStart) {
			if (rowStart >= chunkStart) {
				visit(chunk, rowStart - chunkStart, contentEnd - chunkStart, position++);
			} else {
				const row = Buffer.concat([
					carried.subarray(rowStart - carriedStart),
					chunk.subarray(0, Math.max(0, contentEnd - chunkStart)),
				]);
				visit(row, 0, contentEnd - rowStart, position++);
			}
		}
		rowStart = rowEnd;
	};
	for await (const raw of chunks) {
		if (raw.length === 0) continue;
		chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
		scanner.scan(chunk, onRowEnd);
		// The unfinished row's bytes so far (a CR ending the chunk included), for the chunk that ends it.
		const unfinishedStart = rowStart;
		const chunkEnd = chunkStart + chunk.length;
		if (unfinishedStart < chunkEnd) {
			carried =
				unfinishedStart >= chunkStart
					? Buffer.from(chunk.subarray(unfinishedStart - chunkStart))
					: Buffer.concat([carried.subarray(unfinishedStart - carriedStart), chunk]);
			carriedStart = unfinishedStart;
		} else {
			carried = Buffer.alloc(0);
			carriedStart = chunkEnd;
		}
		chunkStart = chunkEnd;
	}
	chunk = Buffer.alloc(0);
	scanner.finish(onRowEnd);
}

