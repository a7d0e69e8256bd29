import fc from 'fast-check';

import { parseResultFile } from '../../../nodes/MarketoWaitForBatch/helpers/rows/resultRows';
import { parseDelimited } from '../../../nodes/shared/csv/parser';
import { RowBoundaryScanner } from '../../../nodes/shared/csv/rowBoundaries';
import {
	findUnquotedField,
	hashBytes,
	hashOfUnquotedField,
} from '../../../nodes/shared/csv/rowFields';
import { SubmittedFileReader } from '../../../nodes/MarketoWaitForBatch/helpers/rows/submittedFiles';
import {
	assignRowNumbers,
	noSubmittedFileTies,
	planRowKey,
	sourceItemIndexOf,
	tieBackResultFiles,
	type Candidate,
	type SubmittedPart,
} from '../../../nodes/MarketoWaitForBatch/helpers/rows/tieBack';

/** Serves a buffer in small chunks (so rows and characters straddle chunk borders); counts opens. */
function chunkedSource(data: Buffer, chunkSize = 7) {
	const stats = { opens: 0, bytesRead: 0 };
	const open = async () => {
		stats.opens++;
		return (async function* () {
			for (let i = 0; i < data.length; i += chunkSize) {
				const chunk = data.subarray(i, i + chunkSize);
				stats.bytesRead += chunk.length;
				yield chunk;
			}
		})();
	};
	return { open, stats };
}

