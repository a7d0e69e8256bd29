/**
 * Marketo's failure and warning files -> one n8n item per row.
 *
 * The files come back in the delimiter of the upload, with the uploaded columns
 * (sometimes minus a column that was empty in every listed row) and one extra column
 * holding the reason. Values can contain delimiters, quotes and newlines, so the file is
 * read with the RFC 4180 parser, never split on newlines.
 */
import { parseWithHeader } from '../../../shared/csv/parser';
import type { ResultRow } from '../../../shared/rowItems';

export interface ResultFile {
	/** the file's columns in file order, without the reason column */
	columns: string[];
	/** the reason column's header as Marketo wrote it, or null for an empty file */
	reasonColumn: string | null;
	rows: ResultRow[];
	/** data rows that had more fields than the header (their extra fields are dropped) */
	longRowCount: number;
}

const REASON_COLUMN = /^\s*import\s+(failure|warning)\s+reason\s*$/i;

/**
 * Which column holds the reason. Marketo names it "Import Failure Reason" /
 * "Import Warning Reason" and puts it last; if the name ever differs, last is the
 * documented position, so fall back to it.
 */
export function reasonColumnIndex(header: string[]): number {
	const named = header.findIndex((name) => REASON_COLUMN.test(name));
	return named !== -1 ? named : header.length - 1;
}

export function parseResultFile(text: string, delimiter: string): ResultFile {
	const table = parseWithHeader(text, delimiter);
	if (table.header.length === 0) {
		return { columns: [], reasonColumn: null, rows: [], longRowCount: 0 };
	}
	const reasonAt = reasonColumnIndex(table.header);
	const reasonColumn = table.header[reasonAt];
	const columns = table.header.filter((_, index) => index !== reasonAt);
	const rows = table.rows.map((record) => {
		const values: Record<string, string> = {};
		for (const column of columns) values[column] = record[column];
		return { values, reason: record[reasonColumn] ?? '' };
	});
	return { columns, reasonColumn, rows, longRowCount: table.longRows.length };
}
