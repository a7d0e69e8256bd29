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
	fieldSpansInto(bytes, start, end, delimiter, spans, Infinity);
	return spans;
}

/**
 * `fieldSpans` into `spans` (cleared first; reused so the hot loop makes no array per row),
 * stopping after `maxFields` fields. Returns the number of fields found.
 */
export function fieldSpansInto(
	bytes: Uint8Array,
	start: number,
	end: number,
	delimiter: number,
	spans: number[],
	maxFields: number,
): number {
	spans.length = 0;
	const buffer = bytes as Buffer;
	let pos = start;
	for (let count = 1; ; count++) {
		const fieldStart = pos;
		if (pos < end && buffer[pos] === QUOTE) {
			pos++;
			for (;;) {
				const quote = buffer.indexOf(QUOTE, pos);
				if (quote === -1 || quote >= end) {
					pos = end;
					break;
				}
				if (quote + 1 < end && buffer[quote + 1] === QUOTE) {
					pos = quote + 2;
					continue;
				}
				pos = quote + 1;
				break;
			}
		}
		let fieldEnd = buffer.indexOf(delimiter, pos);
		if (fieldEnd === -1 || fieldEnd > end) fieldEnd = end;
		spans.push(fieldStart, fieldEnd);
		if (fieldEnd === end || count >= maxFields) return count;
		pos = fieldEnd + 1;
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
	spans.push(lastEnd + 1, contentEnd);
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

/** Writes the row without the `dropped` fields into `target` at `at`; returns the bytes written. */
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
	if (emptyRow) at += target.write('""', at, 'latin1');
	let kept = 0;
	for (let f = 0, d = 0; f < fieldCount; f++) {
		if (d < dropped.length && dropped[d] === f) {
			d++;
			continue;
		}
		if (kept++ > 0) target[at++] = delimiterByte;
		at += bytes.copy(target, at, spans[2 * f], spans[2 * f + 1]);
	}
	at += bytes.copy(target, at, contentEnd, rowEnd);
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
