import fc from 'fast-check';

import { readAsUtf8, type ResolvedEncoding } from '../../../nodes/shared/csv/encoding';
import {
	cutParts,
	cutPlan,
	planParts,
	splitIntoParts,
	type CutOptions,
	type FilePart,
	type PartPlan,
	type PlanOptions,
	type SplitPlan,
} from '../../../nodes/shared/csv/splitter';
import {
	CsvFileError,
	EmptyFileError,
	HeaderOnlyError,
	RowTooLargeError,
} from '../../../nodes/shared/csv/fileErrors';
import {
	awkwardTable,
	cutAt,
	DELIMITERS,
	FC_SEED,
	referenceParse,
	writeReference,
	type LineEnding,
} from './reference';

type Chunk = Buffer | Uint8Array | string;

interface SplitOptions extends Partial<PlanOptions>, CutOptions {
	delimiter?: string;
}

function optionsOf(options: SplitOptions): PlanOptions & CutOptions {
	const { delimiter = ',', ...rest } = options;
	return { encoding: 'utf-8', delimiterFor: () => delimiter, ...rest };
}

async function* streamOfChunks(chunks: Chunk[]): AsyncGenerator<Chunk> {
	for (const chunk of chunks) yield chunk;
}

/** A file that can be opened again and again, handing out the same chunks. */
function fileOf(chunks: Chunk[]) {
	const state = { opened: 0 };
	const open = async () => {
		state.opened++;
		return streamOfChunks(chunks);
	};
	return { open, state };
}

async function splitAll(
	chunks: Chunk[],
	options: SplitOptions = {},
): Promise<{ parts: FilePart[]; plan: SplitPlan }> {
	const parts: FilePart[] = [];
	const generator = splitIntoParts(fileOf(chunks).open, optionsOf(options));
	for (;;) {
		const next = await generator.next();
		if (next.done) return { parts, plan: next.value };
		parts.push(next.value);
	}
}

