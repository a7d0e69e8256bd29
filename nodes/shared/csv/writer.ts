/**
 * Writes n8n items (flat records) as a delimited file for the "Items" input of
 * Marketo Bulk Import: header line of column names, one line per record, `\n`
 * line endings, UTF-8 without BOM (what Marketo expects).
 */

export interface DelimitedFileOptions {
	delimiter: string;
	/** Column order; default: every key of every record, in first-seen order. */
	columns?: string[];
	/** the input item of each record, for errors (default: record N is item N) */
	itemIndices?: readonly number[];
}

export interface DelimitedFile {
	body: Buffer;
	columns: string[];
}

/**
 * A record field held an object or an array. Marketo's import columns are flat
 * values, and guessing a serialisation (JSON? first element?) would silently write
 * data nobody asked for, so this is an error the node reports with the item index.
 */
export class NestedValueError extends Error {
	readonly itemIndex: number;
	readonly field: string;

	constructor(itemIndex: number, field: string, what: string) {
		super(
			`Item ${itemIndex}, field "${field}" holds ${what}; Marketo columns take plain values. ` +
				'Flatten the item first (for example with an Edit Fields (Set) node) or drop the field',
		);
		this.name = 'NestedValueError';
		this.itemIndex = itemIndex;
		this.field = field;
	}
}

const NEEDS_QUOTES_ALWAYS = /["\r\n]/;

/**
 * Quotes a field when it would otherwise be misread: it contains the delimiter,
 * a quote, CR or LF, or starts or ends with a space (some readers trim).
 */
export function quoteField(value: string, delimiter: string): string {
	const needsQuotes =
		value.includes(delimiter) ||
		NEEDS_QUOTES_ALWAYS.test(value) ||
		(value.length > 0 && (value[0] === ' ' || value[value.length - 1] === ' '));
	return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The text of one value, or an error for values a flat file cannot hold. */
function fieldText(value: unknown, itemIndex: number, field: string): string {
	if (value === null || value === undefined) return '';
	switch (typeof value) {
		case 'string':
			return value;
		case 'number':
		case 'boolean':
		case 'bigint':
			return String(value);
		case 'object':
			if (value instanceof Date) {
				if (Number.isNaN(value.getTime()))
					throw new NestedValueError(itemIndex, field, 'an invalid date');
				return value.toISOString();
			}
			throw new NestedValueError(itemIndex, field, Array.isArray(value) ? 'an array' : 'an object');
		default:
			throw new NestedValueError(itemIndex, field, `a ${typeof value}`);
	}
}

/** Every key of every record, in the order they are first seen. */
export function columnsOf(records: Array<Record<string, unknown>>): string[] {
	const seen = new Set<string>();
	for (const record of records) {
		for (const key of Object.keys(record)) seen.add(key);
	}
	return [...seen];
}

export function toDelimitedFile(
	records: Array<Record<string, unknown>>,
	options: DelimitedFileOptions,
): DelimitedFile {
	const { delimiter } = options;
	if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
		throw new Error(`Unsupported delimiter ${JSON.stringify(delimiter)}`);
	}
	const columns = options.columns ?? columnsOf(records);
	const lines: string[] = new Array(records.length + 1);
	lines[0] = columns.map((column) => quoteField(column, delimiter)).join(delimiter);
	for (let itemIndex = 0; itemIndex < records.length; itemIndex++) {
		const record = records[itemIndex];
		const fields: string[] = new Array(columns.length);
		for (let c = 0; c < columns.length; c++) {
			const column = columns[c];
			const value = Object.prototype.hasOwnProperty.call(record, column)
				? record[column]
				: undefined;
			fields[c] = quoteField(
				fieldText(value, options.itemIndices?.[itemIndex] ?? itemIndex, column),
				delimiter,
			);
		}
		// A one-column row with an empty value would be an empty line, which readers
		// (and the splitter) skip: quote it so the row still counts.
		if (columns.length === 1 && fields[0] === '') fields[0] = '""';
		lines[itemIndex + 1] = fields.join(delimiter);
	}
	return { body: Buffer.from(lines.join('\n') + '\n', 'utf8'), columns };
}
