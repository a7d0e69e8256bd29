/**
 * Every reader of a delimited file must see the same rows, malformed files
 * included: the splitter (what is counted and uploaded), the product parser, the
 * tie-back (Wait for Batch reading a submitted part again) and the simulator (what
 * "Marketo" reads from an upload). The grammar they share is in
 * nodes/shared/csv/rowBoundaries.ts; the oracle below is a plain
 * character-at-a-time reading of it, written for this test only.
 *
 * The generated files are malformed on purpose: stray quotes in unquoted values,
 * text and spaces around quoted sections, lone CRs, CR/LF/CRLF mixes, ragged rows,
 * blank lines, lines of spaces or of `""`, trailing delimiters, BOM characters,
 * cut into chunks at quotes and CRs and into parts at random sizes.
 */
import fc from 'fast-check';

import { readAsUtf8, type ResolvedEncoding } from '../../../nodes/shared/csv/encoding';
import { createRowReader, parseDelimited } from '../../../nodes/shared/csv/parser';
import { forEachRow } from '../../../nodes/shared/csv/rowFields';
import {
	cutParts,
	planParts,
	type FilePart,
	type SplitPlan,
} from '../../../nodes/shared/csv/splitter';
import { CsvFileError } from '../../../nodes/shared/csv/fileErrors';
import { parseDelimited as simulatorParse } from '../../simulator/delimited';
import { isBlankRow } from '../../simulator/rows';
import { cutAt, FC_SEED } from './reference';

interface OracleRow {
	fields: string[];
	/** UTF-8 bytes of the row, its line break included */
	bytes: number;
}

interface OracleFile {
	header: string[];
	headerBytes: number;
	rows: OracleRow[];
	/** the file ends inside a quoted section that opened in this data row (0: the header) and column */
	unclosed?: { rowNumber: number; columnIndex: number };
}

/** The grammar, one character at a time (see rowBoundaries.ts). */
function oracleRead(text: string, delimiter: string): OracleFile {
	const source = text.startsWith('\ufeff') ? text.slice(1) : text;
	const lines: OracleRow[] = [];
	let fields: string[] = [];
	let field = '';
	let atFieldStart = true;
	let inQuotes = false;
	let lineStart = 0;
	let quoteOpened = { line: 0, column: 0 };
	for (let i = 0; i < source.length; i++) {
		const c = source[i];
		if (inQuotes) {
			if (c !== '"') field += c;
			else if (source[i + 1] === '"') {
				field += '"';
				i++;
			} else inQuotes = false;
			continue;
		}
		if (c === '\r' || c === '\n') {
			const end = c === '\r' && source[i + 1] === '\n' ? i + 2 : i + 1;
			// An empty line (nothing between two line breaks) is not a row.
			if (i > lineStart) {
				lines.push({
					fields: [...fields, field],
					bytes: Buffer.byteLength(source.slice(lineStart, end)),
				});
			}
			fields = [];
			field = '';
			atFieldStart = true;
			lineStart = end;
			i = end - 1;
		} else if (c === delimiter) {
			fields.push(field);
			field = '';
			atFieldStart = true;
		} else if (c === '"' && atFieldStart) {
			inQuotes = true;
			atFieldStart = false;
			quoteOpened = { line: lines.length, column: fields.length };
		} else {
			field += c;
			atFieldStart = false;
		}
	}
	if (!inQuotes && source.length > lineStart) {
		lines.push({ fields: [...fields, field], bytes: Buffer.byteLength(source.slice(lineStart)) });
	}
	const [header, ...rows] = lines;
	return {
		header: header?.fields ?? [],
		headerBytes: header?.bytes ?? 0,
		rows,
		unclosed: inQuotes
			? { rowNumber: quoteOpened.line, columnIndex: quoteOpened.column }
			: undefined,
	};
}

/* ---------------- malformed files ---------------- */

const D = '\u0001'; // stands for the delimiter in the pieces below

/** Pieces a malformed file is made of; `D` is replaced by the delimiter. */
const PIECES = [
	// ordinary text, with stray quotes where they are ordinary characters
	'a',
	'bc',
	' ',
	'  ',
	'é',
	'😀',
	'中',
	'Baker 5" 10',
	'O"Neil',
	'x""y',
	'\ufeff',
	// quoted sections: well formed, with text or spaces around, holding delimiters and line breaks
	'"',
	'""',
	'"""',
	'"q"',
	'"a""b"',
	`"a${D}b"`,
	'"l1\nl2"',
	'"l1\r\nl2"',
	'"cr\rcr"',
	'"x"y',
	'"x" ',
	' "x"',
	' "x" ',
	'"x"z"w',
	`"x"${D}`,
	// delimiters, ragged rows, trailing delimiters
	D,
	`${D}${D}`,
	`${D}\n`,
	`${D}\r\n`,
	// line breaks of every kind, blank lines
	'\n',
	'\r\n',
	'\r',
	'\n\n',
	'\r\n\r\n',
	'\r\r',
	'\n\r',
	'\r\n\r',
	// lines holding only spaces or ""
	'\n  \n',
	'\n""\n',
	'\r""\r',
];

