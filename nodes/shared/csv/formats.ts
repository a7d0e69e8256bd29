/**
 * The three delimited formats Marketo's Bulk Import accepts (`format=csv|tsv|ssv`)
 * and how to recognise which one a file is.
 *
 * Detection matters because Excel in many European locales saves "CSV" files with
 * semicolons and still names them `.csv`: uploading such a file as `format=csv`
 * makes Marketo see one giant column and fail every row.
 */

export type CsvFormat = 'csv' | 'tsv' | 'ssv';

export const CSV_FORMATS: readonly CsvFormat[] = ['csv', 'tsv', 'ssv'];

const DELIMITER_BY_FORMAT: Record<CsvFormat, string> = {
	csv: ',',
	tsv: '\t',
	ssv: ';',
};

const FORMAT_LABELS: Record<CsvFormat, string> = {
	csv: 'comma-separated (CSV)',
	tsv: 'tab-separated (TSV)',
	ssv: 'semicolon-separated (SSV)',
};

/**
 * The format dropdown entries both nodes show, in the order users look for them
 * (comma first, then the European-Excel semicolon, then tab).
 */
export const FORMAT_OPTIONS: ReadonlyArray<{ name: string; value: CsvFormat }> = [
	{ name: 'CSV (Comma)', value: 'csv' },
	{ name: 'SSV (Semicolon)', value: 'ssv' },
	{ name: 'TSV (Tab)', value: 'tsv' },
];

export function isCsvFormat(value: unknown): value is CsvFormat {
	return value === 'csv' || value === 'tsv' || value === 'ssv';
}

export function delimiterOf(format: CsvFormat): string {
	return DELIMITER_BY_FORMAT[format];
}

export function formatLabelOf(format: CsvFormat): string {
	return FORMAT_LABELS[format];
}

/** The format a delimiter character stands for, or null for a delimiter Marketo cannot take. */
export function formatFromDelimiter(delimiter: string): CsvFormat | null {
	for (const format of CSV_FORMATS) {
		if (DELIMITER_BY_FORMAT[format] === delimiter) return format;
	}
	return null;
}

/**
 * The Content-Type of the uploaded file part. Marketo's own examples send
 * `text/csv`; a semicolon file is still "CSV" to every tool that opens it.
 */
export function mimeTypeOf(format: CsvFormat): string {
	return format === 'tsv' ? 'text/tab-separated-values' : 'text/csv';
}

export function fileExtensionOf(format: CsvFormat): string {
	return format === 'tsv' ? 'tsv' : 'csv';
}

export interface FormatDetection {
	format: CsvFormat;
	/** One sentence a user can read in the node's output or an error hint. */
	reason: string;
}

export interface DetectFormatInput {
	fileName?: string;
	mimeType?: string;
	/** The first bytes of the file (a few KB is plenty: only the header line is read). */
	head?: Buffer | Uint8Array;
}

/** What the file name or MIME type claims, before looking at the content. */
interface DeclaredFormat {
	/** null = the name says "text" but not which delimiter (e.g. `.txt`, `text/plain`) */
	format: CsvFormat | null;
	source: string;
}

const FORMAT_BY_EXTENSION: Record<string, CsvFormat | null> = {
	csv: 'csv',
	tsv: 'tsv',
	tab: 'tsv',
	ssv: 'ssv',
	txt: null,
};

const FORMAT_BY_MIME_TYPE: Record<string, CsvFormat | null> = {
	'text/csv': 'csv',
	'application/csv': 'csv',
	'text/x-csv': 'csv',
	'application/x-csv': 'csv',
	'text/comma-separated-values': 'csv',
	'text/x-comma-separated-values': 'csv',
	// Windows browsers report .csv files as an Excel type
	'application/vnd.ms-excel': 'csv',
	'text/tab-separated-values': 'tsv',
	'text/tsv': 'tsv',
	'text/x-tab-separated-values': 'tsv',
	'text/plain': null,
};

export function extensionOf(fileName: string): string {
	const baseName = fileName.split(/[\\/]/).pop() ?? '';
	const dot = baseName.lastIndexOf('.');
	return dot > 0 ? baseName.slice(dot + 1).toLowerCase() : '';
}

