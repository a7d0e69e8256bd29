/**
 * An RFC 4180 parser for comma, tab and semicolon files.
 *
 * Marketo's failure and warning files contain values with embedded delimiters,
 * quotes and newlines, so they must never be split on newlines. The rules:
 * - a field that starts with `"` is quoted: it runs to the next lone `"`, and `""`
 *   inside it is one `"`; delimiters, CR, LF and CRLF inside it are data;
 * - a row ends at LF, CRLF or a lone CR outside quotes; the last row may lack one;
 * - a UTF-8 byte order mark at the very start is skipped; an empty input has no rows;
 * - an empty line is a row with one empty field, unless `skipEmptyLines` is set
 *   (a line holding `""` is a real row either way).
 * Malformed input is read leniently instead of rejected (a failure file is what
 * Marketo gave us; losing it is worse than reading a stray quote literally):
 * text after a closing quote is appended to the field, a quote inside an unquoted
 * field is data, and an unclosed quote runs to the end of the input.
 *
 * Speed matters (failure files of a million rows): fields are located with
 * `indexOf` and cut with `slice`, never built character by character.
 */

export interface ParseOptions {
	/** Drop rows that come from empty lines (default false). */
	skipEmptyLines?: boolean;
	/**
	 * The input starts at the start of a file, where a byte order mark is skipped
	 * (default true). Set it to false for rows from inside a file (a part's data
	 * rows, one row): a U+FEFF there is data, the first character of a value.
	 */
	atFileStart?: boolean;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = '\ufeff';

function assertDelimiter(delimiter: string): void {
	if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
		throw new Error(
			`Unsupported delimiter ${JSON.stringify(delimiter)}: use one character such as , ; or a tab`,
		);
	}
}

interface ScanSettings {
	delimiter: string;
	skipEmptyLines: boolean;
	/** false while more text may follow: a row touching the end of `text` is then left for later */
	isFinal: boolean;
	/** stop after this many rows (used to read only the header) */
	maxRows: number;
}

/**
 * Parses complete rows of `text` from `from` into `out` and returns where the
 * unparsed rest starts (`text.length` when everything was consumed).
 */
function scanRows(text: string, from: number, settings: ScanSettings, out: string[][]): number {
	const { delimiter, isFinal, skipEmptyLines, maxRows } = settings;
	const length = text.length;
	const delimiterCode = delimiter.charCodeAt(0);
	// Next known positions of the three characters that can end an unquoted field.
	// They only move forward, so each indexOf result is reused until passed
	// (-1 = none left, -2 = not searched yet).
	let nextDelimiter = -2;
	let nextLf = -2;
	let nextCr = -2;
	let rowStart = from;
	let row: string[] = [];
	let pos = from;
	let emitted = 0;

	for (;;) {
		if (pos >= length) {
			// The input ended where a field would start: right after a delimiter, or at a row start.
			if (!isFinal) return rowStart;
			if (row.length > 0) {
				row.push('');
				out.push(row);
			}
			return length;
		}

		let value: string;
		if (text.charCodeAt(pos) === QUOTE) {
			let unescaped = '';
			let segmentStart = pos + 1;
			for (;;) {
				const quote = text.indexOf('"', segmentStart);
				if (quote === -1) {
					if (!isFinal) return rowStart;
					value = unescaped + text.slice(segmentStart);
					pos = length;
					break;
				}
				if (quote + 1 >= length && !isFinal) return rowStart; // `"` or `""`? the next chunk decides
				if (text.charCodeAt(quote + 1) === QUOTE) {
					unescaped += text.slice(segmentStart, quote + 1);
					segmentStart = quote + 2;
					continue;
				}
				value = unescaped + text.slice(segmentStart, quote);
				pos = quote + 1;
				break;
			}
			if (pos < length) {
				const next = text.charCodeAt(pos);
				if (next !== delimiterCode && next !== LF && next !== CR) {
					// Lenient: `"ab"c` reads as `abc`.
					const end = endOfUnquoted(text, pos, delimiter);
					if (end >= length && !isFinal) return rowStart;
					value += text.slice(pos, end);
					pos = end;
				}
			}
		} else {
			if (nextDelimiter !== -1 && nextDelimiter < pos) nextDelimiter = text.indexOf(delimiter, pos);
			if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
			if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
			let end = length;
			if (nextDelimiter !== -1) end = nextDelimiter;
			if (nextLf !== -1 && nextLf < end) end = nextLf;
			if (nextCr !== -1 && nextCr < end) end = nextCr;
			value = text.slice(pos, end);
			pos = end;
		}
		row.push(value);

		if (pos >= length) {
			if (!isFinal) return rowStart;
			out.push(row);
			return length;
		}
		const terminator = text.charCodeAt(pos);
		if (terminator === delimiterCode) {
			pos++;
			continue;
		}
		if (terminator === CR) {
			if (pos + 1 >= length && !isFinal) return rowStart; // CR now, maybe LF in the next chunk
			pos += text.charCodeAt(pos + 1) === LF ? 2 : 1;
		} else {
			pos++;
		}
		const isEmptyLine = row.length === 1 && row[0] === '' && text.charCodeAt(rowStart) !== QUOTE;
		if (!(skipEmptyLines && isEmptyLine)) {
			out.push(row);
			emitted++;
		}
		row = [];
		rowStart = pos;
		if (emitted >= maxRows) return pos;
	}
}

