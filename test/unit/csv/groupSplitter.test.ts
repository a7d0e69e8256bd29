import fc from 'fast-check';

import {
	cutGroupParts,
	scanGroups,
	TooManyGroupsError,
	type GroupPart,
} from '../../../nodes/shared/csv/groupSplitter';
import { fieldSpans, groupValueOf, withoutFields } from '../../../nodes/shared/csv/groupFields';
import { planParts, type SplitPlan } from '../../../nodes/shared/csv/splitter';
import {
	awkwardValue,
	cutAt,
	DELIMITERS,
	FC_SEED,
	referenceParse,
	streamOf,
	writeReference,
	type LineEnding,
} from './reference';

function fileOf(chunks: Buffer[]) {
	return async () => streamOf(chunks);
}

async function planOf(
	chunks: Buffer[],
	delimiter: string,
	maxPartBytes = 10_000_000,
): Promise<SplitPlan> {
	return await planParts(fileOf(chunks), {
		encoding: 'utf-8',
		delimiterFor: () => delimiter,
		maxPartBytes,
	});
}

async function allParts(
	chunks: Buffer[],
	plan: SplitPlan,
	columns: number[],
	maxPartBytes: number,
	budget: number,
) {
	const parts: GroupPart[] = [];
	for await (const part of cutGroupParts(fileOf(chunks), plan, {
		columns,
		maxPartBytes,
		memoryBudgetBytes: budget,
	})) {
		parts.push({ ...part, body: Buffer.from(part.body) });
	}
	return parts;
}

const STATUSES = ['Attended', 'No Show', ' Registered ', 'a,"b"\nc', ''];

const groupedFile = fc.record({
	delimiter: fc.constantFrom(...DELIMITERS),
	lineEnding: fc.constantFrom<LineEnding>('\n', '\r\n'),
	columns: fc.integer({ min: 1, max: 4 }),
	statusAt: fc.nat(4),
	rows: fc.array(
		fc.tuple(fc.array(awkwardValue(), { minLength: 4, maxLength: 4 }), fc.nat(STATUSES.length - 1)),
		{
			minLength: 1,
			maxLength: 25,
		},
	),
	trailingNewline: fc.boolean(),
	bom: fc.boolean(),
	cuts: fc.array(fc.nat(2000), { maxLength: 6 }),
	maxPartBytes: fc.integer({ min: 300, max: 2000 }),
	budget: fc.integer({ min: 1, max: 3000 }),
});

