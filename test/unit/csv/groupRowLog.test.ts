/**
 * Pass 2 of a status split from pass 1's row log (`GroupTally` with `logRowsUpToBytes`, handed
 * to `cutGroupParts` as `tally`): the same parts, byte for byte, as pass 2 finding the rows
 * again, whatever the chunking of either read, BOM, line endings, empty lines, quoted line
 * breaks, part size or memory budget; a log that outgrew its bytes changes nothing; a file
 * that changed between the reads is refused.
 */
import fc from 'fast-check';

import {
	cutGroupParts,
	GroupTally,
	type GroupPart,
	type GroupPartOptions,
} from '../../../nodes/shared/csv/groupSplitter';
import { planParts, type SplitPlan } from '../../../nodes/shared/csv/splitter';
import {
	awkwardValue,
	cutAt,
	DELIMITERS,
	FC_SEED,
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
			emptyLinesAfter: fc.nat(2),
		}),
		{ minLength: 1, maxLength: 40 },
	),
	emptyLinesAfterHeader: fc.nat(2),
	trailingNewline: fc.boolean(),
	bom: fc.boolean(),
	cutsPass1: fc.array(fc.nat(2500), { maxLength: 8 }),
	cutsPass2: fc.array(fc.nat(2500), { maxLength: 8 }),
	maxPartBytes: fc.integer({ min: 300, max: 2000 }),
	budget: fc.integer({ min: 1, max: 3000 }),
	reuse: fc.boolean(),
});

type Spec = typeof file extends fc.Arbitrary<infer T> ? T : never;

function fileBytes(spec: Spec): Buffer {
	const header = ['c0', 'c1'];
	header.splice(spec.statusAt, 0, 'status');
	let text = writeReference([header], spec.delimiter, spec.lineEnding).text;
	text += spec.lineEnding.repeat(spec.emptyLinesAfterHeader);
	spec.rows.forEach((row, k) => {
		const values = [...row.values];
		values.splice(spec.statusAt, 0, STATUSES[row.status]);
		const last = k === spec.rows.length - 1;
		text += writeReference([values], spec.delimiter, spec.lineEnding, {
			quoteAll: row.quoteAll,
			trailingNewline: !last || spec.trailingNewline,
		}).text;
		if (!last) text += spec.lineEnding.repeat(row.emptyLinesAfter);
	});
	return Buffer.concat([Buffer.from(spec.bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
}

async function partsOf(chunks: Buffer[], plan: SplitPlan, options: GroupPartOptions) {
	const parts: GroupPart[] = [];
	for await (const part of cutGroupParts(async () => streamOf(chunks), plan, options))
		parts.push({ ...part, body: Buffer.from(part.body) });
	return parts;
}

/** Pass 1 with a tally logging its rows in up to `logBytes` bytes. */
async function tallied(chunks: Buffer[], spec: Spec, logBytes: number) {
	const tally = new GroupTally([spec.statusAt], spec.delimiter, 100, logBytes);
	const plan = await planParts(async () => streamOf(chunks), {
		encoding: 'utf-8',
		delimiterFor: () => spec.delimiter,
		maxPartBytes: spec.maxPartBytes,
		visitRows: () => tally.visit,
	});
	return { tally, plan };
}

describe('pass 2 of a status split from the row log of pass 1', () => {
	it('hands out the parts a read that finds the rows again hands out, byte for byte', async () => {
		await fc.assert(
			fc.asyncProperty(file, async (spec) => {
				const bytes = fileBytes(spec);
				const pass1 = cutAt(bytes, spec.cutsPass1);
				const pass2 = cutAt(bytes, spec.cutsPass2);
				const checked = await tallied(pass1, spec, 1_000_000).catch(() => undefined);
				fc.pre(checked !== undefined); // files pass 1 refuses are the splitter's tests' business
				const { tally, plan } = checked;
				const options = {
					columns: [spec.statusAt],
					maxPartBytes: spec.maxPartBytes,
					memoryBudgetBytes: spec.budget,
					reusePartBuffers: spec.reuse,
				};
				expect(tally.loggedRows()).toBeDefined();

				const fromLog = await partsOf(pass2, plan, { ...options, tally });
				const found = await partsOf(pass2, plan, options);

				expect(fromLog).toEqual(found);
				expect(fromLog.reduce((sum, part) => sum + part.rows, 0)).toBe(plan.totalRows);
			}),
			{ seed: FC_SEED, numRuns: 300 },
		);
	});

	it('reads lone CR line breaks and a CR LF cut between two chunks as the scanner does', async () => {
		const bytes = Buffer.from(
			'status,email\rA,a@x.com\r\rB,"b\r\nx"@x.com\r\nA,c@x.com\r\n\r\nB,d@x.com',
		);
		const spec = { statusAt: 0, delimiter: ',', maxPartBytes: 10_000 } as Spec;
		const options = { columns: [0], maxPartBytes: 10_000, memoryBudgetBytes: 50_000 };
		for (let cut = 1; cut < bytes.length; cut++) {
			const { tally, plan } = await tallied(cutAt(bytes, [cut]), spec, 1_000_000);
			const pass2 = cutAt(bytes, [bytes.length - cut]);

			const parts = await partsOf(pass2, plan, { ...options, tally });

			expect(parts).toEqual(await partsOf(pass2, plan, options));
			expect(parts.map((part) => part.rows)).toEqual([2, 2]);
		}
	});

	it('finds the rows again when the log outgrew its bytes', async () => {
		const rows = Array.from({ length: 5000 }, (_, i) => `${i % 3},lead${i}@example.com\n`);
		const bytes = Buffer.from(`status,email\n${rows.join('')}`);
		const spec = { statusAt: 0, delimiter: ',', maxPartBytes: 20_000 } as Spec;
		const { tally, plan } = await tallied([bytes], spec, 1024);
		expect(tally.loggedRows()).toBeUndefined();
		const options = { columns: [0], maxPartBytes: 20_000, memoryBudgetBytes: 50_000 };

		const parts = await partsOf([bytes], plan, { ...options, tally });

		expect(parts).toEqual(await partsOf([bytes], plan, options));
		expect(parts.reduce((sum, part) => sum + part.rows, 0)).toBe(5000);
	});

	it.each([
		['shorter', (bytes: Buffer) => bytes.subarray(0, bytes.length - 30)],
		['longer', (bytes: Buffer) => Buffer.concat([bytes, Buffer.from('2,late@example.com\n')])],
	])('refuses a file that is %s than when pass 1 read it', async (_, change) => {
		const rows = Array.from({ length: 50 }, (_, i) => `${i % 3},lead${i}@example.com\n`);
		const bytes = Buffer.from(`status,email\n${rows.join('')}`);
		const spec = { statusAt: 0, delimiter: ',', maxPartBytes: 10_000 } as Spec;
		const { tally, plan } = await tallied([bytes], spec, 1_000_000);

		const outcome = partsOf([change(bytes)], plan, {
			columns: [0],
			maxPartBytes: 10_000,
			memoryBudgetBytes: 50_000,
			tally,
		});

		await expect(outcome).rejects.toMatchObject({ code: 'file-changed' });
	});
});
