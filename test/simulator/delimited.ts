/**
 * The simulator's own RFC 4180 reader and writer for csv / tsv / ssv. Deliberately
 * independent from the product's parser (nodes/shared/csv) so a bug there cannot hide
 * behind the same bug here.
 */
import type { DelimitedFormat } from './types';

export const DELIMITERS: Record<DelimitedFormat, string> = { csv: ',', tsv: '\t', ssv: ';' };

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Index of the first delimiter, CR or LF at or after `from` (the end of an unquoted run). */
function endOfUnquoted(source: string, from: number, delimiterCode: number): number {
	let i = from;
	while (i < source.length) {
		const code = source.charCodeAt(i);
		if (code === delimiterCode || code === CR || code === LF) break;
		i++;
	}
	return i;
}

/**
 * Parses a whole file. Quoted fields may hold the delimiter, doubled quotes, CR and LF.
 * A quote opens a quoted section only at the start of a field; anything after the closing
 * quote up to the next delimiter is kept as is, and a quote elsewhere is an ordinary
 * character. Rows end at CRLF, LF or a lone CR. An unterminated quote runs to the end of
 * the file.
 * An empty line (nothing at all between two line breaks) comes back as a row without
 * fields (`[]`), so a caller can tell it from a line holding spaces or `""` (a row of one
 * field); see `isBlankRow` in rows.ts. A trailing line break adds no row.
 * Fields are cut out with slice() rather than built one character at a time: a 10 MB upload
 * must parse in a few tens of milliseconds.
 */
export function parseDelimited(text: string, delimiter: string): string[][] {
	const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
	const delimiterCode = delimiter.charCodeAt(0);
	const rows: string[][] = [];
	if (source.length === 0) return rows;
	let row: string[] = [];
	let i = 0;
	for (;;) {
		// i is the start of a field (it equals source.length only right after a final delimiter).
		if (row.length === 0) {
			const first = source.charCodeAt(i);
			if (first === CR || first === LF) {
				rows.push([]);
				i += first === CR && source.charCodeAt(i + 1) === LF ? 2 : 1;
				if (i >= source.length) return rows;
				continue;
			}
		}
		let value: string;
		if (source.charCodeAt(i) === QUOTE) {
			let quoted = '';
			let segmentStart = i + 1;
			for (;;) {
				const close = source.indexOf('"', segmentStart);
				if (close === -1) {
					quoted += source.slice(segmentStart);
					i = source.length;
					break;
				}
				if (source.charCodeAt(close + 1) === QUOTE) {
					quoted += source.slice(segmentStart, close + 1);
					segmentStart = close + 2;
					continue;
				}
				quoted += source.slice(segmentStart, close);
				i = close + 1;
				break;
			}
			const tailEnd = endOfUnquoted(source, i, delimiterCode);
			value = quoted + source.slice(i, tailEnd);
			i = tailEnd;
		} else {
			const end = endOfUnquoted(source, i, delimiterCode);
			value = source.slice(i, end);
			i = end;
		}
		row.push(value);
		// A last line without a line break still counts.
		if (i >= source.length) {
			rows.push(row);
			return rows;
		}
		const code = source.charCodeAt(i);
		if (code === delimiterCode) {
			i++;
			continue;
		}
		rows.push(row);
		row = [];
		i += code === CR && source.charCodeAt(i + 1) === LF ? 2 : 1;
		// A trailing line break adds no row.
		if (i >= source.length) return rows;
	}
}

/** Quotes a value when it holds the delimiter, a quote, CR or LF (RFC 4180). */
export function quoteValue(value: string, delimiter: string): string {
	if (
		value.includes(delimiter) ||
		value.includes('"') ||
		value.includes('\n') ||
		value.includes('\r')
	) {
		return `"${value.replace(/"/g, '""')}"`;
	}
	return value;
}

/** Writes rows, every line ending with "\n" (the line break the Adobe examples show). */
export function writeDelimited(rows: string[][], delimiter: string): string {
	return rows
		.map((row) => row.map((value) => quoteValue(value, delimiter)).join(delimiter) + '\n')
		.join('');
}

/** Accepts csv/tsv/ssv in any letter case (the OpenAPI enum says CSV, the docs csv). */
export function parseFormat(value: string | undefined): DelimitedFormat | undefined {
	const lower = (value ?? '').toLowerCase();
	return lower === 'csv' || lower === 'tsv' || lower === 'ssv' ? lower : undefined;
}