/** A data-row shaped piece: fields from PIECES, joined by the delimiter, ended by a line break. */
const rowPiece = fc
	.tuple(
		fc.array(
			fc.constantFrom(
				'a',
				'b c',
				'"q"',
				'"a""b"',
				`"x${D}y"`,
				'"l1\r\nl2"',
				'',
				' ',
				'Baker 5" 10',
				'"x" y',
			),
			{
				minLength: 1,
				maxLength: 5,
			},
		),
		fc.constantFrom('\n', '\r\n', '\r'),
	)
	.map(([fields, lineBreak]) => fields.join(D) + lineBreak);

const piece = fc.oneof(
	{ weight: 3, arbitrary: fc.constantFrom(...PIECES) },
	{ weight: 1, arbitrary: rowPiece },
);
const body = fc
	.oneof(fc.array(piece, { maxLength: 12 }), fc.array(piece, { minLength: 20, maxLength: 100 }))
	.map((pieces) => pieces.join(''));

const headerLine = fc
	.tuple(
		fc.constantFrom(
			`h0${D}h1${D}h2`,
			`"h${D}0"${D}h1`,
			'only',
			`h0${D}${D}h2 `,
			`"h""0"${D}h1`,
			`h0${D}"h1"x`,
		),
		fc.constantFrom('\n', '\r\n', '\r'),
	)
	.map(([names, lineBreak]) => names + lineBreak);

type FileEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

function encode(
	text: string,
	encoding: FileEncoding,
): { bytes: Buffer; resolved: ResolvedEncoding } {
	switch (encoding) {
		case 'utf-8':
			return { bytes: Buffer.from(text, 'utf8'), resolved: 'utf-8' };
		case 'utf-8-bom':
			return { bytes: Buffer.from('\ufeff' + text, 'utf8'), resolved: 'utf-8' };
		case 'utf-16le':
			return { bytes: Buffer.from('\ufeff' + text, 'utf16le'), resolved: 'utf-16le' };
		case 'utf-16be':
			return { bytes: Buffer.from('\ufeff' + text, 'utf16le').swap16(), resolved: 'utf-16be' };
	}
}

interface Case {
	delimiter: string;
	text: string;
	encoding: FileEncoding;
	/** extra room for rows next to the header in a part (small: many parts, big: one) */
	room: number;
	/** fraction of the maximum to aim at (balanced parts), or none */
	target: number | null;
	cutSeeds: number[];
	quoteCutSeeds: number[];
}

const aCase: fc.Arbitrary<Case> = fc
	.record({
		delimiter: fc.constantFrom(',', ';', '\t'),
		header: headerLine,
		body,
		ending: fc.constantFrom('close', 'close', 'as-is', 'open'),
		encoding: fc.constantFrom<FileEncoding>('utf-8', 'utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be'),
		room: fc.oneof(
			fc.integer({ min: 1, max: 60 }),
			fc.integer({ min: 20, max: 120 }),
			fc.integer({ min: 60, max: 400 }),
			fc.constant(1_000_000),
		),
		target: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
		cutSeeds: fc.array(fc.nat(), { maxLength: 12 }),
		quoteCutSeeds: fc.array(fc.nat(), { maxLength: 6 }),
	})
	.map((raw) => {
		let text = (raw.header + raw.body).split(D).join(raw.delimiter);
		// Half the files get an open quote closed (a last `"` closes it), so most runs compare
		// rows; a quarter get one opened that swallows the lines after it.
		const unclosed = oracleRead(text, raw.delimiter).unclosed !== undefined;
		if (raw.ending === 'close' && unclosed) text += '"';
		if (raw.ending === 'open' && !unclosed)
			text += `${raw.delimiter}"never closed\r\n1${raw.delimiter}2\n`;
		return {
			delimiter: raw.delimiter,
			text,
			encoding: raw.encoding,
			room: raw.room,
			target: raw.target,
			cutSeeds: raw.cutSeeds,
			quoteCutSeeds: raw.quoteCutSeeds,
		};
	});

