import fc from 'fast-check';

import {
	createRowReader,
	parseDelimited,
	parseFirstRow,
	parseWithHeader,
} from '../../../nodes/shared/csv/parser';
import {
	awkwardTable,
	cutAt,
	DELIMITERS,
	FC_SEED,
	referenceParse,
	writeReference,
	type LineEnding,
} from './reference';

function readInChunks(
	chunks: Array<string | Uint8Array>,
	delimiter: string,
	skipEmptyLines = false,
): string[][] {
	const reader = createRowReader(delimiter, { skipEmptyLines });
	const rows: string[][] = [];
	for (const chunk of chunks) rows.push(...reader.write(chunk));
	rows.push(...reader.end());
	return rows;
}

describe('parseDelimited: examples', () => {
	it('reads quoted fields with delimiters, doubled quotes and every kind of newline', () => {
		const text = 'a,b,c\r\n"x,y","say ""hi""","l1\nl2\r\nl3\rl4"\r\n';
		expect(parseDelimited(text, ',')).toEqual([
			['a', 'b', 'c'],
			['x,y', 'say "hi"', 'l1\nl2\r\nl3\rl4'],
		]);
	});

	it('ends rows at LF, CRLF and a lone CR, and keeps a last row without newline', () => {
		expect(parseDelimited('a\nb\r\nc\rd', ',')).toEqual([['a'], ['b'], ['c'], ['d']]);
	});

	it('gives no rows for empty input and skips a BOM', () => {
		expect(parseDelimited('', ',')).toEqual([]);
		expect(parseDelimited('\ufeff', ',')).toEqual([]);
		expect(parseDelimited('\ufeffemail;name\n', ';')).toEqual([['email', 'name']]);
	});

	it('keeps empty fields, including a trailing one', () => {
		expect(parseDelimited(',\n1,\n,2', ',')).toEqual([
			['', ''],
			['1', ''],
			['', '2'],
		]);
	});

	it('treats an empty line as one empty field unless told to skip it; "" is never skipped', () => {
		const text = 'a,b\n\n""\n1,2\n';
		expect(parseDelimited(text, ',')).toEqual([['a', 'b'], [''], [''], ['1', '2']]);
		expect(parseDelimited(text, ',', { skipEmptyLines: true })).toEqual([
			['a', 'b'],
			[''],
			['1', '2'],
		]);
	});

	it('uses the given delimiter only', () => {
		expect(parseDelimited('a,b\tc;d\n', '\t')).toEqual([['a,b', 'c;d']]);
		expect(parseDelimited('a,b\tc;d\n', ';')).toEqual([['a,b\tc', 'd']]);
	});

	it('reads malformed quoting leniently instead of failing', () => {
		expect(parseDelimited('"ab"c,d\nx"y,z\n', ',')).toEqual([
			['abc', 'd'],
			['x"y', 'z'],
		]);
		expect(parseDelimited('a,"never closed\nb', ',')).toEqual([['a', 'never closed\nb']]);
	});

	it('rejects delimiters that cannot work', () => {
		expect(() => parseDelimited('a', '')).toThrow(
			'Unsupported delimiter "": use one character such as , ; or a tab',
		);
		expect(() => parseDelimited('a', '"')).toThrow(
			'Unsupported delimiter "\\"": use one character such as , ; or a tab',
		);
		expect(() => parseDelimited('a', ',,')).toThrow(
			'Unsupported delimiter ",,": use one character such as , ; or a tab',
		);
	});

	it('parseFirstRow reads only the header, even from a cut-off head', () => {
		expect(parseFirstRow('\ufeff\n"e,mail",name\r\n1,2', ',')).toEqual(['e,mail', 'name']);
		expect(parseFirstRow('email,fir', ',')).toEqual(['email', 'fir']);
		expect(parseFirstRow('', ',')).toEqual([]);
	});
});

describe('parseDelimited: agrees with csv-parse', () => {
	it('on random tables with awkward values, for csv, tsv and ssv', () => {
		fc.assert(
			fc.property(
				awkwardTable(),
				fc.constantFrom(...DELIMITERS),
				fc.constantFrom<LineEnding>('\n', '\r\n'),
				fc.boolean(),
				fc.boolean(),
				fc.boolean(),
				(table, delimiter, lineEnding, trailingNewline, quoteAll, withBom) => {
					const file = writeReference(table, delimiter, lineEnding, { trailingNewline, quoteAll });
					const text = (withBom ? '\ufeff' : '') + file.text;
					const expected = referenceParse(text, delimiter, { lineEnding });
					expect(parseDelimited(text, delimiter)).toEqual(expected);
					expect(parseDelimited(text, delimiter, { skipEmptyLines: true })).toEqual(
						referenceParse(text, delimiter, { lineEnding, skipEmptyLines: true }),
					);
				},
			),
			{ seed: FC_SEED, numRuns: 600 },
		);
	});

	it('reproduces the written table exactly when no row is a lone empty field', () => {
		fc.assert(
			fc.property(
				awkwardTable({ minColumns: 2 }),
				fc.constantFrom(...DELIMITERS),
				(table, delimiter) => {
					const file = writeReference(table, delimiter, '\r\n');
					expect(parseDelimited(file.text, delimiter)).toEqual(table);
				},
			),
			{ seed: FC_SEED, numRuns: 300 },
		);
	});
});

