import fc from 'fast-check';

import {
	CsvFileError,
	EmptyFileError,
	HeaderOnlyError,
	readHeader,
	RowTooLargeError,
	splitIntoParts,
	type FilePart,
	type SplitOptions,
	type SplitSummary,
} from '../../../nodes/shared/csv/splitter';
import { createRowScanner, useRowScanner, type RowScannerChoice } from '../../../nodes/shared/csv/rowScanner';
import {
	awkwardTable,
	cutAt,
	DELIMITERS,
	FC_SEED,
	referenceParse,
	streamOf,
	writeReference,
	type LineEnding,
} from './reference';

async function splitAll(
	chunks: Array<Buffer | Uint8Array>,
	options: SplitOptions,
): Promise<{ parts: FilePart[]; summary: SplitSummary }> {
	const parts: FilePart[] = [];
	const generator = splitIntoParts(streamOf(chunks), options);
	for (;;) {
		const next = await generator.next();
		if (next.done) return { parts, summary: next.value };
		parts.push(next.value);
	}
}

async function splitError(chunks: Buffer[], options: SplitOptions = {}): Promise<unknown> {
	try {
		await splitAll(chunks, options);
	} catch (error) {
		return error;
	}
	throw new Error('expected the split to fail');
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Puts empty lines (LF or CRLF, as the file uses) before the chosen lines. */
function withEmptyLines(lines: string[], lineEnding: LineEnding, before: number[]): string[] {
	const result = [...lines];
	for (const index of [...new Set(before)].sort((a, b) => b - a)) {
		if (index >= 1 && index < result.length) result.splice(index, 0, lineEnding);
	}
	return result;
}

// Every test runs with both row scanners: the wasm one (what Node 20+ uses) and the
// pure-JS fallback (for runtimes without WebAssembly SIMD).
describe.each(['wasm', 'js'] as const)('with the %s row scanner', (kind) => {
	let previousScanner: RowScannerChoice;
	beforeAll(() => {
		previousScanner = useRowScanner(kind);
	});
	afterAll(() => {
		useRowScanner(previousScanner);
	});

	it('uses that scanner', () => {
		expect(createRowScanner().kind).toBe(kind);
	});

	describe('splitIntoParts: agrees with csv-parse on random files', () => {
		it('keeps every row once, in order, byte-exact, in parts within the limit that start with the header', async () => {
			await fc.assert(
				fc.asyncProperty(
					awkwardTable({ minColumns: 2, maxRows: 40 }),
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
						const original = Buffer.concat([options.bom ? BOM : Buffer.alloc(0), utf8(lines.join(''))]);
						const chunks = cutAt(
							original,
							options.cutSeeds.map((seed) => seed % (original.length + 1)),
						);
						const headerBytes = Buffer.byteLength(lines[0]);
						const expectedRows = referenceParse(original, delimiter, { skipEmptyLines: true, lineEnding }).slice(1);

						const longestRow = Math.max(...lines.slice(1).map((line) => Buffer.byteLength(line)));
						if (headerBytes + longestRow > options.maxPartBytes) {
							const error = await splitError(chunks, options);
							expect(error).toBeInstanceOf(RowTooLargeError);
							return;
						}

						const { parts, summary } = await splitAll(chunks, options);
						const headerLine = utf8(lines[0]);
						let nextRowNumber = 1;
						const rowsFromParts: string[][] = [];
						parts.forEach((part, index) => {
							expect(part.index).toBe(index);
							expect(part.body.length).toBeLessThanOrEqual(options.maxPartBytes);
							expect(part.body.subarray(0, headerLine.length).equals(headerLine)).toBe(true);
							expect(original.subarray(part.dataStart, part.dataEnd).equals(part.body.subarray(headerLine.length))).toBe(true);
							if (index > 0) expect(part.dataStart).toBeGreaterThanOrEqual(parts[index - 1].dataEnd);
							const partRows = referenceParse(part.body, delimiter, { skipEmptyLines: true, lineEnding }).slice(1);
							expect(part.rows).toBe(partRows.length);
							expect(part.rows).toBeGreaterThan(0);
							expect(part.firstRowNumber).toBe(nextRowNumber);
							nextRowNumber += part.rows;
							rowsFromParts.push(...partRows);
						});
						expect(rowsFromParts).toEqual(expectedRows);
						expect(summary).toEqual({
							headerBytes,
							hasBom: options.bom,
							totalRows: expectedRows.length,
							partCount: parts.length,
							totalBytes: original.length,
						});
						// Parts cover the data contiguously from just after the header.
						expect(parts[0].dataStart).toBe((options.bom ? 3 : 0) + headerBytes);
						for (let i = 1; i < parts.length; i++) expect(parts[i].dataStart).toBe(parts[i - 1].dataEnd);
					},
				),
				{ seed: FC_SEED, numRuns: 400 },
			);
		});

		it('gives the same parts whatever the chunking', async () => {
			await fc.assert(
				fc.asyncProperty(
					awkwardTable({ minColumns: 2, maxRows: 25 }),
					fc.array(fc.nat(), { maxLength: 60 }),
					async (table, cutSeeds) => {
						const header = table[0].map((_, index) => `h${index}`);
						const original = utf8(writeReference([header, ...table], ',', '\r\n').text);
						const options = { maxPartBytes: 4000 };
						const whole = await splitAll([original], options);
						const cut = await splitAll(
							cutAt(
								original,
								cutSeeds.map((seed) => seed % (original.length + 1)),
							),
							options,
						);
						expect(cut.parts).toEqual(whole.parts);
					},
				),
				{ seed: FC_SEED, numRuns: 200 },
			);
		});
	});

	describe('splitIntoParts: examples', () => {
		const header = 'email,firstName,note\r\n';
		const row = (n: number) => `u${n}@example.com,Name ${n},"line one\r\nline two, with ""quotes"""\r\n`;

		it('puts as many whole rows in a part as fit, quoted CRLFs included', async () => {
			const rowBytes = Buffer.byteLength(row(1));
			const text = header + [1, 2, 3, 4, 5].map(row).join('');
			const maxPartBytes = header.length + 2 * rowBytes; // two rows per part
			const { parts } = await splitAll([utf8(text)], { maxPartBytes });
			expect(parts.map((part) => part.rows)).toEqual([2, 2, 1]);
			expect(parts.map((part) => part.firstRowNumber)).toEqual([1, 3, 5]);
			expect(parts[1].body.toString()).toBe(header + row(3) + row(4));
			expect(parts.map((part) => part.body.length)).toEqual([maxPartBytes, maxPartBytes, header.length + rowBytes]);
		});

		it('strips a BOM from the parts but counts it in the offsets', async () => {
			const original = Buffer.concat([BOM, utf8('a;b\n1;2\n3;4')]);
			const { parts, summary } = await splitAll([original.subarray(0, 1), original.subarray(1, 2), original.subarray(2)], {});
			expect(parts).toHaveLength(1);
			expect(parts[0].body.toString()).toBe('a;b\n1;2\n3;4');
			expect(parts[0].dataStart).toBe(7);
			expect(parts[0].dataEnd).toBe(original.length);
			expect(original.subarray(7).toString()).toBe('1;2\n3;4');
			expect(summary.hasBom).toBe(true);
		});

		it('keeps empty lines in place but does not count them', async () => {
			const { parts, summary } = await splitAll([utf8('a,b\n\n1,2\n\r\n3,4\n\n')], {});
			expect(parts[0].body.toString()).toBe('a,b\n\n1,2\n\r\n3,4\n\n');
			expect(parts[0].rows).toBe(2);
			expect(summary.totalRows).toBe(2);
		});

		it('handles a quoted newline that spans two chunks, and a CRLF cut between CR and LF', async () => {
			const chunks = ['a,b\r', '\n1,"x\r', '\ny"\r', '\n2,3\r', '\n'].map(utf8);
			const { parts } = await splitAll(chunks, { maxPartBytes: 17 });
			expect(parts.map((part) => part.body.toString())).toEqual(['a,b\r\n1,"x\r\ny"\r\n', 'a,b\r\n2,3\r\n']);
		});

		it('names the row that is too large, complete or still growing', async () => {
			const big = `2,"${'x'.repeat(300)}"\n`;
			const error = await splitError([utf8('a,b\n1,2\n' + big + '3,4\n')], { maxPartBytes: 200 });
			expect(error).toBeInstanceOf(RowTooLargeError);
			expect((error as RowTooLargeError).rowNumber).toBe(2);
			expect((error as Error).message).toContain(`Row 2 is ${Buffer.byteLength(big)} bytes`);

			// An unclosed quote makes the rest of a big file one row: stop early, don't hold it all.
			const chunks = [utf8('a,b\n1,"open\n')];
			for (let i = 0; i < 50; i++) chunks.push(utf8('more,text\n'.repeat(10)));
			const growing = await splitError(chunks, { maxPartBytes: 300 });
			expect(growing).toBeInstanceOf(RowTooLargeError);
			expect((growing as Error).message).toMatch(/Row 1 is more than \d+ bytes.*unclosed quote/);
		});

		it('detects an empty file and a header-only file before yielding anything', async () => {
			expect(await splitError([])).toBeInstanceOf(EmptyFileError);
			expect(await splitError([Buffer.alloc(0)])).toBeInstanceOf(EmptyFileError);
			expect(await splitError([BOM])).toBeInstanceOf(EmptyFileError);
			expect(await splitError([utf8('email,name')])).toBeInstanceOf(HeaderOnlyError);
			expect(await splitError([utf8('email,name\r\n')])).toBeInstanceOf(HeaderOnlyError);
			expect(await splitError([utf8('email,name\n\n\r\n')])).toBeInstanceOf(HeaderOnlyError);
		});

		it('rejects an empty first line, CR-only line endings, an oversized header and an unclosed quote', async () => {
			expect(await splitError([utf8('\nemail\nx\n')])).toMatchObject({ code: 'empty-header' });
			expect(await splitError([utf8('email,name\r1,2\r')])).toMatchObject({ code: 'cr-line-endings' });
			expect(await splitError([utf8('a'.repeat(500) + '\n1\n')], { maxPartBytes: 100 })).toMatchObject({
				code: 'header-too-large',
			});
			expect(await splitError([utf8('a,b\n1,"2\n')])).toMatchObject({ code: 'unclosed-quote', rowNumber: 1 });
			expect(await splitError([utf8('a,b\n1,"2\n')])).toBeInstanceOf(CsvFileError);
		});

		it('rejects a nonsensical limit', async () => {
			await expect(splitAll([utf8('a\n1\n')], { maxPartBytes: 0 })).rejects.toThrow(RangeError);
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
			for (let offset = 0; offset < original.length; offset += 65_536) chunks.push(original.subarray(offset, offset + 65_536));
			const { parts, summary } = await splitAll(chunks, { maxPartBytes: 10_000_000 });
			expect(parts).toHaveLength(3);
			expect(parts.every((part) => part.body.length <= 10_000_000)).toBe(true);
			expect(parts[0].body.length).toBeGreaterThan(9_999_000);
			expect(summary.totalRows).toBe(rows.length);
			expect(parts.reduce((sum, part) => sum + part.rows, 0)).toBe(rows.length);
			const last = parts[2];
			expect(last.dataEnd).toBe(original.length);
			expect(original.subarray(last.dataStart, last.dataEnd).equals(last.body.subarray(headerLine.length))).toBe(true);
			expect(last.body.subarray(headerLine.length).toString().startsWith(rows[last.firstRowNumber - 1])).toBe(true);
		});
	});

	describe('readHeader', () => {
		it('reads the column names from the first bytes, BOM and quotes included', () => {
			expect(readHeader(Buffer.concat([BOM, utf8('"e;mail";name\r\n1;2\n')]), ';')).toEqual(['e;mail', 'name']);
			expect(readHeader(utf8('email\tfirst'), '\t')).toEqual(['email', 'first']);
		});
	});

	describe('splitIntoParts: reusePartBuffer', () => {
		/** Splits with one reused buffer, copying each body before asking for the next part, as the node must. */
		async function splitReusing(chunks: Array<Buffer | Uint8Array>, maxPartBytes: number) {
			const parts: FilePart[] = [];
			const memory = new Set<ArrayBufferLike>();
			const generator = splitIntoParts(streamOf(chunks), { maxPartBytes, reusePartBuffer: true });
			for (;;) {
				const next = await generator.next();
				if (next.done) return { parts, summary: next.value, memory };
				memory.add(next.value.body.buffer);
				parts.push({ ...next.value, body: Buffer.from(next.value.body) });
			}
		}

		it('gives the same parts as fresh buffers, whatever the chunking, in one piece of memory', async () => {
			await fc.assert(
				fc.asyncProperty(
					awkwardTable({ minColumns: 2, maxRows: 30 }),
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
						let fresh: { parts: FilePart[]; summary: SplitSummary };
						try {
							fresh = await splitAll(chunks, { maxPartBytes });
						} catch (error) {
							// Both modes must reject the same file the same way.
							await expect(splitReusing(chunks, maxPartBytes)).rejects.toThrow((error as Error).message);
							return;
						}
						const reused = await splitReusing(chunks, maxPartBytes);
						expect(reused.parts).toEqual(fresh.parts);
						expect(reused.summary).toEqual(fresh.summary);
						expect(reused.memory.size).toBe(1);
					},
				),
				{ seed: FC_SEED, numRuns: 200 },
			);
		});

		it('overwrites a body when the next part is requested, while fresh bodies stay intact', async () => {
			const text = 'id\n' + ['1', '2', '3', '4'].map((id) => `row ${id}\n`).join('');
			const reusing = splitIntoParts(streamOf([utf8(text)]), { maxPartBytes: 'id\n'.length + 6, reusePartBuffer: true });
			const first = (await reusing.next()).value as FilePart;
			const firstBody = first.body;
			expect(firstBody.toString()).toBe('id\nrow 1\n');
			await reusing.next();
			expect(firstBody.toString()).toBe('id\nrow 2\n'); // the documented rule: use it before asking for more

			const { parts } = await splitAll([utf8(text)], { maxPartBytes: 'id\n'.length + 6 });
			expect(parts.map((part) => part.body.toString())).toEqual(['1', '2', '3', '4'].map((id) => `id\nrow ${id}\n`));
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
		/** An async iterable over `chunks` that records whether it was closed early. */
		function trackedSource(chunks: Array<Buffer | Uint8Array>) {
			const state = { closed: false, pulled: 0 };
			const iterable: AsyncIterable<Buffer | Uint8Array> = {
				[Symbol.asyncIterator]() {
					let index = 0;
					return {
						next: async () => {
							state.pulled++;
							return index < chunks.length ? { done: false, value: chunks[index++] } : { done: true, value: undefined };
						},
						return: async () => {
							state.closed = true;
							return { done: true, value: undefined };
						},
					};
				},
			};
			return { iterable, state };
		}

		it('closes the source when the file is rejected part way, and does not read on', async () => {
			const chunks = [utf8('a,b\n1,2\n'), utf8(`2,"${'x'.repeat(400)}"\n`), utf8('3,4\n'), utf8('5,6\n')];
			const { iterable, state } = trackedSource(chunks);
			const generator = splitIntoParts(iterable, { maxPartBytes: 100 });
			await expect(generator.next()).rejects.toBeInstanceOf(RowTooLargeError);
			expect(state.closed).toBe(true);
			expect(state.pulled).toBe(2);
		});

		it('closes the source when the consumer stops early', async () => {
			const { iterable, state } = trackedSource(['a\n', '1\n', '2\n', '3\n'].map(utf8));
			for await (const part of splitIntoParts(iterable, { maxPartBytes: 4 })) {
				expect(part.body.toString()).toBe('a\n1\n');
				break;
			}
			expect(state.closed).toBe(true);
		});

		it('takes Uint8Array and empty chunks, with the BOM spread over them', async () => {
			const bytes = Buffer.concat([BOM, utf8('a;b\r\n1;2\r\n')]);
			const chunks = [
				new Uint8Array(0),
				new Uint8Array(bytes.subarray(0, 2)),
				Buffer.alloc(0),
				new Uint8Array(bytes.subarray(2, 4)),
				new Uint8Array(0),
				new Uint8Array(bytes.subarray(4)),
			];
			const { parts, summary } = await splitAll(chunks, {});
			expect(parts.map((part) => part.body.toString())).toEqual(['a;b\r\n1;2\r\n']);
			expect(parts[0].dataStart).toBe(3 + 'a;b\r\n'.length);
			expect(summary).toMatchObject({ hasBom: true, totalRows: 1, totalBytes: bytes.length });
		});

		it('reads files of one or two bytes', async () => {
			expect(await splitError([utf8('a')])).toBeInstanceOf(HeaderOnlyError);
			expect(await splitError([utf8('a\n')])).toBeInstanceOf(HeaderOnlyError);
			expect(await splitError([utf8('\r')])).toMatchObject({ code: 'cr-line-endings' });
			expect(await splitError([utf8('\n')])).toMatchObject({ code: 'empty-header' });
			expect(await splitError([BOM.subarray(0, 2)])).toBeInstanceOf(HeaderOnlyError);
		});
	});
});
