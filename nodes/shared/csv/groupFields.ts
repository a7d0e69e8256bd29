/**
 * The group columns of a row, read straight from its bytes: a row's group value (the key its
 * part is chosen by) and the row as uploaded, without the group columns. Pure; used by the group
 * splitter (groupSplitter.ts) and by Wait for Batch's tie-back, which must read the same values.
 */
import { parseDelimited } from './parser';

const QUOTE = 0x22;

/** Pure: a group column's value as a group is named by it (surrounding spaces do not count). */
export function groupValueOf(field: string | undefined): string {
	return (field ?? '').trim();
}

/**
 * Pure: the raw bounds of each field of the row in bytes [start, end) (line break
 * excluded), as pairs [start0, end0, start1, end1, ...]. A field that starts with a
 * quote runs to its closing quote (a doubled quote is data), then to the next delimiter.
 */
export function fieldSpans(
	bytes: Uint8Array,
	start: number,
	end: number,
	delimiter: number,
): number[] {
	const spans: number[] = [];
	spans.length = 2 * fieldSpansInto(bytes, start, end, delimiter, spans, Infinity);
	return spans;
}

/**
 * `fieldSpans` into `spans`, stopping after `maxFields` fields; returns the number of fields
 * found. `spans` is reused so the hot loop makes no array per row: it is written from its
 * start and never shortened (V8 would give its memory back and take it again for every
 * row), so the pairs past the count returned are an earlier row's. The fields are searched
 * in JavaScript, within the row: for short fields a native `indexOf` per field costs more.
 */
export function fieldSpansInto(
	bytes: Uint8Array,
	start: number,
	end: number,
	delimiter: number,
	spans: number[],
	maxFields: number,
): number {
	let pos = start;
	for (let count = 1; ; count++) {
		const fieldStart = pos;
		if (pos < end && bytes[pos] === QUOTE) {
			pos++;
			for (;;) {
				while (pos < end && bytes[pos] !== QUOTE) pos++;
				if (pos >= end) break;
				if (pos + 1 < end && bytes[pos + 1] === QUOTE) {
					pos += 2;
					continue;
				}
				pos++;
				break;
			}
		}
		while (pos < end && bytes[pos] !== delimiter) pos++;
		spans[2 * count - 2] = fieldStart;
		spans[2 * count - 1] = pos;
		if (pos === end || count >= maxFields) return count;
		pos++;
	}
}

/**
 * The row's fields up to the last dropped one, then the rest of the row as one piece (its
 * fields are kept byte for byte, so they need not be found): spans as `fieldSpansInto`.
 * Returns the number of pieces.
 */
export function rowPieces(
	bytes: Uint8Array,
	start: number,
	contentEnd: number,
	delimiter: number,
	spans: number[],
	dropped: number[],
): number {
	if (dropped.length === 0)
		return fieldSpansInto(bytes, start, contentEnd, delimiter, spans, Infinity);
	const maxFields = dropped[dropped.length - 1] + 1;
	const count = fieldSpansInto(bytes, start, contentEnd, delimiter, spans, maxFields);
	const lastEnd = spans[2 * count - 1];
	if (count < maxFields || lastEnd >= contentEnd) return count;
	spans[2 * count] = lastEnd + 1;
	spans[2 * count + 1] = contentEnd;
	return count + 1;
}

/** Pure: the bytes the row takes without the `dropped` fields (sorted), line break included, and whether it is written `""`. */
export function keptRowBytes(
	spans: number[],
	fieldCount: number,
	dropped: number[],
	lineBreakBytes: number,
): { size: number; emptyRow: boolean } {
	let size = lineBreakBytes;
	let kept = 0;
	for (let f = 0, d = 0; f < fieldCount; f++) {
		if (d < dropped.length && dropped[d] === f) {
			d++;
			continue;
		}
		size += spans[2 * f + 1] - spans[2 * f] + (kept > 0 ? 1 : 0);
		kept++;
	}
	// A row left with one empty field would be an empty line, which is no row at all: quote it.
	const emptyRow = kept > 0 && size === lineBreakBytes;
	return { size: emptyRow ? size + 2 : size, emptyRow };
}

/**
 * Copies bytes [from, to) of `bytes` into `target` at `at`; returns the bytes copied. A row is
 * copied with one call per row: `Buffer#copy` checks its arguments and makes a view of the
 * source for every call, which costs twice this view and `set`; a few bytes go byte by byte.
 */
