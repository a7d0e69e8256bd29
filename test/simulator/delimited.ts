/**
 * The simulator's own RFC 4180 reader and writer for csv / tsv / ssv. Deliberately
 * independent from the product's parser (nodes/shared/csv) so a bug there cannot hide
 * behind the same bug here.
 */
import type { DelimitedFormat } from './types';

export const DELIMITERS: Record<DelimitedFormat, string> = { csv: ',', tsv: '\t', ssv: ';' };

/** Parses a whole file. Quoted fields may hold the delimiter, doubled quotes, CR and LF. */
export function parseDelimited(text: string, delimiter: string): string[][] {
	const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
	const rows: string[][] = [];
	let row: string[] = [];
	let field = '';
	let inQuotes = false;
	let fieldStarted = false;
	let i = 0;
	const endField = () => {
		row.push(field);
		field = '';
		fieldStarted = false;
	};
	const endRow = () => {
		endField();
		rows.push(row);
		row = [];
	};
	while (i < source.length) {
		const ch = source[i];
		if (inQuotes) {
			if (ch === '"') {
				if (source[i + 1] === '"') {
					field += '"';
					i += 2;
					continue;
				}
				inQuotes = false;
				i++;
				continue;
			}
			field += ch;
			i++;
			continue;
		}
		if (ch === '"' && !fieldStarted && field === '') {
			inQuotes = true;
			fieldStarted = true;
			i++;
			continue;
		}
		if (ch === delimiter) {
			endField();
			i++;
			continue;
		}
		if (ch === '\r' || ch === '\n') {
			endRow();
			i += ch === '\r' && source[i + 1] === '\n' ? 2 : 1;
			continue;
		}
		field += ch;
		fieldStarted = true;
		i++;
	}
	// A last line without a line break still counts; a trailing line break adds no row.
	if (field !== '' || fieldStarted || row.length > 0) endRow();
	return rows;
}

/** Quotes a value when it holds the delimiter, a quote, CR or LF (RFC 4180). */
export function quoteValue(value: string, delimiter: string): string {
	if (value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r')) {
		return `"${value.replace(/"/g, '""')}"`;
	}
	return value;
}

/** Writes rows, every line ending with "\n" (the line break the Adobe examples show). */
export function writeDelimited(rows: string[][], delimiter: string): string {
	return rows.map((row) => row.map((value) => quoteValue(value, delimiter)).join(delimiter) + '\n').join('');
}

/** Accepts csv/tsv/ssv in any letter case (the OpenAPI enum says CSV, the docs csv). */
export function parseFormat(value: string | undefined): DelimitedFormat | undefined {
	const lower = (value ?? '').toLowerCase();
	return lower === 'csv' || lower === 'tsv' || lower === 'ssv' ? lower : undefined;
}