function declaredFormatOf(input: DetectFormatInput): DeclaredFormat | undefined {
	if (input.fileName) {
		const extension = extensionOf(input.fileName);
		if (extension in FORMAT_BY_EXTENSION) {
			return { format: FORMAT_BY_EXTENSION[extension], source: `the file extension .${extension}` };
		}
	}
	if (input.mimeType) {
		const mimeType = input.mimeType.split(';')[0].trim().toLowerCase();
		if (mimeType in FORMAT_BY_MIME_TYPE) {
			return { format: FORMAT_BY_MIME_TYPE[mimeType], source: `the MIME type ${mimeType}` };
		}
	}
	return undefined;
}

export interface DelimiterCounts {
	',': number;
	'\t': number;
	';': number;
}

/**
 * Counts the candidate delimiters in the first line of `head`, ignoring anything
 * inside double quotes (a quoted header like `"Last, First"` must not vote for csv).
 * The first line ends at the first CR or LF outside quotes.
 */
export function countDelimitersInHeaderLine(head: Buffer | Uint8Array): DelimiterCounts {
	const counts: DelimiterCounts = { ',': 0, '\t': 0, ';': 0 };
	let start = 0;
	if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
	let inQuotes = false;
	for (let i = start; i < head.length; i++) {
		const byte = head[i];
		if (byte === 0x22) {
			inQuotes = !inQuotes;
		} else if (inQuotes) {
			continue;
		} else if (byte === 0x0a || byte === 0x0d) {
			break;
		} else if (byte === 0x2c) {
			counts[',']++;
		} else if (byte === 0x09) {
			counts['\t']++;
		} else if (byte === 0x3b) {
			counts[';']++;
		}
	}
	return counts;
}

/** The delimiter the header line uses most, or null when it has none (a one-column file). */
function sniffFormat(counts: DelimiterCounts): CsvFormat | null {
	let best: CsvFormat | null = null;
	let bestCount = 0;
	for (const format of CSV_FORMATS) {
		const count = counts[DELIMITER_BY_FORMAT[format] as keyof DelimiterCounts];
		if (count > bestCount) {
			best = format;
			bestCount = count;
		}
	}
	return best;
}

/**
 * Decides the format of a file from its name, MIME type and header line.
 *
 * The name or MIME type wins, except when the header line contains none of the
 * declared delimiter but does contain another one: then the content wins and the
 * reason says why (the semicolon-"CSV" from Excel is the common case).
 * Returns null when nothing tells the format (no name, no MIME type, no delimiter).
 */
export function detectFormat(input: DetectFormatInput): FormatDetection | null {
	const declared = declaredFormatOf(input);
	const counts =
		input.head && input.head.length > 0 ? countDelimitersInHeaderLine(input.head) : undefined;
	const sniffed = counts ? sniffFormat(counts) : null;

	if (declared?.format) {
		const declaredFormat = declared.format;
		const declaredDelimiter = DELIMITER_BY_FORMAT[declaredFormat] as keyof DelimiterCounts;
		if (counts && sniffed && sniffed !== declaredFormat && counts[declaredDelimiter] === 0) {
			return {
				format: sniffed,
				reason:
					`${capitalize(declared.source)} says ${declaredFormat}, but the header line has ` +
					`${describeCount(counts[DELIMITER_BY_FORMAT[sniffed] as keyof DelimiterCounts], sniffed)} and ` +
					`no ${delimiterName(declaredFormat)}s, so the file is read as ${formatLabelOf(sniffed)} ` +
					'(Excel saves CSV this way in many locales)',
			};
		}
		return { format: declaredFormat, reason: `from ${declared.source}` };
	}

	if (sniffed && counts) {
		const found = describeCount(
			counts[DELIMITER_BY_FORMAT[sniffed] as keyof DelimiterCounts],
			sniffed,
		);
		return {
			format: sniffed,
			reason: declared
				? `${capitalize(declared.source)} does not name a delimiter; the header line has ${found}`
				: `The header line has ${found}`,
		};
	}
	return null;
}

function delimiterName(format: CsvFormat): string {
	return format === 'csv' ? 'comma' : format === 'tsv' ? 'tab' : 'semicolon';
}

function describeCount(count: number, format: CsvFormat): string {
	return `${count} ${delimiterName(format)}${count === 1 ? '' : 's'}`;
}

function capitalize(text: string): string {
	return text.length > 0 ? text[0].toUpperCase() + text.slice(1) : text;
}