/** The error the split ends with; fails the test if any part was handed out before it. */
async function splitError(chunks: Chunk[], options: SplitOptions = {}): Promise<CsvFileError> {
	let yielded = 0;
	try {
		for await (const _part of splitIntoParts(fileOf(chunks).open, optionsOf(options))) yielded++;
	} catch (error) {
		expect(yielded).toBe(0);
		expect(error).toBeInstanceOf(CsvFileError);
		return error as CsvFileError;
	}
	throw new Error('expected the split to fail');
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const planOf = ({ body: _body, ...plan }: FilePart): PartPlan => plan;

/** Every way to cut `bytes` into one, two or three chunks. */
function everyCut(bytes: Buffer): Buffer[][] {
	const ways: Buffer[][] = [[bytes]];
	for (let a = 1; a < bytes.length; a++) {
		ways.push([bytes.subarray(0, a), bytes.subarray(a)]);
		for (let b = a + 1; b < bytes.length; b++)
			ways.push([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
	}
	return ways;
}

/** Puts empty lines (LF or CRLF, as the file uses) before the chosen lines. */
function withEmptyLines(lines: string[], lineEnding: LineEnding, before: number[]): string[] {
	const result = [...lines];
	for (const index of [...new Set(before)].sort((a, b) => b - a)) {
		if (index >= 1 && index < result.length) result.splice(index, 0, lineEnding);
	}
	return result;
}

/** Awkward tables, without NUL (a UTF-8 file with a NUL byte is refused: see the encoding tests). */
const tableWithoutNul = (options: Parameters<typeof awkwardTable>[0]) =>
	awkwardTable(options).map((table) =>
		table.map((row) => row.map((value) => value.replace(/\0/g, ' '))),
	);

describe('splitIntoParts: agrees with csv-parse on well-formed files', () => {
	it('keeps every row once, in order, byte-exact, in parts within the limit that start with the header', async () => {
		await fc.assert(
			fc.asyncProperty(
				tableWithoutNul({ minColumns: 2, maxRows: 40 }),
				fc.constantFrom(...DELIMITERS),
				fc.constantFrom<LineEnding>('\n', '\r\n'),
				fc.record({
					trailingNewline: fc.boolean(),
					bom: fc.boolean(),
					emptyLinesBefore: fc.array(fc.nat({ max: 45 }), { maxLength: 4 }),
					maxPartBytes: fc.integer({ min: 200, max: 2000 }),
					cutSeeds: fc.array(fc.nat(), { maxLength: 30 }),
				}),
				async (table, delimiter, lineEnding, options) => {
					const header = table[0].map((_, index) => `column ${index}`);
					const file = writeReference([header, ...table], delimiter, lineEnding, {
						trailingNewline: options.trailingNewline,
					});
					const lines = withEmptyLines(file.lines, lineEnding, options.emptyLinesBefore);
					const original = Buffer.concat([
						options.bom ? BOM : Buffer.alloc(0),
						utf8(lines.join('')),
					]);
					const chunks = cutAt(
						original,
						options.cutSeeds.map((seed) => seed % (original.length + 1)),
					);
					const headerBytes = Buffer.byteLength(lines[0]);
					const expectedRows = referenceParse(original, delimiter, {
						skipEmptyLines: true,
						lineEnding,
					}).slice(1);
					const split = { delimiter, maxPartBytes: options.maxPartBytes };

					const longestRow = Math.max(...lines.slice(1).map((line) => Buffer.byteLength(line)));
					if (headerBytes + longestRow > options.maxPartBytes) {
						const error = await splitError(chunks, split);
						expect(error).toBeInstanceOf(RowTooLargeError);
						return;
					}

					const { parts, plan } = await splitAll(chunks, split);
					const headerLine = utf8(lines[0]);
					let nextRowNumber = 1;
					const rowsFromParts: string[][] = [];
					parts.forEach((part, index) => {
						expect(part.index).toBe(index);
						expect(part.body.length).toBeLessThanOrEqual(options.maxPartBytes);
						expect(part.body.subarray(0, headerLine.length).equals(headerLine)).toBe(true);
						expect(
							original
								.subarray(part.dataStart, part.dataEnd)
								.equals(part.body.subarray(headerLine.length)),
						).toBe(true);
						const partRows = referenceParse(part.body, delimiter, {
							skipEmptyLines: true,
							lineEnding,
						}).slice(1);
						expect(part.rows).toBe(partRows.length);
						expect(part.rows).toBeGreaterThan(0);
						expect(part.firstRowNumber).toBe(nextRowNumber);
						nextRowNumber += part.rows;
						rowsFromParts.push(...partRows);
					});
					expect(rowsFromParts).toEqual(expectedRows);
					expect(plan).toEqual({
						encoding: 'utf-8',
						delimiter,
						headerLine,
						header,
						parts: parts.map(planOf),
						totalRows: expectedRows.length,
						totalBytes: original.length,
						hasBom: options.bom,
					});
					// Parts cover the data contiguously from just after the header to the end of the file.
					expect(parts[0].dataStart).toBe((options.bom ? 3 : 0) + headerBytes);
					for (let i = 1; i < parts.length; i++)
						expect(parts[i].dataStart).toBe(parts[i - 1].dataEnd);
					expect(parts[parts.length - 1].dataEnd).toBe(original.length);
				},
			),
			{ seed: FC_SEED, numRuns: 400 },
		);
	});

	it('plans and cuts the same parts whatever the chunking', async () => {
		await fc.assert(
			fc.asyncProperty(
				tableWithoutNul({ minColumns: 2, maxRows: 25 }),
				fc.array(fc.nat(), { maxLength: 60 }),
				fc.array(fc.nat(), { maxLength: 60 }),
				fc.integer({ min: 300, max: 4000 }),
				async (table, planSeeds, cutSeeds, maxPartBytes) => {
					const header = table[0].map((_, index) => `h${index}`);
					const original = utf8(writeReference([header, ...table], ',', '\r\n').text);
					const chunksFor = (seeds: number[]) =>
						cutAt(
							original,
							seeds.map((seed) => seed % (original.length + 1)),
						);
					let whole: { parts: FilePart[]; plan: SplitPlan };
					try {
						whole = await splitAll([original], { maxPartBytes });
					} catch (error) {
						// Refused in one piece: refused in any chunking, the same way.
						await expect(splitAll(chunksFor(planSeeds), { maxPartBytes })).rejects.toThrow(
							(error as Error).message,
						);
						return;
					}
					const plan = await planParts(
						fileOf(chunksFor(planSeeds)).open,
						optionsOf({ maxPartBytes }),
					);
					expect(plan).toEqual(whole.plan);
					const parts: FilePart[] = [];
					for await (const part of cutParts(fileOf(chunksFor(cutSeeds)).open, plan))
						parts.push(part);
					expect(parts).toEqual(whole.parts);
				},
			),
			{ seed: FC_SEED, numRuns: 200 },
		);
	});
});

describe('splitIntoParts: how rows are read', () => {
	const header = 'email,firstName,note\r\n';
	const row = (n: number) =>
		`u${n}@example.com,Name ${n},"line one\r\nline two, with ""quotes"""\r\n`;

	it('puts as many whole rows in a part as fit, quoted CRLFs included', async () => {
		const rowBytes = Buffer.byteLength(row(1));
		const text = header + [1, 2, 3, 4, 5].map(row).join('');
		const maxPartBytes = header.length + 2 * rowBytes; // two rows per part
		const { parts, plan } = await splitAll([utf8(text)], { maxPartBytes });
		expect(parts.map((part) => part.rows)).toEqual([2, 2, 1]);
		expect(parts.map((part) => part.firstRowNumber)).toEqual([1, 3, 5]);
		expect(parts[1].body.toString()).toBe(header + row(3) + row(4));
		expect(parts.map((part) => part.body.length)).toEqual([
			maxPartBytes,
			maxPartBytes,
			header.length + rowBytes,
		]);
		expect(plan.header).toEqual(['email', 'firstName', 'note']);
		expect(plan.totalRows).toBe(5);
	});

	it('reads a quote inside an unquoted value as an ordinary character (Baker 5" 10)', async () => {
		const text = 'name,size,note\nBaker 5" 10,O"Neil,x\n"quoted",a"b"c,"x"y\nplain,5",z';
		for (const chunks of everyCut(utf8(text))) {
			const { parts, plan } = await splitAll(chunks, { maxPartBytes: 40 });
			expect(plan.totalRows).toBe(3);
			expect(parts.map((part) => part.body.toString())).toEqual([
				'name,size,note\nBaker 5" 10,O"Neil,x\n',
				'name,size,note\n"quoted",a"b"c,"x"y\n',
				'name,size,note\nplain,5",z',
			]);
		}
	});

	it('ends a row at a lone CR, and at CR LF cut between two chunks', async () => {
		for (const text of [
			'a,b\r1,2\r3,4\r',
			'a,b\r\n1,2\r\n3,4\r\n',
			'a,b\n1,2\r3,4\r\n',
			'a,b\r1,2\n3,4',
		]) {
			const lineBreaks = text.match(/\r\n|\r|\n/g) ?? [];
			for (const chunks of everyCut(utf8(text))) {
				const { parts, plan } = await splitAll(chunks, { maxPartBytes: 10 });
				expect(plan.totalRows).toBe(2);
				expect(plan.headerLine.toString()).toBe('a,b' + lineBreaks[0]);
				expect(parts.map((part) => part.body.toString())).toEqual([
					`a,b${lineBreaks[0]}1,2${lineBreaks[1]}`,
					`a,b${lineBreaks[0]}3,4${lineBreaks[2] ?? ''}`,
				]);
			}
		}
	});

	it('reads a " that ends a chunk inside a quoted section by the byte after it: doubled or closing', async () => {
		const cases = [
			// doubled: `""` cut between its two quotes, the section goes on over the CRLF
			{ text: 'a,b\n1,"x""\r\ny"\n2,3\n', rows: ['1,"x""\r\ny"\n', '2,3\n'] },
			// closing: the quote then a delimiter, a line break, or the end of the file
			{ text: 'a,b\n"x",1\n2,"y"\r\n3,"z"', rows: ['"x",1\n', '2,"y"\r\n', '3,"z"'] },
			// closing, then text kept as written; the next quote is ordinary
			{ text: 'a,b\n"x"y"z,1\r"""",""\n', rows: ['"x"y"z,1\r', '"""",""\n'] },
		];
		for (const { text, rows } of cases) {
			const bytes = utf8(text);
			for (let cut = 1; cut < bytes.length; cut++) {
				if (bytes[cut - 1] !== 0x22) continue; // every chunk that ends with a quote
				// One row per part: a part boundary right after each of these rows too.
				const maxPartBytes =
					'a,b\n'.length + Math.max(...rows.map((row) => Buffer.byteLength(row)));
				const { parts, plan } = await splitAll([bytes.subarray(0, cut), bytes.subarray(cut)], {
					maxPartBytes,
				});
				expect(plan.totalRows).toBe(rows.length);
				expect(parts.map((part) => part.body.toString())).toEqual(rows.map((row) => 'a,b\n' + row));
			}
		}
	});

	it('strips a BOM from the parts but counts it in the offsets', async () => {
		const original = Buffer.concat([BOM, utf8('a;b\n1;2\n3;4')]);
		const { parts, plan } = await splitAll(
			[original.subarray(0, 1), original.subarray(1, 2), original.subarray(2)],
			{
				delimiter: ';',
			},
		);
		expect(parts).toHaveLength(1);
		expect(parts[0].body.toString()).toBe('a;b\n1;2\n3;4');
		expect(parts[0].dataStart).toBe(7);
		expect(parts[0].dataEnd).toBe(original.length);
		expect(original.subarray(7).toString()).toBe('1;2\n3;4');
		expect(plan).toMatchObject({
			hasBom: true,
			totalBytes: original.length,
			headerLine: utf8('a;b\n'),
		});
	});

	it('keeps empty lines in place but does not count them; a line of spaces or "" is a row', async () => {
		const { parts, plan } = await splitAll([utf8('a,b\n\n1,2\n\r\n3,4\n\n')]);
		expect(parts[0].body.toString()).toBe('a,b\n\n1,2\n\r\n3,4\n\n');
		expect(parts[0].rows).toBe(2);
		expect(plan.totalRows).toBe(2);
		const spaces = await splitAll([utf8('a\n  \n""\n\r,\r')]);
		expect(spaces.plan.totalRows).toBe(3);
	});

	it('leaves out empty lines at the end that would make a part without rows', async () => {
		const original = utf8('a\n1\n\n\n\n\n');
		const { parts, plan } = await splitAll([original], { maxPartBytes: 4 });
		expect(parts.map((part) => part.body.toString())).toEqual(['a\n1\n']);
		expect(parts[0].dataEnd).toBe(4);
		expect(plan).toMatchObject({ totalRows: 1, totalBytes: original.length });
	});

	it('gives the delimiter choice the BOM-less head, the whole header line included', async () => {
		const heads: string[] = [];
		const original = Buffer.concat([BOM, utf8('email;first name;"last;name"\r\nx;y;z\r\n')]);
		const { plan } = await splitAll(cutAt(original, [1, 2, 5, 9, 20]), {
			delimiterFor: (head) => {
				heads.push(head.toString());
				return ';';
			},
		});
		expect(heads).toHaveLength(1);
		expect(heads[0].startsWith('email;first name;"last;name"\r\n')).toBe(true);
		expect(plan.header).toEqual(['email', 'first name', 'last;name']);
	});

	it('reads Windows-1252 and UTF-16 files as UTF-8, with offsets in the file as read', async () => {
		// "€uro,“x”" in Windows-1252: 0x80 and the curly quotes are one byte each.
		const windows = Buffer.concat([
			utf8('name,q\n'),
			Buffer.from([0x80]),
			utf8('uro,'),
			Buffer.from([0x93, 0x78, 0x94, 0x0a]),
		]);
		const fromWindows = await splitAll([windows], { encoding: 'windows-1252' });
		expect(fromWindows.parts.map((part) => part.body.toString())).toEqual(['name,q\n€uro,“x”\n']);
		expect(fromWindows.plan).toMatchObject({
			encoding: 'windows-1252',
			totalRows: 1,
			totalBytes: 22,
			hasBom: false,
		});
		expect(fromWindows.parts[0]).toMatchObject({ dataStart: 7, dataEnd: 22 });

		for (const encoding of ['utf-16le', 'utf-16be'] as const) {
			const le = Buffer.from('\ufeffemail\tname\r\nä@x.de\t😀\r\nb@x.de\tB\r\n', 'utf16le');
			const bytes = encoding === 'utf-16le' ? le : Buffer.from(le).swap16();
			const { parts, plan } = await splitAll(cutAt(bytes, [1, 3, 7, 30]), {
				encoding,
				delimiter: '\t',
				maxPartBytes: 30,
			});
			expect(parts.map((part) => part.body.toString())).toEqual([
				'email\tname\r\nä@x.de\t😀\r\n',
				'email\tname\r\nb@x.de\tB\r\n',
			]);
			// The BOM is not in the file as read: the transcoder dropped it.
			expect(plan).toMatchObject({
				hasBom: false,
				totalRows: 2,
				totalBytes: Buffer.byteLength('email\tname\r\nä@x.de\t😀\r\nb@x.de\tB\r\n'),
			});
			const asRead = Buffer.concat(
				await (async () => {
					const out: Buffer[] = [];
					for await (const chunk of readAsUtf8([bytes], encoding as ResolvedEncoding))
						out.push(chunk);
					return out;
				})(),
			);
			for (const part of parts)
				expect(
					asRead
						.subarray(part.dataStart, part.dataEnd)
						.equals(part.body.subarray(plan.headerLine.length)),
				).toBe(true);
		}
	});

	it('splits a realistic 25 MB file into 3 parts of at most 10,000,000 bytes', async () => {
		const headerLine = 'email,firstName,lastName,company,notes\r\n';
		const rows: string[] = [];
		let size = headerLine.length;
		for (let n = 1; size < 25_000_000; n++) {
			const line = `lead${n}@example.com,First${n},"Last, ${n}",Company ${n % 977},"note ""${n}""\r\nsecond line"\r\n`;
			rows.push(line);
			size += line.length;
		}
		const original = utf8(headerLine + rows.join(''));
		const chunks: Buffer[] = [];
		for (let offset = 0; offset < original.length; offset += 1024 * 1024)
			chunks.push(original.subarray(offset, offset + 1024 * 1024));
		const { parts, plan } = await splitAll(chunks, { maxPartBytes: 10_000_000 });
		expect(parts).toHaveLength(3);
		expect(parts.every((part) => part.body.length <= 10_000_000)).toBe(true);
		// Row ends are kept about every 64 KiB: a full part is at most that much short of the limit.
		expect(parts[0].body.length).toBeGreaterThan(10_000_000 - 64 * 1024);
		expect(plan.totalRows).toBe(rows.length);
		expect(parts.reduce((sum, part) => sum + part.rows, 0)).toBe(rows.length);
		const last = parts[2];
		expect(last.dataEnd).toBe(original.length);
		expect(
			original.subarray(last.dataStart, last.dataEnd).equals(last.body.subarray(headerLine.length)),
		).toBe(true);
		expect(
			last.body
				.subarray(headerLine.length)
				.toString()
				.startsWith(rows[last.firstRowNumber - 1]),
		).toBe(true);
	});
});

describe('splitIntoParts: refusals come before the first part', () => {
	it('an empty file, a header-only file', async () => {
		expect(await splitError([])).toBeInstanceOf(EmptyFileError);
		expect(await splitError([Buffer.alloc(0)])).toMatchObject({ code: 'empty-file' });
		expect(await splitError([BOM])).toBeInstanceOf(EmptyFileError);
		expect(await splitError([BOM.subarray(0, 1), BOM.subarray(1)])).toBeInstanceOf(EmptyFileError);
		expect(await splitError([utf8('email,name')])).toBeInstanceOf(HeaderOnlyError);
		expect(await splitError([utf8('email,name\r\n')])).toMatchObject({ code: 'header-only' });
		expect(await splitError([utf8('email,name\n\n\r\n\r')])).toBeInstanceOf(HeaderOnlyError);
	});

	it('an empty first line', async () => {
		for (const text of ['\nemail\nx\n', '\r\nemail\nx', '\remail\rx', '\n']) {
			expect(await splitError([utf8(text)])).toMatchObject({ code: 'empty-header' });
		}
		expect(await splitError([BOM, utf8('\nemail\nx\n')])).toMatchObject({ code: 'empty-header' });
		expect((await splitError([utf8('\n')])).message).toMatch(/first line of the file is empty/);
	});

	it('a header too large for any part, with or without its line break', async () => {
		expect(
			await splitError([utf8('a'.repeat(500) + '\n1\n')], { maxPartBytes: 100 }),
		).toMatchObject({
			code: 'header-too-large',
			rowNumber: 0,
		});
		expect(
			await splitError([utf8('a'.repeat(60)), utf8('a'.repeat(60))], { maxPartBytes: 100 }),
		).toMatchObject({
			code: 'header-too-large',
		});
		// A header of maxPartBytes - 1 bytes leaves one byte: a one-byte row fits.
		const { parts } = await splitAll([utf8('abcdefgh\n1')], { maxPartBytes: 10 });
		expect(parts.map((part) => part.body.toString())).toEqual(['abcdefgh\n1']);
	});

	it('a row too large for a part, even the last row after many that would fit', async () => {
		const big = `2,"${'x'.repeat(300)}"\n`;
		const error = await splitError([utf8('a,b\n1,2\n' + big + '3,4\n')], { maxPartBytes: 200 });
		expect(error).toBeInstanceOf(RowTooLargeError);
		expect(error).toMatchObject({
			code: 'row-too-large',
			rowNumber: 2,
			rowBytes: Buffer.byteLength(big),
			maxPartBytes: 200,
		});
		expect(error.message).toBe(
			`Row 2 is ${Buffer.byteLength(big)} bytes: with the 4-byte header it does not fit in one upload of at most 200 bytes`,
		);

		const small = Array.from({ length: 100 }, (_, n) => `${n},x\n`).join('');
		const last = await splitError([utf8('a,b\n' + small + `101,${'y'.repeat(100)}\n`)], {
			maxPartBytes: 50,
		});
		expect(last).toMatchObject({ code: 'row-too-large', rowNumber: 101 });
	});

	it('a file that ends inside a quoted section, naming the row and column where it opened', async () => {
		const error = await splitError([utf8('a,b\n1,2\n3,"open\n4,5\n6,7\n')]);
		expect(error).toMatchObject({ code: 'unclosed-quote', rowNumber: 2, column: 'b' });
		expect(error.message).toBe(
			"A quoted value that starts in row 2, column 'b', is never closed: the rest of the file would be read as that one value",
		);
		// Before the row-too-large check: an unclosed quote makes one huge row of the rest.
		const chunks = [utf8('a,b\n1,"open\n')];
		for (let i = 0; i < 50; i++) chunks.push(utf8('more,text\n'.repeat(10)));
		expect(await splitError(chunks, { maxPartBytes: 300 })).toMatchObject({
			code: 'unclosed-quote',
			rowNumber: 1,
			column: 'b',
		});
		// In the header; in a column the header has no name for; after a doubled quote; after a CR.
		expect(await splitError([utf8('"a,b\n1,2\n')])).toMatchObject({
			code: 'unclosed-quote',
			rowNumber: 0,
			column: 'column 1',
		});
		expect(await splitError([utf8('a\n1,2,"x\n')])).toMatchObject({
			rowNumber: 1,
			column: 'column 3',
		});
		expect(await splitError([utf8('a,b\n1,"x""'), utf8('\n')])).toMatchObject({
			rowNumber: 1,
			column: 'b',
		});
		expect(await splitError([utf8('a,b\r'), utf8('"')])).toMatchObject({
			rowNumber: 1,
			column: 'a',
		});
		// A quote that is not at the start of a value opens nothing.
		expect((await splitAll([utf8('a,b\n1,x"y\n')])).plan.totalRows).toBe(1);
	});

	it('bytes not in the encoding, naming the row and column they are in', async () => {
		const bytes = (...values: Array<string | number>) =>
			Buffer.concat(
				values.map((value) => (typeof value === 'string' ? utf8(value) : Buffer.from([value]))),
			);
		const cases: Array<{ chunks: Buffer[]; rowNumber: number; column: string; message: RegExp }> = [
			{
				chunks: [bytes('a,b\n1,2\n3,', 0xff, '\n')],
				rowNumber: 2,
				column: 'b',
				message: /the byte 0xFF at byte offset 10/,
			},
			{
				chunks: [bytes('a,', 0xe9, '\n1,2\n')],
				rowNumber: 0,
				column: 'column 2',
				message: /the byte 0xE9 at byte offset 2/,
			},
			{
				chunks: [bytes('a,b\n1,"x\n', 0xc3), bytes(0x28, '"\n')],
				rowNumber: 1,
				column: 'b',
				message: /0xC3 at byte offset 9/,
			},
			// the bad byte right after a CR that ended a chunk: the CR ended a row
			{
				chunks: [bytes('a,b\n1,2\r'), bytes(0xff, ',3\n')],
				rowNumber: 2,
				column: 'a',
				message: /0xFF at byte offset 8/,
			},
			{
				chunks: [bytes('a,b\r'), bytes(0xff, '\n')],
				rowNumber: 1,
				column: 'a',
				message: /0xFF at byte offset 4/,
			},
			{
				chunks: [bytes('a,b\n1,2\r3,4\r'), bytes(0x00)],
				rowNumber: 3,
				column: 'a',
				message: /NUL byte at byte offset 12/,
			},
			{
				chunks: [bytes(...BOM, 'a;b\n1;', 0x00)],
				rowNumber: 1,
				column: 'b',
				message: /NUL byte at byte offset 9/,
			},
		];
		for (const { chunks, rowNumber, column, message } of cases) {
			const error = await splitError(chunks, { delimiter: chunks[0].includes(';') ? ';' : ',' });
			expect(error).toMatchObject({ code: 'invalid-encoding', rowNumber, column });
			expect(error.message).toMatch(message);
			expect(error.message).toContain(
				rowNumber === 0
					? `(the header line, column '${column}')`
					: `(row ${rowNumber}, column '${column}')`,
			);
		}
	});

	it('a lone surrogate in a UTF-16 file, naming its row and column', async () => {
		const units = (text: string, ...extra: number[]) => {
			const head = Buffer.from(text, 'utf16le');
			const tail = Buffer.alloc(extra.length * 2);
			extra.forEach((unit, i) => tail.writeUInt16LE(unit, i * 2));
			return Buffer.concat([head, tail]);
		};
		const le = Buffer.concat([
			units('\ufeffa,b\r\n1,2\r\n3,4\r\n5,x', 0xdc00),
			units('\r\n6,7\r\n'),
		]);
		for (const [encoding, bytes] of [
			['utf-16le', le],
			['utf-16be', Buffer.from(le).swap16()],
		] as const) {
			for (const cut of [0, 7, 24, le.length - 15]) {
				const error = await splitError(cutAt(bytes, [cut]), { encoding });
				expect(error).toMatchObject({ code: 'invalid-encoding', rowNumber: 3, column: 'b' });
				expect(error.message).toContain('at byte offset 38 of the original file');
			}
		}
	});

	it('a nonsensical limit', async () => {
		for (const maxPartBytes of [0, 1, 1.5, Number.NaN]) {
			await expect(splitAll([utf8('a\n1\n')], { maxPartBytes })).rejects.toThrow(RangeError);
		}
	});
});

describe('cutPlan and targetPartBytes', () => {
	type Kept = Parameters<typeof cutPlan>[0];
	/** Kept row ends: [offset, data rows before it]; the first is the end of the header. */
	const kept = (...ends: Array<[number, number]>): Kept => {
		const offsets = ends.map(([offset]) => offset);
		return {
			offsets,
			rowsBefore: ends.map(([, rows]) => rows),
			add() {},
			get last() {
				return offsets[offsets.length - 1];
			},
		} as Kept;
	};
	const spans = (parts: PartPlan[]) =>
		parts.map((part) => [part.dataStart, part.dataEnd, part.rows, part.firstRowNumber]);

	it('takes the furthest kept row end within the target, and parts follow each other', () => {
		const boundaries = kept([10, 0], [20, 1], [30, 2], [40, 3], [50, 4], [60, 5]);
		expect(spans(cutPlan(boundaries, 100, 100))).toEqual([[10, 60, 5, 1]]);
		expect(spans(cutPlan(boundaries, 100, 20))).toEqual([
			[10, 30, 2, 1],
			[30, 50, 2, 3],
			[50, 60, 1, 5],
		]);
		// A row end exactly at the target (or the maximum) is within it.
		expect(spans(cutPlan(boundaries, 30, 30))).toEqual([
			[10, 40, 3, 1],
			[40, 60, 2, 4],
		]);
		expect(cutPlan(boundaries, 100, 20).map((part) => part.index)).toEqual([0, 1, 2]);
	});

	it('when the next row end is beyond the target, fills up to the maximum instead', () => {
		const boundaries = kept([10, 0], [40, 1], [45, 2], [50, 3], [90, 4]);
		expect(spans(cutPlan(boundaries, 40, 20))).toEqual([
			[10, 50, 3, 1],
			[50, 90, 1, 4],
		]);
		// A target at or below zero (smaller than the header) is the same as none below the maximum.
		expect(cutPlan(boundaries, 40, 0)).toEqual(cutPlan(boundaries, 40, 40));
		expect(cutPlan(boundaries, 40, -5)).toEqual(cutPlan(boundaries, 40, 40));
	});

	it('makes no part of stretches without data rows, and none for a header alone', () => {
		expect(cutPlan(kept([10, 0]), 100, 100)).toEqual([]);
		// empty lines at the end, kept apart from the last row
		expect(spans(cutPlan(kept([10, 0], [20, 2], [25, 2]), 10, 10))).toEqual([[10, 20, 2, 1]]);
		// a stretch of empty lines in the middle
		const parts = cutPlan(kept([10, 0], [20, 1], [30, 1], [40, 2]), 10, 10);
		expect(spans(parts)).toEqual([
			[10, 20, 1, 1],
			[30, 40, 1, 2],
		]);
		expect(parts.map((part) => part.index)).toEqual([0, 1]);
	});

	it('balances parts when the node asks for a target (targetPartBytes)', async () => {
		const headerLine = 'id,value\n';
		const rows = Array.from(
			{ length: 30 },
			(_, n) => `${String(n).padStart(4, '0')},${'v'.repeat(15)}\n`,
		); // 21 bytes each
		const original = utf8(headerLine + rows.join(''));
		const maxPartBytes = headerLine.length + 21 * 4; // 4 rows fit (and every row end is kept)

		const greedy = await splitAll([original], { maxPartBytes });
		expect(greedy.parts.map((part) => part.rows)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);

		const asked: number[] = [];
		const balanced = await splitAll([original], {
			maxPartBytes,
			targetPartBytes: (fileBytes) => {
				asked.push(fileBytes);
				return headerLine.length + 21 * 3 + 10; // three rows and some slack
			},
		});
		expect(asked).toEqual([original.length]);
		expect(balanced.parts.map((part) => part.rows)).toEqual(Array(10).fill(3));
		expect(balanced.parts.map((part) => part.firstRowNumber)).toEqual([
			1, 4, 7, 10, 13, 16, 19, 22, 25, 28,
		]);
		expect(
			Buffer.concat(balanced.parts.map((part) => part.body.subarray(headerLine.length))).equals(
				original.subarray(headerLine.length),
			),
		).toBe(true);

		// A target above the maximum is capped by it.
		const capped = await splitAll([original], {
			maxPartBytes,
			targetPartBytes: () => 10 * maxPartBytes,
		});
		expect(capped.parts.map(planOf)).toEqual(greedy.parts.map(planOf));
	});

	it('counts a UTF-8 BOM in the file size the target is asked for', async () => {
		const asked: number[] = [];
		const original = Buffer.concat([BOM, utf8('a\n1\n2\n')]);
		await splitAll([original], { targetPartBytes: (bytes) => (asked.push(bytes), bytes) });
		expect(asked).toEqual([original.length]);
	});
});

describe('cutParts: reusePartBuffer', () => {
	/** Splits with one reused buffer, copying each body before asking for the next part, as the node must. */
	async function splitReusing(chunks: Chunk[], maxPartBytes: number, delimiter = ',') {
		const parts: FilePart[] = [];
		const memory = new Set<ArrayBufferLike>();
		const generator = splitIntoParts(
			fileOf(chunks).open,
			optionsOf({ maxPartBytes, delimiter, reusePartBuffer: true }),
		);
		for (;;) {
			const next = await generator.next();
			if (next.done) return { parts, plan: next.value, memory };
			memory.add(next.value.body.buffer);
			parts.push({ ...next.value, body: Buffer.from(next.value.body) });
		}
	}

	it('gives the same parts as fresh buffers, whatever the chunking, in one piece of memory', async () => {
		await fc.assert(
			fc.asyncProperty(
				tableWithoutNul({ minColumns: 2, maxRows: 30 }),
				fc.array(fc.nat(), { maxLength: 40 }),
				fc.integer({ min: 150, max: 1500 }),
				fc.boolean(),
				async (table, cutSeeds, maxPartBytes, bom) => {
					const header = table[0].map((_, index) => `h${index}`);
					const text = writeReference([header, ...table], ';', '\n').text;
					const original = Buffer.concat([bom ? BOM : Buffer.alloc(0), utf8(text)]);
					const chunks = cutAt(
						original,
						cutSeeds.map((seed) => seed % (original.length + 1)),
					);
					let fresh: { parts: FilePart[]; plan: SplitPlan };
					try {
						fresh = await splitAll(chunks, { maxPartBytes, delimiter: ';' });
					} catch (error) {
						// Both modes must refuse the same file the same way.
						await expect(splitReusing(chunks, maxPartBytes, ';')).rejects.toThrow(
							(error as Error).message,
						);
						return;
					}
					const reused = await splitReusing(chunks, maxPartBytes, ';');
					expect(reused.parts).toEqual(fresh.parts);
					expect(reused.plan).toEqual(fresh.plan);
					expect(reused.memory.size).toBe(1);
				},
			),
			{ seed: FC_SEED, numRuns: 200 },
		);
	});

	it('overwrites a body when the next part is requested, while fresh bodies stay intact', async () => {
		const text = 'id\n' + ['1', '2', '3', '4'].map((id) => `row ${id}\n`).join('');
		const maxPartBytes = 'id\n'.length + 6;
		const reusing = splitIntoParts(
			fileOf([text]).open,
			optionsOf({ maxPartBytes, reusePartBuffer: true }),
		);
		const first = (await reusing.next()).value as FilePart;
		const firstBody = first.body;
		expect(firstBody.toString()).toBe('id\nrow 1\n');
		await reusing.next();
		expect(firstBody.toString()).toBe('id\nrow 2\n'); // the documented rule: use it before asking for more

		const { parts } = await splitAll([utf8(text)], { maxPartBytes });
		expect(parts.map((part) => part.body.toString())).toEqual(
			['1', '2', '3', '4'].map((id) => `id\nrow ${id}\n`),
		);
	});

	it('cuts many parts out of one big chunk, row by row', async () => {
		const rows = Array.from({ length: 500 }, (_, n) => `${n},"v ${n}\r\nnext"\r\n`);
		const original = utf8('n,v\r\n' + rows.join(''));
		const reused = await splitReusing([original], 300);
		const fresh = await splitAll([original], { maxPartBytes: 300 });
		expect(reused.parts.length).toBeGreaterThan(30);
		expect(reused.parts).toEqual(fresh.parts);
		expect(reused.parts.reduce((sum, part) => sum + part.rows, 0)).toBe(500);
	});
});

describe('splitIntoParts: the source', () => {
	/** A file whose every opening is an async iterable that records whether it was closed early. */
	function trackedFile(chunks: Chunk[]) {
		const state = { opened: 0, closed: 0, pulled: 0 };
		const open = async (): Promise<AsyncIterable<Chunk>> => {
			state.opened++;
			return {
				[Symbol.asyncIterator]() {
					let index = 0;
					return {
						next: async () => {
							state.pulled++;
							return index < chunks.length
								? { done: false, value: chunks[index++] }
								: { done: true, value: undefined };
						},
						return: async () => {
							state.closed++;
							return { done: true, value: undefined };
						},
					};
				},
			};
		};
		return { open, state };
	}

	it('opens the file once per pass', async () => {
		const { open, state } = trackedFile(['a,b\n', '1,2\n', '3,4\n']);
		const parts: FilePart[] = [];
		for await (const part of splitIntoParts(open, optionsOf({ maxPartBytes: 8 }))) parts.push(part);
		expect(parts).toHaveLength(2);
		expect(state.opened).toBe(2);
	});

	it('reads the whole file before refusing a row too large, and closes the source it stops reading', async () => {
		const { open, state } = trackedFile([
			'a,b\n1,2\n',
			`2,"${'x'.repeat(400)}"\n`,
			'3,4\n',
			'5,6\n',
		]);
		const generator = splitIntoParts(open, optionsOf({ maxPartBytes: 100 }));
		await expect(generator.next()).rejects.toBeInstanceOf(RowTooLargeError);
		expect(state).toMatchObject({ opened: 1, pulled: 5 });

		const early = trackedFile(['\n', 'a\n', '1\n']); // refused at its first line
		await expect(splitIntoParts(early.open, optionsOf({})).next()).rejects.toMatchObject({
			code: 'empty-header',
		});
		expect(early.state).toMatchObject({ closed: 1 });
		expect(early.state.pulled).toBeLessThan(4);
	});

	it('closes the source when the consumer stops early', async () => {
		const { open, state } = trackedFile(['a\n', '1\n', '2\n', '3\n']);
		for await (const part of splitIntoParts(open, optionsOf({ maxPartBytes: 4 }))) {
			expect(part.body.toString()).toBe('a\n1\n');
			break;
		}
		expect(state.closed).toBe(1);
	});

	it('refuses a file that changed between the two passes', async () => {
		const plan = await planParts(fileOf(['a\n1\n2\n']).open, optionsOf({}));
		const parts = cutParts(fileOf(['a\n1\n']).open, plan);
		await expect(parts.next()).rejects.toMatchObject({ code: 'file-changed' });
		const longer = cutParts(fileOf(['a\n1\n2\n3\n']).open, plan);
		expect((await longer.next()).value).toMatchObject({ rows: 2 });
		await expect(longer.next()).rejects.toMatchObject({ code: 'file-changed' });
	});

	it('takes Uint8Array, string and empty chunks, with the BOM spread over them', async () => {
		const bytes = Buffer.concat([BOM, utf8('a;b\r\n1;2\r\n')]);
		const chunks: Chunk[] = [
			new Uint8Array(0),
			new Uint8Array(bytes.subarray(0, 2)),
			Buffer.alloc(0),
			new Uint8Array(bytes.subarray(2, 4)),
			'',
			new Uint8Array(bytes.subarray(4, 8)),
			bytes.subarray(8).toString(),
		];
		const { parts, plan } = await splitAll(chunks, { delimiter: ';' });
		expect(parts.map((part) => part.body.toString())).toEqual(['a;b\r\n1;2\r\n']);
		expect(parts[0].dataStart).toBe(3 + 'a;b\r\n'.length);
		expect(plan).toMatchObject({ hasBom: true, totalRows: 1, totalBytes: bytes.length });
	});

	it('reads files of one or two bytes', async () => {
		expect(await splitError([utf8('a')])).toBeInstanceOf(HeaderOnlyError);
		expect(await splitError([utf8('a\n')])).toBeInstanceOf(HeaderOnlyError);
		expect(await splitError([utf8('a\r')])).toBeInstanceOf(HeaderOnlyError);
		expect(await splitError([utf8('\r')])).toMatchObject({ code: 'empty-header' });
		expect(await splitError([utf8('\n')])).toMatchObject({ code: 'empty-header' });
		expect(await splitError([BOM.subarray(0, 2)])).toMatchObject({ code: 'invalid-encoding' });
		const { parts } = await splitAll([utf8('a\rb')]);
		expect(parts.map((part) => part.body.toString())).toEqual(['a\rb']);
	});
});