/** A whole file as one part (dataStart = end of the header line). */
function wholeFilePart(
	text: string,
	delimiter = ',',
): SubmittedPart & { stats: { opens: number } } {
	const data = Buffer.from(text, 'utf8');
	const headerEnd = data.indexOf('\n') + 1;
	const { open, stats } = chunkedSource(data);
	const reader = new SubmittedFileReader(open, delimiter);
	reader.register(headerEnd);
	return {
		reader,
		delimiter,
		dataStart: headerEnd,
		dataEnd: data.length,
		firstRowNumber: 1,
		stats,
	};
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<string> {
	const parts: Buffer[] = [];
	for await (const chunk of source) parts.push(Buffer.from(chunk));
	return Buffer.concat(parts).toString('utf8');
}

describe('SubmittedFileReader', () => {
	it('yields exactly the bytes of each range across chunk borders, reading the file once', async () => {
		const data = Buffer.from('0123456789abcdefghij');
		const { open, stats } = chunkedSource(data, 3);
		const reader = new SubmittedFileReader(open, ',');
		expect(await collect(reader.range(4, 9))).toBe('45678');
		expect(await collect(reader.range(9, 9))).toBe('');
		expect(await collect(reader.range(9, 15))).toBe('9abcde');
		expect(await collect(reader.range(17, 20))).toBe('hij');
		expect(stats.opens).toBe(1);
		// Bytes already passed: the file is opened again (correct, only slower).
		expect(await collect(reader.range(0, 20))).toBe(data.toString());
		expect(stats.opens).toBe(2);
	});

	it('stops reading after the range', async () => {
		const { open, stats } = chunkedSource(Buffer.alloc(1000, 0x61), 10);
		await collect(new SubmittedFileReader(open, ',').range(0, 25));
		expect(stats.bytesRead).toBe(30);
	});

	it('reads a quoted header with a BOM, stops early, and keeps what it read for the first part', async () => {
		const data = Buffer.from('\ufeff"email","first;Name"\n' + 'a@x.com,A\n'.repeat(500));
		const { open, stats } = chunkedSource(data, 16);
		const reader = new SubmittedFileReader(open, ',');
		expect(await reader.headerRow()).toEqual(['email', 'first;Name']);
		expect(stats.bytesRead).toBeLessThan(100);
		const headerEnd = data.indexOf('\n') + 1;
		expect(await collect(reader.range(headerEnd, headerEnd + 10))).toBe('a@x.com,A\n');
		expect(stats.opens).toBe(1);
	});

	it('gives the parts of a file their turns in file order, whatever order they ask in', async () => {
		const { open } = chunkedSource(Buffer.from('h\n1\n2\n3\n'), 2);
		const reader = new SubmittedFileReader(open, ',');
		for (const start of [2, 4, 6]) reader.register(start);
		const order: number[] = [];
		const third = reader.inTurn(6, async () => order.push(6));
		const second = reader.inTurn(4, async () => order.push(4));
		await Promise.resolve();
		expect(order).toEqual([]); // part 1 has not had its turn
		reader.release(2); // part 1 had nothing to tie back
		await Promise.all([third, second]);
		expect(order).toEqual([4, 6]);
	});
});

describe('planRowKey', () => {
	it('maps result columns to the submitted header, exact first, then ignoring case', () => {
		const plan = planRowKey(['email', 'FirstName'], ['firstName', 'email', 'company']);
		expect(plan).toEqual({
			shared: [
				{ resultColumn: 'email', submittedIndex: 1 },
				{ resultColumn: 'FirstName', submittedIndex: 0 },
			],
			omittedIndices: [2],
		});
		expect(planRowKey(['nothing'], ['email'])).toBeNull();
	});
});

describe('assignRowNumbers', () => {
	const c = (position: number, omittedEmpty = true): Candidate => ({ position, omittedEmpty });

	it('ties unique rows exactly and identical rows in order', () => {
		const ties = assignRowNumbers(
			['a', 'dup', 'b', 'dup'],
			new Map([
				['a', [c(4)]],
				['b', [c(0)]],
				['dup', [c(2), c(7)]],
			]),
			101,
		);
		expect(ties).toEqual([
			{ rowNumber: 105, tieBack: 'exact' },
			{ rowNumber: 103, tieBack: 'duplicate-rows' },
			{ rowNumber: 101, tieBack: 'exact' },
			{ rowNumber: 108, tieBack: 'duplicate-rows' },
		]);
	});

	it('says ambiguous or not found instead of guessing', () => {
		const ties = assignRowNumbers(
			['dup', 'missing'],
			new Map([
				['dup', [c(1), c(2), c(3)]],
				['missing', []],
			]),
			1,
		);
		expect(ties).toEqual([
			{ rowNumber: null, tieBack: 'ambiguous' },
			{ rowNumber: null, tieBack: 'not-found' },
		]);
	});

	it('prefers the rows whose left-out columns are empty', () => {
		const ties = assignRowNumbers(['k'], new Map([['k', [c(0, false), c(5, true)]]]), 1);
		expect(ties).toEqual([{ rowNumber: 6, tieBack: 'exact' }]);
	});
});

describe('tieBackResultFiles', () => {
	const submitted =
		'email,firstName,company\n' +
		'a@x.com,Ann,Acme\n' + // 1
		'b@x.com,,"Smith, Sons"\n' + // 2
		'dup@x.com,Dup,Same\n' + // 3
		'c@x.com,"multi\nline",Acme\n' + // 4
		'dup@x.com,Dup,Same\n' + // 5
		'tri@x.com,T,T\n' + // 6
		'tri@x.com,T,T\n' + // 7
		'tri@x.com,T,T\n' + // 8
		'b@x.com,Bee,"Smith, Sons"\n'; // 9

	it('ties failures and warnings back in one read of the part', async () => {
		const failures = parseResultFile(
			'email,company,Import Failure Reason\n' + // firstName left out: empty in every failed row
				'b@x.com,"Smith, Sons",bad\n' +
				'dup@x.com,Same,bad\n' +
				'dup@x.com,Same,bad\n' +
				'tri@x.com,T,bad\n' +
				'zzz@x.com,None,bad\n',
			',',
		);
		const warnings = parseResultFile(
			'email,firstName,company,Import Warning Reason\nc@x.com,"multi\nline",Acme,warn\n',
			',',
		);
		const part = wholeFilePart(submitted);
		const [failureTies, warningTies] = await tieBackResultFiles([failures, warnings], part);
		expect(failureTies).toEqual([
			{ rowNumber: 2, tieBack: 'exact' }, // row 9 has a firstName, so row 2 is the one
			{ rowNumber: 3, tieBack: 'duplicate-rows' },
			{ rowNumber: 5, tieBack: 'duplicate-rows' },
			{ rowNumber: null, tieBack: 'ambiguous' },
			{ rowNumber: null, tieBack: 'not-found' },
		]);
		expect(warningTies).toEqual([{ rowNumber: 4, tieBack: 'exact' }]);
		expect(part.stats.opens).toBe(1); // the header and the data in one read
	});

	it('numbers rows of a later part from its first row number, reading only its byte range', async () => {
		const header = 'email;company\n';
		const part1 = 'p1@x.com;A\np2@x.com;B\n';
		const part2 = 'p3@x.com;"C;D"\r\np4@x.com;E\r\n';
		const data = Buffer.from(header + part1 + part2);
		const { open } = chunkedSource(data, 5);
		const dataStart = Buffer.byteLength(header + part1);
		const failures = parseResultFile(
			'email;company;Import Failure Reason\np4@x.com;E;bad\np3@x.com;"C;D";bad\np1@x.com;A;bad\n',
			';',
		);
		const [ties] = await tieBackResultFiles([failures], {
			reader: new SubmittedFileReader(open, ';'),
			delimiter: ';',
			dataStart,
			dataEnd: data.length,
			firstRowNumber: 3,
		});
		expect(ties).toEqual([
			{ rowNumber: 4, tieBack: 'exact' },
			{ rowNumber: 3, tieBack: 'exact' },
			{ rowNumber: null, tieBack: 'not-found' }, // p1 is in part 1, not in this part
		]);
	});

	it('reads tab files and skips empty lines like the splitter', async () => {
		const part = wholeFilePart('email\tcompany\na@x\tA\n\nb@x\tB\n', '\t');
		const failures = parseResultFile('email\tcompany\tImport Failure Reason\nb@x\tB\tbad\n', '\t');
		const [ties] = await tieBackResultFiles([failures], part);
		expect(ties).toEqual([{ rowNumber: 2, tieBack: 'exact' }]);
	});

	it('calls every row ambiguous when no column is shared, and skips the data pass', async () => {
		const part = wholeFilePart('email\na@x\n');
		const failures = parseResultFile('other,Import Failure Reason\n1,bad\n', ',');
		const [ties] = await tieBackResultFiles([failures], part);
		expect(ties).toEqual([{ rowNumber: null, tieBack: 'ambiguous' }]);
		expect(part.stats.opens).toBe(1);
	});

	it('reads each byte of a file of many parts once when every part has failures, in any finishing order', async () => {
		const header = 'email,n\n';
		const parts = Array.from({ length: 8 }, (_, p) =>
			Array.from({ length: 20 }, (_, r) => `p${p}r${r}@x.com,${r}\n`).join(''),
		);
		const data = Buffer.from(header + parts.join(''));
		const { open, stats } = chunkedSource(data, 64);
		const reader = new SubmittedFileReader(open, ',');
		let start = Buffer.byteLength(header);
		const submittedParts = parts.map((text, p) => {
			const part = {
				reader,
				delimiter: ',',
				dataStart: start,
				dataEnd: start + text.length,
				firstRowNumber: p * 20 + 1,
			};
			start += text.length;
			reader.register(part.dataStart);
			return part;
		});
		const failuresOf = (p: number) =>
			parseResultFile(`email,n,Import Failure Reason\np${p}r7@x.com,7,bad\n`, ',');
		// Batches end out of order (two lanes): 2, 1, 4, 3, ...
		const order = [1, 0, 3, 2, 5, 4, 7, 6];
		const ties = await Promise.all(
			order.map(async (p) => await tieBackResultFiles([failuresOf(p)], submittedParts[p])),
		);
		ties.forEach(([partTies], k) =>
			expect(partTies).toEqual([{ rowNumber: order[k] * 20 + 8, tieBack: 'exact' }]),
		);
		expect(stats.opens).toBe(1);
		expect(stats.bytesRead).toBe(data.length);
	});

	it('takes no turn and reads nothing for a batch without rows, and lets the next part go on', async () => {
		const data = Buffer.from('h\n1\n2\n');
		const { open, stats } = chunkedSource(data, 2);
		const reader = new SubmittedFileReader(open, ',');
		reader.register(2);
		reader.register(4);
		const empty = parseResultFile('h,Import Failure Reason\n', ',');
		expect(
			await tieBackResultFiles([empty], {
				reader,
				delimiter: ',',
				dataStart: 2,
				dataEnd: 4,
				firstRowNumber: 1,
			}),
		).toEqual([[]]);
		expect(stats.opens).toBe(0);
		const failures = parseResultFile('h,Import Failure Reason\n2,bad\n', ',');
		const [ties] = await tieBackResultFiles([failures], {
			reader,
			delimiter: ',',
			dataStart: 4,
			dataEnd: 6,
			firstRowNumber: 2,
		});
		expect(ties).toEqual([{ rowNumber: 2, tieBack: 'exact' }]);
	});

	it('never lets two turns read at once, even for a part that was not registered', async () => {
		const { open } = chunkedSource(Buffer.from('h\n1\n2\n'), 1);
		const reader = new SubmittedFileReader(open, ',');
		const order: string[] = [];
		const slow = reader.inTurn(4, async () => {
			order.push('4 in');
			await new Promise((resolve) => setImmediate(resolve));
			order.push('4 out');
		});
		const unregistered = reader.inTurn(2, async () => {
			order.push('2 in');
		});
		await Promise.all([slow, unregistered]);
		expect(order).toEqual(['4 in', '4 out', '2 in']);
	});

	it('marks rows of a batch without a submitted file', () => {
		const failures = parseResultFile('email,Import Failure Reason\na,b\nc,d\n', ',');
		expect(noSubmittedFileTies(failures)).toEqual([
			{ rowNumber: null, tieBack: 'no-submitted-file' },
			{ rowNumber: null, tieBack: 'no-submitted-file' },
		]);
	});
});

describe('sourceItemIndexOf', () => {
	it('maps a row number to the input item for items input only', () => {
		expect(sourceItemIndexOf(7, 5, 10)).toBe(12);
		expect(sourceItemIndexOf(null, 5, 10)).toBeNull();
		expect(sourceItemIndexOf(7, 5, undefined)).toBeNull();
	});

	it('follows the item ranges of a part whose rows came from items that are not one run', () => {
		// Rows 11-15 of a file written from items 0-2 and 7-8 (another list's items are 3-6).
		const ranges = [
			{ from: 0, to: 2 },
			{ from: 7, to: 8 },
		];
		expect([11, 12, 13, 14, 15].map((row) => sourceItemIndexOf(row, 11, 0, ranges))).toEqual([
			0, 1, 2, 7, 8,
		]);
		expect(sourceItemIndexOf(16, 11, 0, ranges)).toBeNull();
		expect(sourceItemIndexOf(null, 11, 0, ranges)).toBeNull();
	});
});

describe('tieBackResultFiles on malformed files', () => {
	const pieces = ['a', 'b', ',', '"', '""', '\r', '\n', '\r\n', ' ', 'é', 'x"y', ';'];

	it('finds every row where the parser reads it, whatever the quotes, line breaks and chunking', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.constantFrom(...pieces), { maxLength: 40 }),
				fc.integer({ min: 1, max: 9 }),
				async (bodyPieces, chunkSize) => {
					const body = bodyPieces.join('');
					// A file that ends inside a quoted value is refused before upload: nothing to tie back.
					const scanner = new RowBoundaryScanner(',');
					scanner.scan(Buffer.from(body), () => undefined);
					if (!scanner.finish(() => undefined)) return;
					const rows = parseDelimited(body, ',', { skipEmptyLines: true });
					if (rows.length === 0) return;
					const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
					const failures = parseResultFile(
						'k,v,Import Failure Reason\n' +
							rows.map((row) => `${quote(row[0] ?? '')},${quote(row[1] ?? '')},bad\n`).join(''),
						',',
					);
					const data = Buffer.from('k,v\n' + body);
					const { open, stats } = chunkedSource(data, chunkSize);
					const reader = new SubmittedFileReader(open, ',');
					const [ties] = await tieBackResultFiles([failures], {
						reader,
						delimiter: ',',
						dataStart: 4,
						dataEnd: data.length,
						firstRowNumber: 1,
					});
					// Rows with the same first two values are told apart only by order (duplicate-rows) or not at all.
					const keyOf = (row: string[]) => JSON.stringify([row[0] ?? '', row[1] ?? '']);
					ties.forEach((tie, index) => {
						expect(tie.tieBack).not.toBe('not-found');
						if (tie.tieBack === 'exact' || tie.tieBack === 'duplicate-rows') {
							expect(keyOf(rows[(tie.rowNumber as number) - 1])).toBe(keyOf(rows[index]));
						}
						if (rows.filter((row) => keyOf(row) === keyOf(rows[index])).length === 1) {
							expect(tie).toEqual({ rowNumber: index + 1, tieBack: 'exact' });
						}
					});
					expect(stats.opens).toBe(1);
				},
			),
			{ seed: 20261201, numRuns: 1500 },
		);
	});

	it('finds a field without parsing the row unless a quoted field is in the way', () => {
		const bytes = Buffer.from('next row|a@x.com,Baker 5" 10,,"q,uoted",last|next row');
		const start = bytes.indexOf('|') + 1;
		const end = bytes.lastIndexOf('|');
		const comma = ','.charCodeAt(0);
		const field = (index: number) => {
			const bounds = { start: -1, end: -1 };
			return findUnquotedField(bytes, start, end, index, comma, bounds)
				? bytes.toString('utf8', bounds.start, bounds.end)
				: null;
		};
		expect(field(0)).toBe('a@x.com');
		expect(field(1)).toBe('Baker 5" 10');
		expect(field(2)).toBe('');
		expect(field(3)).toBeNull();
		const short = { start: -1, end: -1 };
		expect(findUnquotedField(Buffer.from('only'), 0, 4, 4, comma, short)).toBe(true);
		expect(short).toEqual({ start: 4, end: 4 });
	});

	it('hashes a field in one pass exactly as hashing the bounds findUnquotedField gives', () => {
		const comma = ','.charCodeAt(0);
		const field = fc.stringMatching(/^[a-z@". 5]{0,6}$/);
		fc.assert(
			fc.property(fc.array(field, { minLength: 1, maxLength: 5 }), fc.nat(6), (fields, index) => {
				const bytes = Buffer.from(`x\n${fields.join(',')}\ny`);
				const start = 2;
				const end = bytes.length - 2;
				const bounds = { start: -1, end: -1 };
				const expected = findUnquotedField(bytes, start, end, index, comma, bounds)
					? hashBytes(bytes, bounds.start, bounds.end)
					: -1;
				expect(hashOfUnquotedField(bytes, start, end, index, comma)).toBe(expected);
			}),
			{ numRuns: 500 },
		);
	});
});

describe('tieBackResultFiles: a grouped part (Member Status from a column)', () => {
	it('takes as candidates only its group rows of the range, numbers them in the whole file, and ignores the group column', async () => {
		const text =
			'email,status,firstName,company\n' +
			'a@x.com,Attended,,Acme\n' + // 1
			'a@x.com,No Show,,Acme\n' + // 2: another batch's row inside the range
			'a@x.com, Attended ,Ann,Acme\n'; // 3: same group (spaces do not count); has a firstName
		const data = Buffer.from(text);
		const { open } = chunkedSource(data, 5);
		const reader = new SubmittedFileReader(open, ',');
		const dataStart = text.indexOf('\n') + 1;
		reader.register(dataStart);
		// The upload had no status column; firstName was empty in every failed row, so Marketo left it out.
		const failures = parseResultFile(
			'email,company,Import Failure Reason\na@x.com,Acme,bad\n',
			',',
		);
		const [ties] = await tieBackResultFiles([failures], {
			reader,
			delimiter: ',',
			dataStart,
			dataEnd: data.length,
			firstRowNumber: 1,
			group: { columns: [1], values: ['Attended'] },
		});
		expect(ties).toEqual([{ rowNumber: 1, tieBack: 'exact' }]);
	});
});
