import fc from 'fast-check';

import {
	findRepeatedKeys,
	heldBackParts,
	keepRows,
	partDependencies,
} from '../../../nodes/MarketoBulkImport/helpers/upload/heldRows';
import { RecordKeyReader } from '../../../nodes/MarketoBulkImport/helpers/upload/partKeys';
import { cutParts, planParts } from '../../../nodes/shared/csv/splitter';
import { itemsOfRanges } from '../../../nodes/shared/itemRanges';

/** A part as uploaded: its rows' numbers and emails, and the parts it waits for. */
interface Uploaded {
	index: number;
	rowNumbers: number[];
	emails: string[];
	waitsFor: number[];
}

const open = (text: string) => async () => [Buffer.from(text)];

/** Splits `text` as the node does, holding rows back; the parts in upload order. */
async function splitHoldingRows(text: string, maxPartBytes: number): Promise<Uploaded[]> {
	const plan = await planParts(open(text), {
		encoding: 'utf-8',
		delimiterFor: () => ',',
		maxPartBytes,
	});
	const keys = await findRepeatedKeys(open(text), plan, [0]);
	const reader = new RecordKeyReader(',', [0]);
	const uploaded: Uploaded[] = [];
	const rowsOf = (body: Buffer) =>
		body
			.toString('utf8')
			.split('\n')
			.slice(1)
			.filter((line) => line !== '');
	for await (const part of cutParts(open(text), plan)) {
		const kept = keepRows(keys, reader, part, plan.headerLine.length, ',');
		if (kept.rows === 0) continue;
		const numbers = kept.rowNumbers
			? itemsOfRanges(kept.rowNumbers)
			: Array.from({ length: part.rows }, (_, k) => part.firstRowNumber + k);
		uploaded.push({
			index: part.index,
			rowNumbers: numbers,
			emails: rowsOf(kept.body).map((r) => r.split(',')[0]),
			waitsFor: [],
		});
	}
	for await (const part of heldBackParts(
		open(text),
		plan,
		keys,
		reader,
		maxPartBytes,
		plan.parts.length,
	)) {
		uploaded.push({
			index: part.index,
			rowNumbers: itemsOfRanges(part.rowNumbers),
			emails: rowsOf(part.body).map((r) => r.split(',')[0]),
			waitsFor: part.waitsFor,
		});
	}
	return uploaded;
}

function fileOf(emails: string[]): string {
	return 'email,n\n' + emails.map((email, k) => `${email},${k + 1}`).join('\n') + '\n';
}

describe('holding back rows of records an earlier part holds', () => {
	it("moves a record's later rows into a held-back part that waits for the first part, keeping true row numbers", async () => {
		// 3 rows per part (8 bytes a row, 8-byte header): a@x in parts 1, 2 and 3.
		const emails = ['a@x', 'b@x', 'c@x', 'd@x', 'A@x', 'e@x', 'f@x', 'g@x', 'a@x'];
		const parts = await splitHoldingRows(fileOf(emails), 8 + 3 * 6);
		expect(parts.map((p) => p.rowNumbers)).toEqual([
			[1, 2, 3],
			[4, 6],
			[7, 8],
			[5, 9],
		]);
		expect(parts[3].emails).toEqual(['A@x', 'a@x']);
		expect(parts[3].waitsFor).toEqual([0]);
		expect(parts.slice(0, 3).every((p) => p.waitsFor.length === 0)).toBe(true);
	});

	it('takes out nothing when no record spans two parts', async () => {
		const emails = ['a@x', 'a@x', 'b@x', 'c@x', 'd@x', 'e@x'];
		const parts = await splitHoldingRows(fileOf(emails), 8 + 3 * 6);
		expect(parts.map((p) => p.rowNumbers)).toEqual([
			[1, 2, 3],
			[4, 5, 6],
		]);
	});

	it("on any file: every row once, parts of the file disjoint in records, a record's rows in file order", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 60 }),
				fc.integer({ min: 2, max: 6 }),
				async (records, rowsPerPart) => {
					const emails = records.map((r) => `r${String(r).padStart(2, '0')}@x`);
					// Every row is 'rNN@x,K\n': at most 10 bytes.
					const parts = await splitHoldingRows(fileOf(emails), 8 + rowsPerPart * 10);
					const all = parts.flatMap((p) => p.rowNumbers).sort((a, b) => a - b);
					expect(all).toEqual(emails.map((_, k) => k + 1));
					for (const p of parts) expect(p.emails).toEqual(p.rowNumbers.map((n) => emails[n - 1]));
					const fileParts = parts.filter((p) => p.waitsFor.length === 0 && p.index < 100);
					const owner = new Map<string, number>();
					const position = new Map(parts.map((p, k) => [p.index, k]));
					for (const p of parts) {
						for (const email of new Set(p.emails)) {
							const before = owner.get(email);
							if (before !== undefined) {
								// Only a later part in the upload order, waiting for the one before.
								expect(p.waitsFor).toContain(before);
								expect(position.get(before)! < position.get(p.index)!).toBe(true);
							}
							owner.set(email, p.index);
						}
					}
					expect(fileParts.length).toBeGreaterThan(0);
					// A record's rows, in upload order, are in file order.
					const seen = new Map<string, number>();
					for (const p of parts)
						p.rowNumbers.forEach((n) => {
							const email = emails[n - 1];
							expect(n).toBeGreaterThan(seen.get(email) ?? 0);
							seen.set(email, n);
						});
				},
			),
			{ numRuns: 150 },
		);
	});
});

describe('partDependencies (whole parts wait)', () => {
	it('a part waits for the last earlier part holding any of its records, over the whole file', async () => {
		const text = fileOf(['a@x', 'b@x', 'c@x', 'd@x', 'e@x', 'f@x', 'a@x', 'g@x', 'h@x']);
		const plan = await planParts(open(text), {
			encoding: 'utf-8',
			delimiterFor: () => ',',
			maxPartBytes: 8 + 3 * 6,
		});
		const keys = await findRepeatedKeys(open(text), plan, [0]);
		const reader = new RecordKeyReader(',', [0]);
		const waits: number[][] = [];
		for await (const part of cutParts(open(text), plan))
			waits.push(
				partDependencies(keys, reader, part.index, part.body.subarray(plan.headerLine.length), ','),
			);
		// Part 3 shares a@x with part 1, not with part 2 (its neighbour).
		expect(waits).toEqual([[], [], [0]]);
	});
});
