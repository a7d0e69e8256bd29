/**
 * The problems pass 1 (`planParts`, splitter.ts) can find in a file, as errors that name the row
 * and the column and say how to fix the file, before anything is uploaded.
 */
import { EncodingError, readAsUtf8, type OpenSource, type ResolvedEncoding } from './encoding';
import { createRowReader, parseFirstRow } from './parser';
import { RowBoundaryScanner } from './rowBoundaries';

export type CsvFileErrorCode =
	| 'empty-file'
	| 'header-only'
	| 'empty-header'
	| 'header-too-large'
	| 'row-too-large'
	| 'unclosed-quote'
	| 'invalid-encoding'
	| 'file-changed';

/** A problem with the file's content, found before anything is uploaded; the node turns it into a NodeOperationError. */
export class CsvFileError extends Error {
	readonly code: CsvFileErrorCode;
	/** 1-based data-row number, when the problem is in a data row (0: the header line) */
	readonly rowNumber?: number;
	/** the column the problem is in, when known */
	readonly column?: string;

	constructor(code: CsvFileErrorCode, message: string, rowNumber?: number, column?: string) {
		super(message);
		this.name = 'CsvFileError';
		this.code = code;
		this.rowNumber = rowNumber;
		this.column = column;
	}
}

export class EmptyFileError extends CsvFileError {
	constructor() {
		super(
			'empty-file',
			'The file is empty: it needs a header line naming the columns and at least one row',
		);
		this.name = 'EmptyFileError';
	}
}

export class HeaderOnlyError extends CsvFileError {
	constructor() {
		super(
			'header-only',
			'The file has a header line but no data rows, so there is nothing to import',
		);
		this.name = 'HeaderOnlyError';
	}
}

export class RowTooLargeError extends CsvFileError {
	readonly rowBytes: number;
	readonly maxPartBytes: number;

	constructor(rowNumber: number, rowBytes: number, headerBytes: number, maxPartBytes: number) {
		super(
			'row-too-large',
			`Row ${rowNumber} is ${rowBytes} bytes: with the ${headerBytes}-byte header it does not fit in one ` +
				`upload of at most ${maxPartBytes} bytes`,
			rowNumber,
		);
		this.name = 'RowTooLargeError';
		this.rowBytes = rowBytes;
		this.maxPartBytes = maxPartBytes;
	}
}

export async function withPlace(
	error: unknown,
	place: (problem: EncodingError) => Promise<CsvFileError>,
): Promise<unknown> {
	return error instanceof EncodingError ? await place(error) : error;
}

export function headerTooLarge(headerBytes: number, maxPartBytes: number): CsvFileError {
	return new CsvFileError(
		'header-too-large',
		`The header line is ${headerBytes} bytes or more: no row fits next to it in an upload of at most ${maxPartBytes} bytes`,
		0,
	);
}

/** The bytes [start, end) of the file as read (BOM-less offsets), for messages. */
async function readRange(
	open: OpenSource,
	encoding: ResolvedEncoding,
	bomLength: number,
	start: number,
	end: number,
): Promise<Buffer> {
	const wanted: Buffer[] = [];
	let offset = -bomLength;
	for await (const chunk of readAsUtf8(await open(), encoding)) {
		const chunkStart = offset;
		offset += chunk.length;
		if (offset <= start) continue;
		wanted.push(
			chunk.subarray(Math.max(0, start - chunkStart), Math.min(chunk.length, end - chunkStart)),
		);
		if (offset >= end) break;
	}
	return Buffer.concat(wanted);
}

interface ProblemPlace {
	bomLength: number;
	delimiter: string;
	headerLine: Buffer | undefined;
	/** 0 for the header line */
	rowNumber: number;
}

/** The name of the column a row's bytes up to a point end in ("column 3" when the header has no name for it). */
function columnAt(rowPrefix: Buffer, place: ProblemPlace): string {
	// The prefix is a row from inside the file (the file's BOM is never in it): a U+FEFF is data.
	const reader = createRowReader(place.delimiter, { atFileStart: false });
	const fields = [...reader.write(rowPrefix), ...reader.end()][0] ?? [''];
	const index = fields.length - 1;
	const names = place.headerLine
		? parseFirstRow(place.headerLine.toString('utf8'), place.delimiter)
		: [];
	return names[index] !== undefined && names[index] !== '' ? names[index] : `column ${index + 1}`;
}

function rowLabel(rowNumber: number): string {
	return rowNumber === 0 ? 'the header line' : `row ${rowNumber}`;
}

export async function encodingProblem(
	open: OpenSource,
	encoding: ResolvedEncoding,
	error: EncodingError,
	place: ProblemPlace & { rowStart: number },
): Promise<CsvFileError> {
	const offset = error.offset - place.bomLength;
	let column: string | undefined;
	if (offset >= place.rowStart) {
		// Every encoding's error offset is exact (in the file as read); the bytes before it read fine.
		const rowPrefix =
			offset === place.rowStart
				? Buffer.alloc(0)
				: await readRange(open, encoding, place.bomLength, place.rowStart, offset).catch(
						() => undefined,
					);
		if (rowPrefix !== undefined) column = columnAt(rowPrefix, place);
	}
	const where = `${rowLabel(place.rowNumber)}${column ? `, column '${column}'` : ''}`;
	return new CsvFileError(
		'invalid-encoding',
		`${error.message} (${where})`,
		place.rowNumber,
		column,
	);
}

export async function unclosedQuote(
	open: OpenSource,
	encoding: ResolvedEncoding,
	scanner: RowBoundaryScanner,
	place: ProblemPlace,
): Promise<CsvFileError> {
	const rowStart = scanner.quoteOpenedRowStart;
	const column = columnAt(
		await readRange(open, encoding, place.bomLength, rowStart, scanner.quoteOpenedAt + 1),
		place,
	);
	return new CsvFileError(
		'unclosed-quote',
		`A quoted value that starts in ${rowLabel(place.rowNumber)}, column '${column}', is never closed: ` +
			'the rest of the file would be read as that one value',
		place.rowNumber,
		column,
	);
}