function copyBytes(bytes: Buffer, target: Buffer, at: number, from: number, to: number): number {
	const length = to - from;
	if (length <= 16) for (let i = 0; i < length; i++) target[at + i] = bytes[from + i];
	else target.set(new Uint8Array(bytes.buffer, bytes.byteOffset + from, length), at);
	return length;
}

/**
 * Writes the row without the `dropped` fields into `target` at `at`; returns the bytes written.
 * Kept fields that follow each other are copied in one run with the delimiters between them
 * (and the line break, when the run ends the row): a copy costs more per call than per byte.
 */
export function writeKeptRow(
	bytes: Buffer,
	spans: number[],
	fieldCount: number,
	dropped: number[],
	contentEnd: number,
	rowEnd: number,
	delimiterByte: number,
	emptyRow: boolean,
	target: Buffer,
	at: number,
): number {
	const from = at;
	if (emptyRow) {
		target[at++] = QUOTE;
		target[at++] = QUOTE;
	}
	let runStart = -1;
	let runEnd = -1;
	for (let f = 0, d = 0; f < fieldCount; f++) {
		if (d < dropped.length && dropped[d] === f) {
			d++;
			continue;
		}
		const start = spans[2 * f];
		// The next field of the row: one run with the one before, the delimiter between them included.
		if (runStart !== -1 && start === runEnd + 1) {
			runEnd = spans[2 * f + 1];
			continue;
		}
		if (runStart !== -1) {
			at += copyBytes(bytes, target, at, runStart, runEnd);
			target[at++] = delimiterByte;
		}
		runStart = start;
		runEnd = spans[2 * f + 1];
	}
	if (runStart !== -1 && runEnd === contentEnd)
		return at + copyBytes(bytes, target, at, runStart, rowEnd) - from;
	if (runStart !== -1) at += copyBytes(bytes, target, at, runStart, runEnd);
	for (let i = contentEnd; i < rowEnd; i++) target[at++] = bytes[i]; // the line break: 2 bytes at most
	return at - from;
}

/** Pure: the value of the field in bytes [start, end), read as parser.ts reads it. */
export function fieldValue(bytes: Buffer, start: number, end: number, delimiter: string): string {
	if (start >= end) return '';
	if (bytes[start] !== QUOTE) return bytes.toString('utf8', start, end);
	return (
		parseDelimited(bytes.toString('utf8', start, end), delimiter, { atFileStart: false })[0]?.[0] ??
		''
	);
}

/**
 * Pure: the row in bytes [start, contentEnd) without the fields at `dropped` (sorted
 * indices), each kept field byte for byte, followed by the row's line break
 * [contentEnd, rowEnd) (a row left with nothing in it is written `""`, so it stays a
 * row). Also gives the dropped fields' values.
 */
export function withoutFields(
	bytes: Buffer,
	start: number,
	contentEnd: number,
	rowEnd: number,
	dropped: number[],
	delimiter: string,
): { row: Buffer; values: string[] } {
	const delimiterByte = delimiter.charCodeAt(0);
	const spans: number[] = [];
	const fieldCount = rowPieces(bytes, start, contentEnd, delimiterByte, spans, dropped);
	const values = dropped.map((index) =>
		index < fieldCount ? fieldValue(bytes, spans[2 * index], spans[2 * index + 1], delimiter) : '',
	);
	const { size, emptyRow } = keptRowBytes(spans, fieldCount, dropped, rowEnd - contentEnd);
	const row = Buffer.allocUnsafe(size);
	writeKeptRow(
		bytes,
		spans,
		fieldCount,
		dropped,
		contentEnd,
		rowEnd,
		delimiterByte,
		emptyRow,
		row,
		0,
	);
	return { row, values };
}