/** Chunks of `bytes`: cut at random places, and right before and after some quotes and CRs. */
function chunksOf(bytes: Buffer, cutSeeds: number[], quoteCutSeeds: number[]): Buffer[] {
	const special: number[] = [];
	for (let i = 0; i < bytes.length; i++)
		if (bytes[i] === 0x22 || bytes[i] === 0x0d) special.push(i);
	const positions = cutSeeds.map((seed) => seed % (bytes.length + 1));
	for (const seed of quoteCutSeeds) {
		if (special.length === 0) break;
		const at = special[seed % special.length];
		positions.push(at + (seed % 3 === 0 ? 0 : 1));
	}
	return cutAt(bytes, positions);
}

const opener = (chunks: Buffer[]) => async () => chunks;

async function planOrError(
	open: () => Promise<Buffer[]>,
	options: Parameters<typeof planParts>[1],
) {
	try {
		return { plan: await planParts(open, options) };
	} catch (error) {
		return { error };
	}
}

async function collect(parts: AsyncIterable<FilePart>): Promise<FilePart[]> {
	const all: FilePart[] = [];
	for await (const part of parts) all.push({ ...part, body: Buffer.from(part.body) });
	return all;
}

/** The bytes [start, end) of a chunked source, in the chunks they come in. */
async function* byteRange(
	source: AsyncIterable<Buffer>,
	start: number,
	end: number,
): AsyncGenerator<Buffer> {
	let offset = 0;
	for await (const chunk of source) {
		const chunkStart = offset;
		offset += chunk.length;
		if (offset <= start) continue;
		const from = Math.max(0, start - chunkStart);
		const to = Math.min(chunk.length, end - chunkStart);
		if (to > from) yield chunk.subarray(from, to);
		if (offset >= end) return;
	}
}

/**
 * What the tie-back reads for a part (tieBackResultFiles): the file as read
 * (readAsUtf8), the part's byte range of it, createRowReader skipping empty lines.
 * The range starts inside the file, so a U+FEFF at its start is data
 * (`atFileStart: false`).
 */
async function tieBackRows(
	chunks: Buffer[],
	encoding: ResolvedEncoding,
	part: FilePart,
	delimiter: string,
) {
	const reader = createRowReader(delimiter, { skipEmptyLines: true, atFileStart: false });
	const rows: string[][] = [];
	for await (const chunk of byteRange(readAsUtf8(chunks, encoding), part.dataStart, part.dataEnd)) {
		rows.push(...reader.write(chunk));
	}
	rows.push(...reader.end());
	return rows;
}

/**
 * The other way to read a part's rows: the tie-back's own reading (tieBack.ts
 * forEachRow: a RowBoundaryScanner over the range, each row's bytes parsed alone).
 */
async function scannedRows(
	chunks: Buffer[],
	encoding: ResolvedEncoding,
	part: FilePart,
	delimiter: string,
) {
	const rows: string[][] = [];
	await forEachRow(
		byteRange(readAsUtf8(chunks, encoding), part.dataStart, part.dataEnd),
		delimiter,
		(bytes, start, end) => {
			rows.push(
				parseDelimited(bytes.toString('utf8', start, end), delimiter, { atFileStart: false })[0],
			);
		},
	);
	return rows;
}

/** What the simulator reads from an upload (routes.ts parseUpload): the rows after the header, blank ones left out. */
function simulatorRows(text: string, delimiter: string): string[][] {
	const [, ...rest] = simulatorParse(text, delimiter);
	return rest.filter((row) => !isBlankRow(row));
}

function productRows(text: string, delimiter: string): string[][] {
	return parseDelimited(text, delimiter, { skipEmptyLines: true }).slice(1);
}