describe('groupSplitter', () => {
	it('splits fields as the reference parser reads them, and drops the asked ones byte for byte', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...DELIMITERS),
				fc.array(awkwardValue(), { minLength: 1, maxLength: 5 }),
				fc.nat(5),
				(delimiter, values, dropAt) => {
					const line = writeReference([values], delimiter, '\n', { trailingNewline: false }).text;
					const bytes = Buffer.from(line);
					const spans = fieldSpans(bytes, 0, bytes.length, delimiter.charCodeAt(0));
					expect(spans.length / 2).toBe(values.length);
					const dropped = dropAt < values.length ? [dropAt] : [];
					const { row, values: droppedValues } = withoutFields(
						bytes,
						0,
						bytes.length,
						bytes.length,
						dropped,
						delimiter,
					);
					const kept = values.filter((_, i) => !dropped.includes(i));
					const expected = kept.length === 0 ? [] : [kept];
					expect(row.length === 0 ? [] : referenceParse(row, delimiter)).toEqual(
						expected.length ? expected : [],
					);
					expect(droppedValues).toEqual(dropped.map((i) => values[i]));
				},
			),
			{ seed: FC_SEED, numRuns: 300 },
		);
	});

	it('groups rows by a status column and hands out parts that tie back to the original rows', async () => {
		await fc.assert(
			fc.asyncProperty(groupedFile, async (spec) => {
				const statusAt = spec.statusAt % (spec.columns + 1);
				const header = Array.from({ length: spec.columns }, (_, i) => `c${i}`);
				header.splice(statusAt, 0, 'status');
				const table = [
					header,
					...spec.rows.map(([values, s]) => {
						const row = values.slice(0, spec.columns);
						row.splice(statusAt, 0, STATUSES[s]);
						return row;
					}),
				];
				const written = writeReference(table, spec.delimiter, spec.lineEnding, {
					trailingNewline: spec.trailingNewline,
				});
				const bytes = Buffer.concat([
					spec.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
					Buffer.from(written.text),
				]);
				const chunks = cutAt(bytes, spec.cuts);
				const plan = await planOf(chunks, spec.delimiter).catch(() => undefined);
				// Files the splitter refuses (e.g. nothing but empty rows) are its tests' business.
				fc.pre(plan !== undefined);
				const checked = plan as SplitPlan;

				const reference = referenceParse(bytes, spec.delimiter, {
					skipEmptyLines: true,
					lineEnding: spec.lineEnding,
				}).slice(1);
				const statusOf = (row: string[]) => groupValueOf(row[statusAt]);

				const groups = await scanGroups(fileOf(chunks), checked, [statusAt], 100);
				const expectedCounts = new Map<string, number>();
				for (const row of reference)
					expectedCounts.set(statusOf(row), (expectedCounts.get(statusOf(row)) ?? 0) + 1);
				expect(new Map(groups.map((g) => [g.values[0], g.rows]))).toEqual(expectedCounts);
				for (const group of groups) {
					const rowNumbers = reference
						.map((row, i) => (statusOf(row) === group.values[0] ? i + 1 : 0))
						.filter(Boolean);
					expect(group.firstRows).toEqual(rowNumbers.slice(0, 5));
				}

				const maxPartBytes = Math.max(
					spec.maxPartBytes,
					checked.headerLine.length + Math.max(...written.lines.map((l) => Buffer.byteLength(l))),
				);
				const parts = await allParts(chunks, checked, [statusAt], maxPartBytes, spec.budget);
				const withoutStatus = (row: string[]) => row.filter((_, i) => i !== statusAt);
				const seen = new Map<string, string[][]>();
				for (const part of parts) {
					expect(part.body.length).toBeLessThanOrEqual(maxPartBytes);
					const parsed = referenceParse(part.body, spec.delimiter, {
						skipEmptyLines: true,
						lineEnding: spec.lineEnding,
					});
					expect(parsed[0]).toEqual(withoutStatus(header));
					expect(parsed.length - 1).toBe(part.rows);
					const rows = seen.get(part.values[0]) ?? [];
					rows.push(...parsed.slice(1));
					seen.set(part.values[0], rows);
					// The tie-back's reading: the range's rows of this group are the part's rows, numbered from firstRowNumber.
					const range = referenceParse(
						bytes.subarray(part.dataStart, part.dataEnd),
						spec.delimiter,
						{
							skipEmptyLines: true,
							lineEnding: spec.lineEnding,
						},
					);
					expect(range[0]).toEqual(reference[part.firstRowNumber - 1]);
					const ofGroup = range.filter((row) => statusOf(row) === part.values[0]);
					expect(ofGroup.map(withoutStatus)).toEqual(parsed.slice(1));
				}
				for (const [status, rows] of seen) {
					expect(rows).toEqual(
						reference.filter((row) => statusOf(row) === status).map(withoutStatus),
					);
				}
				expect(parts.reduce((sum, part) => sum + part.rows, 0)).toBe(reference.length);
			}),
			{ seed: FC_SEED, numRuns: 200 },
		);
	});

	it('groups by two columns (program and status), in the order the columns were asked', async () => {
		const text =
			'programId,email,status\n1002,a@x.com,Attended\n1003,b@x.com,Attended\n1002,c@x.com,No Show\n1002,d@x.com,Attended\n';
		const chunks = [Buffer.from(text)];
		const plan = await planOf(chunks, ',');
		const groups = await scanGroups(fileOf(chunks), plan, [2, 0], 100);
		expect(groups).toEqual([
			{ values: ['Attended', '1002'], rows: 2, firstRows: [1, 4] },
			{ values: ['Attended', '1003'], rows: 1, firstRows: [2] },
			{ values: ['No Show', '1002'], rows: 1, firstRows: [3] },
		]);
		const parts = await allParts(chunks, plan, [2, 0], 10_000, 10_000);
		expect(parts.map((p) => [p.values, p.body.toString(), p.firstRowNumber, p.rows])).toEqual([
			[['Attended', '1002'], 'email\na@x.com\nd@x.com\n', 1, 2],
			[['Attended', '1003'], 'email\nb@x.com\n', 2, 1],
			[['No Show', '1002'], 'email\nc@x.com\n', 3, 1],
		]);
		expect(text.slice(parts[0].dataStart, parts[0].dataEnd)).toBe(
			'1002,a@x.com,Attended\n1003,b@x.com,Attended\n1002,c@x.com,No Show\n1002,d@x.com,Attended\n',
		);
	});

	it('hands out the fullest part early when the writers together pass the memory budget', async () => {
		const rows = Array.from({ length: 40 }, (_, i) => `r${i}@x.com,${i % 2 === 0 ? 'A' : 'B'}`);
		const chunks = [Buffer.from(['email,status', ...rows, ''].join('\n'))];
		const plan = await planOf(chunks, ',');
		const parts = await allParts(chunks, plan, [1], 10_000, 100);
		// 40 rows of about 10 bytes over a 100-byte budget: no writer ever holds much more.
		expect(parts.length).toBeGreaterThan(2);
		for (const part of parts) expect(part.body.length - 'email\n'.length).toBeLessThanOrEqual(110);
		expect(parts.reduce((sum, part) => sum + part.rows, 0)).toBe(40);
	});

	it("with reusePartBuffers, gives a handed-out part's memory to the next part once asked, with the same bytes", async () => {
		const rows = Array.from(
			{ length: 3000 },
			(_, i) => `r${i}@x.com,${['A', 'B', 'C'][i % 3]},"note ${i}, quoted"`,
		);
		const file = Buffer.from(['email,status,notes', ...rows, ''].join('\n'));
		// Chunks far smaller than a part (as the node's 1 MiB chunks and 10 MB parts): few parts end in one chunk.
		const chunks = cutAt(
			file,
			Array.from({ length: Math.ceil(file.length / 700) }, (_, i) => (i + 1) * 700),
		);
		const plan = await planOf(chunks, ',');
		const options = { columns: [1], maxPartBytes: 10_000, memoryBudgetBytes: 30_000 };
		const fresh: string[] = [];
		for await (const part of cutGroupParts(fileOf(chunks), plan, options))
			fresh.push(part.body.toString());
		const reused: string[] = [];
		const memory = new Set<ArrayBufferLike>();
		for await (const part of cutGroupParts(fileOf(chunks), plan, {
			...options,
			reusePartBuffers: true,
		})) {
			reused.push(part.body.toString()); // used before the next part is asked for
			memory.add(part.body.buffer);
		}
		expect(reused).toEqual(fresh);
		expect(fresh.length).toBeGreaterThanOrEqual(12);
		// About one buffer per group and one in flight, whatever the number of parts.
		expect(memory.size).toBeLessThanOrEqual(5);
	});

	it('refuses a column with more distinct values than the limit, naming the row', async () => {
		const chunks = [Buffer.from('email,status\na@x.com,1\nb@x.com,2\nc@x.com,3\n')];
		const plan = await planOf(chunks, ',');
		const error = await scanGroups(fileOf(chunks), plan, [1], 2).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(TooManyGroupsError);
		expect((error as TooManyGroupsError).rowNumber).toBe(3);
	});
});