/** Pure: one string per group (its values in the order of the columns), for a Map. */
export function groupKeyOf(values: string[]): string {
	return values.length === 1 ? values[0] : JSON.stringify(values);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Most distinct spellings of group values remembered byte for byte (a few per group in real files). */
const MAX_RAW_SPELLINGS = 4096;
/** While a file has this few spellings, a row's bytes are compared with each (no hash): a status column's case. */
const FEW_SPELLINGS = 8;

/** A spelling of a group's values as a row's bytes hold them, and the group it names. */
interface RawSpelling {
	/** the group columns' raw bytes, one after the other; `ends[k]` where column k's end */
	raw: Buffer;
	ends: number[];
	group: number;
	/** another spelling with the same hash */
	next: RawSpelling | undefined;
}

/**
 * Finds a row's group from its bytes, as the group splitter does for every row of a file.
 * Decoding each row's values (a string per row, trimmed, a Map lookup by string) costs more
 * than the rest of the row's work: rows whose group columns hold the same bytes as a row seen
 * before are matched by those bytes (a hash, then a byte compare), and only a new spelling is
 * decoded. The same bytes always decode to the same values, so the answer is the decoding's.
 */
export class GroupMatcher {
	/** the groups found so far, in the order their first row came: values in the order of the columns */
	readonly groups: string[][] = [];
	/** the group columns, sorted: the fields `match` drops */
	readonly sorted: number[];
	/** the last matched row's pieces (`rowPieces`: fields up to the last group column, then the rest) */
	readonly spans: number[] = [];
	fieldCount = 0;
	private readonly order: number[];
	private readonly delimiterByte: number;
	private readonly byKey = new Map<string, number>();
	private readonly bySpelling = new Map<number, RawSpelling>();
	/** every spelling, while there are at most FEW_SPELLINGS */
	private few: RawSpelling[] | undefined = [];
	private spellings = 0;

	constructor(
		columns: number[],
		private readonly delimiter: string,
	) {
		this.sorted = [...columns].sort((a, b) => a - b);
		this.order = columns.map((column) => this.sorted.indexOf(column));
		this.delimiterByte = delimiter.charCodeAt(0);
	}

	/** Finds the pieces of the row in bytes [start, contentEnd) (`spans`, `fieldCount`); returns the count. */
	pieces(bytes: Buffer, start: number, contentEnd: number): number {
		const count = rowPieces(bytes, start, contentEnd, this.delimiterByte, this.spans, this.sorted);
		this.fieldCount = count;
		return count;
	}

	/** The group of the row in bytes [start, contentEnd): its index in `groups` (a new one is added). */
	match(bytes: Buffer, start: number, contentEnd: number): number {
		const { spans, sorted } = this;
		const count = this.pieces(bytes, start, contentEnd);
		const few = this.few;
		if (few !== undefined)
			for (let k = 0; k < few.length; k++)
				if (this.spelledAs(few[k], bytes, count)) return few[k].group;
		let hash = FNV_OFFSET;
		for (let k = 0; k < sorted.length; k++) {
			const index = sorted[k];
			if (index < count) {
				for (let i = spans[2 * index], end = spans[2 * index + 1]; i < end; i++)
					hash = Math.imul(hash ^ bytes[i], FNV_PRIME);
			}
			hash = Math.imul(hash ^ 0x100, FNV_PRIME); // a column's end: no byte has this value
		}
		hash &= 0x3fffffff; // a small integer: the quickest Map key
		if (few === undefined)
			for (let seen = this.bySpelling.get(hash); seen !== undefined; seen = seen.next)
				if (this.spelledAs(seen, bytes, count)) return seen.group;
		return this.decode(bytes, count, hash);
	}

	private spelledAs(seen: RawSpelling, bytes: Buffer, count: number): boolean {
		const { spans, sorted } = this;
		let at = 0;
		for (let k = 0; k < sorted.length; k++) {
			const index = sorted[k];
			const from = index < count ? spans[2 * index] : 0;
			const to = index < count ? spans[2 * index + 1] : 0;
			if (seen.ends[k] - at !== to - from) return false;
			for (let i = from; i < to; i++, at++) if (seen.raw[at] !== bytes[i]) return false;
		}
		return true;
	}

	/** A spelling not seen before: its values as the tie-back reads them (`groupValueOf`). */
	private decode(bytes: Buffer, count: number, hash: number): number {
		const { spans, sorted } = this;
		const byPosition = sorted.map((index) =>
			groupValueOf(
				index < count
					? fieldValue(bytes, spans[2 * index], spans[2 * index + 1], this.delimiter)
					: '',
			),
		);
		const values = this.order.map((position) => byPosition[position]);
		const key = groupKeyOf(values);
		let group = this.byKey.get(key);
		if (group === undefined) {
			group = this.groups.length;
			this.groups.push(values);
			this.byKey.set(key, group);
		}
		if (this.spellings < MAX_RAW_SPELLINGS) {
			this.spellings++;
			const pieces = sorted.map((index) =>
				index < count ? bytes.subarray(spans[2 * index], spans[2 * index + 1]) : Buffer.alloc(0),
			);
			const ends: number[] = [];
			let end = 0;
			for (const piece of pieces) ends.push((end += piece.length));
			const spelling: RawSpelling = {
				raw: Buffer.concat(pieces),
				ends,
				group,
				next: this.bySpelling.get(hash),
			};
			this.bySpelling.set(hash, spelling);
			if (this.few !== undefined && this.few.length < FEW_SPELLINGS) this.few.push(spelling);
			else this.few = undefined;
		}
		return group;
	}
}
