/**
 * The groups tallied during pass 1 (`planParts`'s `visitRows`, which Bulk Import uses so a
 * status split reads the file twice, not three times) are the groups a read of their own finds
 * (`scanGroups`) and the reference parser reads, whatever the chunking, BOM, line endings,
 * empty lines or spellings of a value; the plan itself is unchanged by the tally.
 */
import fc from 'fast-check';

import { GroupTally, scanGroups } from '../../../nodes/shared/csv/groupSplitter';
import { groupValueOf } from '../../../nodes/shared/csv/groupFields';
import { planParts } from '../../../nodes/shared/csv/splitter';
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

const STATUSES = ['Attended', 'No Show', ' Attended', 'a,"b"\nc', '', 'Zürich'];

const file = fc.record({
	delimiter: fc.constantFrom(...DELIMITERS),
	lineEnding: fc.constantFrom<LineEnding>('\n', '\r\n'),
	statusAt: fc.nat(2),
	rows: fc.array(
		fc.record({
			values: fc.array(awkwardValue(), { minLength: 2, maxLength: 2 }),
			status: fc.nat(STATUSES.length - 1),
			quoteAll: fc.boolean(),
			emptyLineAfter: fc.boolean(),
		}),
		{ minLength: 1, maxLength: 30 },
	),
	trailingNewline: fc.boolean(),
	bom: fc.boolean(),
	cuts: fc.array(fc.nat(1500), { maxLength: 8 }),
});

describe('GroupTally in pass 1', () => {
	it('finds the groups a read of their own finds, with the same row numbers', async () => {
		await fc.assert(
			fc.asyncProperty(file, async (spec) => {
				const header = ['c0', 'c1'];
				header.splice(spec.statusAt, 0, 'status');
				let text = writeReference([header], spec.delimiter, spec.lineEnding).text;
				spec.rows.forEach((row, k) => {
					const values = [...row.values];
					values.splice(spec.statusAt, 0, STATUSES[row.status]);
					const last = k === spec.rows.length - 1;
					text += writeReference([values], spec.delimiter, spec.lineEnding, {
						quoteAll: row.quoteAll,
						trailingNewline: !last || spec.trailingNewline,
					}).text;
					if (row.emptyLineAfter && !last) text += spec.lineEnding;
				});
				const bytes = Buffer.concat([
					Buffer.from(spec.bom ? [0xef, 0xbb, 0xbf] : []),
					Buffer.from(text),
				]);
				const chunks = cutAt(bytes, spec.cuts);
				const open = async () => streamOf(chunks);
				const options = {
					encoding: 'utf-8' as const,
					delimiterFor: () => spec.delimiter,
					maxPartBytes: 400,
				};
				const plain = await planParts(open, options).catch(() => undefined);
				fc.pre(plain !== undefined); // files pass 1 refuses are the splitter's tests' business

				const tally = new GroupTally([spec.statusAt], spec.delimiter, 100);
				const headers: string[][] = [];
				const plan = await planParts(open, {
					...options,
					visitRows: (names) => {
						headers.push(names);
						return tally.visit;
					},
				});

				expect(plan).toEqual(plain);
				expect(headers).toEqual([header]);
				const groups = tally.groups();
				expect(groups).toEqual(await scanGroups(open, plan, [spec.statusAt], 100));
				const reference = referenceParse(bytes, spec.delimiter, {
					skipEmptyLines: true,
					lineEnding: spec.lineEnding,
				}).slice(1);
				const rowsOf = new Map<string, number[]>();
				reference.forEach((row, i) => {
					const status = groupValueOf(row[spec.statusAt]);
					rowsOf.set(status, [...(rowsOf.get(status) ?? []), i + 1]);
				});
				expect(groups.map((g) => [g.values[0], g.rows, g.firstRows])).toEqual(
					[...rowsOf].map(([status, rows]) => [status, rows.length, rows.slice(0, 5)]),
				);
			}),
			{ seed: FC_SEED, numRuns: 300 },
		);
	});

	it('stops counting past the limit and names the row that brought one group too many', async () => {
		const text = 'email,status\na@x.com,1\nb@x.com,2\nc@x.com,1\nd@x.com,3\n';
		const tally = new GroupTally([1], ',', 2);
		await planParts(async () => streamOf([Buffer.from(text)]), {
			encoding: 'utf-8',
			delimiterFor: () => ',',
			visitRows: () => tally.visit,
		});
		expect(() => tally.groups()).toThrow(
			expect.objectContaining({ name: 'TooManyGroupsError', rowNumber: 4 }),
		);
	});
});