describe('createRowReader', () => {
	it('gives the same rows as a one-shot parse for any byte chunking (multi-byte characters cut too)', () => {
		fc.assert(
			fc.property(
				awkwardTable(),
				fc.constantFrom(...DELIMITERS),
				fc.constantFrom<LineEnding>('\n', '\r\n'),
				fc.boolean(),
				fc.boolean(),
				fc.array(fc.nat(), { maxLength: 40 }),
				(table, delimiter, lineEnding, trailingNewline, skipEmptyLines, cutSeeds) => {
					const text =
						'\ufeff' + writeReference(table, delimiter, lineEnding, { trailingNewline }).text;
					const bytes = Buffer.from(text, 'utf8');
					const chunks = cutAt(
						bytes,
						cutSeeds.map((seed) => seed % (bytes.length + 1)),
					);
					expect(readInChunks(chunks, delimiter, skipEmptyLines)).toEqual(
						parseDelimited(text, delimiter, { skipEmptyLines }),
					);
				},
			),
			{ seed: FC_SEED, numRuns: 500 },
		);
	});

	it('accepts string chunks, including a CRLF and a "" split between chunks', () => {
		expect(readInChunks(['a,"b', '""', '",c\r', '\nd,e\r', 'f'], ',')).toEqual([
			['a', 'b"', 'c'],
			['d', 'e'],
			['f'],
		]);
		expect(readInChunks(['\ufeffx', '\n'], ',')).toEqual([['x']]);
	});

	it('hands out each row as soon as it is complete', () => {
		const reader = createRowReader(';');
		expect(reader.write('a;b\n1;"2\n')).toEqual([['a', 'b']]);
		expect(reader.write('still 2"\n3;')).toEqual([['1', '2\nstill 2']]);
		expect(reader.end()).toEqual([['3', '']]);
		expect(() => reader.write('x')).toThrow('The row reader has already ended');
	});

	it('decodes a character split across byte chunks', () => {
		const bytes = Buffer.from('név,😀\n', 'utf8');
		const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte));
		expect(readInChunks(chunks, ',')).toEqual([['név', '😀']]);
	});
});

describe('parseWithHeader', () => {
	it('maps rows to the header, fills short rows, reports long rows and skips empty lines', () => {
		const text =
			'email,firstName,Import Failure Reason\r\na@x.com,Ann,"bad, very bad"\r\n\r\nb@x.com\r\nc@x.com,C,r,extra\r\n';
		const table = parseWithHeader(text, ',');
		expect(table.header).toEqual(['email', 'firstName', 'Import Failure Reason']);
		expect(table.rows).toEqual([
			{ email: 'a@x.com', firstName: 'Ann', 'Import Failure Reason': 'bad, very bad' },
			{ email: 'b@x.com', firstName: '', 'Import Failure Reason': '' },
			{ email: 'c@x.com', firstName: 'C', 'Import Failure Reason': 'r' },
		]);
		expect(table.longRows).toEqual([{ rowNumber: 3, fieldCount: 4 }]);
	});

	it('returns nothing for an empty file', () => {
		expect(parseWithHeader('', '\t')).toEqual({ header: [], rows: [], longRows: [] });
	});

	it('keeps a column named __proto__ as a plain key', () => {
		const { rows } = parseWithHeader('__proto__,b\npolluted,2\n', ',');
		expect(Object.keys(rows[0])).toEqual(['__proto__', 'b']);
		expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it('agrees with csv-parse columns mode on random files', () => {
		fc.assert(
			fc.property(
				awkwardTable({ minColumns: 2 }),
				fc.constantFrom(...DELIMITERS),
				(table, delimiter) => {
					const header = table[0].map((_, index) => `col${index}`);
					const text = writeReference([header, ...table], delimiter, '\n').text;
					const expected = referenceParse(text, delimiter, { skipEmptyLines: true })
						.slice(1)
						.map((row) =>
							Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])),
						);
					expect(parseWithHeader(text, delimiter).rows).toEqual(expected);
				},
			),
			{ seed: FC_SEED, numRuns: 200 },
		);
	});
});