/** End of an unquoted stretch starting at `from`: the next delimiter, CR or LF, or the end. */
function endOfUnquoted(text: string, from: number, delimiter: string): number {
	let end = text.length;
	for (const stop of [delimiter, '\n', '\r']) {
		const at = text.indexOf(stop, from);
		if (at !== -1 && at < end) end = at;
	}
	return end;
}

function withoutBom(text: string): number {
	return text.startsWith(BOM) ? 1 : 0;
}

/** Parses a whole delimited text into rows of fields. */
export function parseDelimited(
	text: string,
	delimiter: string,
	options: ParseOptions = {},
): string[][] {
	assertDelimiter(delimiter);
	const rows: string[][] = [];
	scanRows(
		text,
		options.atFileStart === false ? 0 : withoutBom(text),
		{
			delimiter,
			skipEmptyLines: options.skipEmptyLines === true,
			isFinal: true,
			maxRows: Infinity,
		},
		rows,
	);
	return rows;
}

/** The first row of `text` (empty lines before it are skipped), or [] when there is none. */
export function parseFirstRow(text: string, delimiter: string): string[] {
	assertDelimiter(delimiter);
	const rows: string[][] = [];
	scanRows(
		text,
		withoutBom(text),
		{ delimiter, skipEmptyLines: true, isFinal: true, maxRows: 1 },
		rows,
	);
	return rows[0] ?? [];
}

export interface RowReader {
	/** Feeds the next chunk; returns the rows it completed (possibly none). */
	write(chunk: string | Uint8Array): string[][];
	/** Signals the end of input; returns the rows still pending (the last row may lack a newline). */
	end(): string[][];
}

/**
 * A streaming form of `parseDelimited`: feed chunks in order, get rows as soon as
 * they are complete. Byte chunks are decoded as UTF-8 with a streaming decoder, so
 * a character split across two chunks is decoded correctly. Only the unfinished
 * last row is kept between chunks.
 */
export function createRowReader(delimiter: string, options: ParseOptions = {}): RowReader {
	assertDelimiter(delimiter);
	// The BOM is skipped below (or kept, see atFileStart), not by the decoder.
	const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
	let decoderHasBytes = false;
	let pending = '';
	let atStart = options.atFileStart !== false;
	let ended = false;
	const settings: ScanSettings = {
		delimiter,
		skipEmptyLines: options.skipEmptyLines === true,
		isFinal: false,
		maxRows: Infinity,
	};

	function take(text: string, isFinal: boolean): string[][] {
		if (atStart && text.length > 0) {
			// One BOM, the file's first character, is skipped (a second one is data).
			if (text.startsWith(BOM)) text = text.slice(1);
			atStart = false;
		}
		pending = pending.length > 0 ? pending + text : text;
		const rows: string[][] = [];
		settings.isFinal = isFinal;
		const consumed = scanRows(pending, 0, settings, rows);
		pending = consumed >= pending.length ? '' : pending.slice(consumed);
		return rows;
	}

	return {
		write(chunk) {
			if (ended) throw new Error('The row reader has already ended');
			if (typeof chunk === 'string') {
				const flushed = decoderHasBytes ? decoder.decode() : '';
				decoderHasBytes = false;
				return take(flushed + chunk, false);
			}
			decoderHasBytes = true;
			return take(decoder.decode(chunk, { stream: true }), false);
		},
		end() {
			if (ended) return [];
			ended = true;
			const flushed = decoderHasBytes ? decoder.decode() : '';
			return take(flushed, true);
		},
	};
}

export interface LongRow {
	/** 1-based data-row number (the header is not counted; empty lines are skipped). */
	rowNumber: number;
	fieldCount: number;
}

export interface ParsedTable {
	header: string[];
	rows: Array<Record<string, string>>;
	/** Rows with more fields than the header: the extra fields are not in `rows`. */
	longRows: LongRow[];
}

/**
 * Parses a file whose first row names the columns (Marketo's failure and warning
 * files). Empty lines are skipped. A short row gets '' for its missing trailing
 * columns: Marketo has been seen to write rows shorter than the header.
 */
export function parseWithHeader(text: string, delimiter: string): ParsedTable {
	const table = parseDelimited(text, delimiter, { skipEmptyLines: true });
	if (table.length === 0) return { header: [], rows: [], longRows: [] };
	const header = table[0];
	const columnCount = header.length;
	const hasUnsafeKey = header.some(isPrototypeKey);
	const rows: Array<Record<string, string>> = new Array(table.length - 1);
	const longRows: LongRow[] = [];
	for (let r = 1; r < table.length; r++) {
		const fields = table[r];
		if (fields.length > columnCount) longRows.push({ rowNumber: r, fieldCount: fields.length });
		const record: Record<string, string> = {};
		for (let c = 0; c < columnCount; c++) {
			const value = c < fields.length ? fields[c] : '';
			if (hasUnsafeKey && isPrototypeKey(header[c])) {
				// A column literally named __proto__ must become a key, not a prototype.
				Object.defineProperty(record, header[c], {
					value,
					enumerable: true,
					writable: true,
					configurable: true,
				});
			} else {
				record[header[c]] = value;
			}
		}
		rows[r - 1] = record;
	}
	return { header, rows, longRows };
}

function isPrototypeKey(name: string): boolean {
	return name === '__proto__';
}