describe('every reader agrees on malformed files', () => {
	it('the oracle reads the grammar as written', () => {
		const read = (text: string) => oracleRead(text, ',');
		expect(read('h\nBaker 5" 10,O"Neil\n').rows.map((row) => row.fields)).toEqual([
			['Baker 5" 10', 'O"Neil'],
		]);
		expect(read('h\n"a""b"c"d, "x" \n').rows.map((row) => row.fields)).toEqual([
			['a"bc"d', ' "x" '],
		]);
		expect(read('h\r1\r\r2\r\n\n3').rows.map((row) => row.fields)).toEqual([['1'], ['2'], ['3']]);
		expect(read('h\n  \n""\n,\n').rows.map((row) => row.fields)).toEqual([['  '], [''], ['', '']]);
		expect(read('h\n1\n2,"open\n3').unclosed).toEqual({ rowNumber: 2, columnIndex: 1 });
		expect(read('h\n1\n2,"closed at the end"').unclosed).toBeUndefined();
	});

	it('splitter, product parser, tie-back and simulator read the same rows (or the splitter refuses an open quote)', async () => {
		let compared = 0;
		let refused = 0;
		let multiPart = 0;
		await fc.assert(
			fc.asyncProperty(aCase, async (c) => {
				const oracle = oracleRead(c.text, c.delimiter);
				const { bytes, resolved } = encode(c.text, c.encoding);
				const chunks = chunksOf(bytes, c.cutSeeds, c.quoteCutSeeds);
				const maxPartBytes = oracle.headerBytes + c.room;
				const target = c.target === null ? undefined : Math.round(c.target * maxPartBytes);
				const { plan, error } = await planOrError(opener(chunks), {
					encoding: resolved,
					delimiterFor: () => c.delimiter,
					maxPartBytes,
					targetPartBytes: target === undefined ? undefined : () => target,
				});

				if (oracle.unclosed) {
					// The file ends inside a quoted section: refused, naming where it opened.
					refused++;
					expect(error).toBeInstanceOf(CsvFileError);
					const columnName = oracle.header[oracle.unclosed.columnIndex];
					expect(error).toMatchObject({
						code: 'unclosed-quote',
						rowNumber: oracle.unclosed.rowNumber,
						column:
							columnName !== undefined && columnName !== ''
								? columnName
								: `column ${oracle.unclosed.columnIndex + 1}`,
					});
					return;
				}
				const expected = oracle.rows.map((row) => row.fields);
				// The product parser and the simulator on the whole file.
				expect(productRows(c.text, c.delimiter)).toEqual(expected);
				expect(simulatorRows(c.text, c.delimiter)).toEqual(expected);

				if (expected.length === 0) {
					expect(error).toMatchObject({ code: 'header-only' });
					return;
				}
				const largest = Math.max(...oracle.rows.map((row) => row.bytes));
				if (oracle.headerBytes + largest > maxPartBytes) {
					expect(error).toMatchObject({ code: 'row-too-large' });
					const firstTooLarge = oracle.rows.findIndex(
						(row) => oracle.headerBytes + row.bytes > maxPartBytes,
					);
					expect(error).toMatchObject({ rowNumber: firstTooLarge + 1 });
					return;
				}
				if (error !== undefined) throw error;
				const split = plan as SplitPlan;
				expect(split.totalRows).toBe(expected.length);
				expect(split.header).toEqual(oracle.header);
				expect(split.headerLine.length).toBe(oracle.headerBytes);

				const parts = await collect(
					cutParts(opener(chunksOf(bytes, c.quoteCutSeeds, c.cutSeeds)), split),
				);
				expect(parts.map(({ body: _body, ...plan }) => plan)).toEqual(split.parts);
				if (parts.length > 1) multiPart++;
				const fromSplitter: string[][] = [];
				const fromSimulator: string[][] = [];
				const fromTieBack: string[][] = [];
				let nextRowNumber = 1;
				for (const part of parts) {
					expect(part.body.length).toBeLessThanOrEqual(maxPartBytes);
					expect(part.body.subarray(0, split.headerLine.length).equals(split.headerLine)).toBe(
						true,
					);
					expect(part.firstRowNumber).toBe(nextRowNumber);
					nextRowNumber += part.rows;
					const text = part.body.toString('utf8');
					// What the upload holds, read back by the product parser and by the simulator.
					const parsed = productRows(text, c.delimiter);
					expect(parsed).toHaveLength(part.rows);
					fromSplitter.push(...parsed);
					const simulated = simulatorRows(text, c.delimiter);
					expect(simulated).toHaveLength(part.rows);
					fromSimulator.push(...simulated);
					// What Wait for Batch reads again for the tie-back.
					const tiedBack = await tieBackRows(
						chunksOf(bytes, c.cutSeeds.slice(1), c.quoteCutSeeds),
						resolved,
						part,
						c.delimiter,
					);
					expect(tiedBack).toHaveLength(part.rows);
					fromTieBack.push(...tiedBack);
					const scanned = await scannedRows(
						chunksOf(bytes, c.cutSeeds.slice(2), c.quoteCutSeeds.slice(1)),
						resolved,
						part,
						c.delimiter,
					);
					expect(scanned).toEqual(tiedBack);
				}
				expect(fromSplitter).toEqual(expected);
				expect(fromSimulator).toEqual(expected);
				expect(fromTieBack).toEqual(expected);
				compared++;
			}),
			{ seed: FC_SEED, numRuns: 1500 },
		);
		// The generator must exercise both outcomes, and files cut into several parts.
		expect(compared).toBeGreaterThan(300);
		expect(refused).toBeGreaterThan(50);
		expect(multiPart).toBeGreaterThan(150);
	});

	it.each([
		['stray quotes in unquoted values', 'name,size\nBaker 5" 10,O"Neil\n"ok",x"y"z\n'],
		['text and spaces around quoted sections', 'a,b\n"x"y, "q" \n"a""b"c"d,"e" \n'],
		['lone CRs and CR/LF/CRLF mixes', 'a,b\r1,2\r\r3,4\n\r5,6\r\n\r\n7,8\r'],
		['blank lines, lines of spaces, of "" and of delimiters', 'a,b\n\n  \n""\n,\n\r\n,,,\n\n'],
		['ragged rows and trailing delimiters', 'a,b,c\n1\n1,2,3,4,\n,\n1,2,\n'],
		['quoted line breaks of every kind', 'a,b\n"1\r2","3\n4"\r"5\r\n6",7'],
	])('%s', async (_, text) => {
		const oracle = oracleRead(text, ',');
		const expected = oracle.rows.map((row) => row.fields);
		expect(productRows(text, ',')).toEqual(expected);
		expect(simulatorRows(text, ',')).toEqual(expected);
		const bytes = Buffer.from(text);
		for (let cut = 0; cut <= bytes.length; cut++) {
			const chunks = cutAt(bytes, [cut, cut + 1]);
			const plan = await planParts(opener(chunks), {
				encoding: 'utf-8',
				delimiterFor: () => ',',
				maxPartBytes: 30,
			});
			expect(plan.totalRows).toBe(expected.length);
			const parts = await collect(cutParts(opener(chunks), plan));
			expect(parts.flatMap((part) => productRows(part.body.toString(), ','))).toEqual(expected);
			const tiedBack: string[][] = [];
			for (const part of parts) tiedBack.push(...(await tieBackRows(chunks, 'utf-8', part, ',')));
			expect(tiedBack).toEqual(expected);
		}
	});
});

describe("a U+FEFF inside the file is data, only the file's first one is a BOM", () => {
	// Two exported files joined with `cat`: the second one's BOM starts a data row.
	const text = '\ufeffemail,name\na@x.de,A\n\ufeffemail,name\nb@x.de,B\n';

	it('every reader keeps it in the row it starts', async () => {
		const expected = [
			['a@x.de', 'A'],
			['\ufeffemail', 'name'],
			['b@x.de', 'B'],
		];
		expect(productRows(text, ',')).toEqual(expected);
		expect(simulatorRows(text, ',')).toEqual(expected);
		const bytes = Buffer.from(text);
		const plan = await planParts(opener([bytes]), {
			encoding: 'utf-8',
			delimiterFor: () => ',',
			maxPartBytes: 30,
		});
		const parts = await collect(cutParts(opener([bytes]), plan));
		expect(parts.map((part) => part.body.toString())).toEqual([
			'email,name\na@x.de,A\n',
			'email,name\n\ufeffemail,name\n',
			'email,name\nb@x.de,B\n',
		]);
		const tiedBack: string[][] = [];
		for (const part of parts) tiedBack.push(...(await tieBackRows([bytes], 'utf-8', part, ',')));
		expect(tiedBack).toEqual(expected);
	});

	it('createRowReader skips one BOM at the start of a file, none in a range from inside it (atFileStart: false)', () => {
		const read = (chunks: Array<string | Buffer>, atFileStart?: boolean) => {
			const reader = createRowReader(',', { atFileStart });
			const rows = chunks.flatMap((chunk) => reader.write(chunk));
			return [...rows, ...reader.end()];
		};
		const twoBoms = Buffer.from('\ufeff\ufeffa,b\n');
		expect(read([twoBoms])).toEqual([['\ufeffa', 'b']]);
		expect(read([twoBoms.subarray(0, 2), twoBoms.subarray(2, 4), twoBoms.subarray(4)])).toEqual([
			['\ufeffa', 'b'],
		]);
		expect(read(['\ufeff', '\ufeffa,b\n'])).toEqual([['\ufeffa', 'b']]);
		expect(read([twoBoms], false)).toEqual([['\ufeff\ufeffa', 'b']]);
		expect(read(['\ufeffx\n'], false)).toEqual([['\ufeffx']]);
	});

	it('parseDelimited too: one BOM skipped at the start of a file, none for rows from inside it', () => {
		expect(parseDelimited('\ufeff\ufeffa,b', ',')).toEqual([['\ufeffa', 'b']]);
		expect(parseDelimited('\ufeffemail,name', ',', { atFileStart: false })).toEqual([
			['\ufeffemail', 'name'],
		]);
	});
});
