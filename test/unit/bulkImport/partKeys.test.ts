import { parse } from 'csv-parse/sync';
import fc from 'fast-check';

import {
	hashesOfKeyValues,
	keyColumnIndices,
	RecordKeyReader,
	RepeatedKeys,
	seenBitsFor,
} from '../../../nodes/MarketoBulkImport/helpers/upload/partKeys';
import { RowReader } from '../../../nodes/shared/csv/rowFields';

/** The key hashes of every row of `text` (no header), read as the node reads part bodies. */
function hashesOf(text: string, indices: number[]): Array<[number, number]> {
	const reader = new RecordKeyReader(',', indices);
	const hashes: Array<[number, number]> = [];
	const rows = new RowReader(',');
	const visit = (bytes: Buffer, start: number, end: number) => {
		const hash = reader.hashOf(bytes, start, end);
		hashes.push([hash, reader.second]);
	};
	rows.read(Buffer.from(text), visit);
	rows.finish(visit);
	return hashes;
}

/** The two hashes of a key, as arguments. */
const key = (...values: string[]) => hashesOfKeyValues(values);

describe('keyColumnIndices', () => {
	it('finds the key columns whatever their case, and gives up when one is missing', () => {
		expect(keyColumnIndices(['firstName', 'Email'], ['email'])).toEqual([1]);
		expect(keyColumnIndices(['vin', 'owner', 'model'], ['vin', 'model'])).toEqual([0, 2]);
		expect(keyColumnIndices(['firstName'], ['email'])).toBeNull();
		expect(keyColumnIndices(['email'], [])).toBeNull();
	});
});

describe('RecordKeyReader', () => {
	it('folds case and spaces as Marketo compares lookup values; a row without a key has none (0)', () => {
		const [ada, bob, none, adaAgain, eAcute, eAcuteUpper] = hashesOf(
			'Ada@Example.com,Ada\n bob@example.com ,Bob\n,NoKey\r\n"ada@example.com",Again\né@x.com,1\nÉ@X.COM,2\n',
			[0],
		);
		expect(ada).toEqual(key('ada@example.com'));
		expect(adaAgain).toEqual(ada);
		expect(bob).toEqual(key('bob@example.com'));
		expect(none).toEqual([0, 0]);
		expect(eAcuteUpper).toEqual(eAcute);
		expect(eAcute).not.toEqual(ada);
	});

	it('gives the hash of the parsed values, quoted or not, on generated files', () => {
		const value = fc.stringMatching(/^[a-zA-Z0-9@., "\nÉé-]{0,8}$/);
		fc.assert(
			fc.property(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 20 }), (records) => {
				const quote = (v: string, k: number) =>
					/[",\n]/.test(v) || k % 2 === 0 ? `"${v.replace(/"/g, '""')}"` : v;
				const text =
					records.map(([a, b], k) => `${quote(a, k)},${quote(b, k + 1)}`).join('\n') + '\n';
				const parsed = parse(text, { relax_column_count: true }) as string[][];
				const rows = parsed.filter((row) => row.length > 1 || row[0] !== '');
				expect(hashesOf(text, [1, 0])).toEqual(rows.map(([a, b]) => key(b ?? '', a ?? '')));
			}),
			{ numRuns: 200 },
		);
	});
});

describe('RepeatedKeys', () => {
	it('keeps every key seen more than once, and none seen once when the filter is roomy', () => {
		const keys = new RepeatedKeys(seenBitsFor(100_000_000));
		for (let i = 1; i <= 1000; i++) keys.see(...key(`lead${i}@x.com`));
		keys.see(...key('lead7@x.com'));
		keys.see(...key('LEAD500@x.com '));
		keys.doneSeeing();
		expect(keys.slotOf(...key('lead7@x.com'))).toBeGreaterThanOrEqual(0);
		expect(keys.slotOf(...key('lead500@x.com'))).toBeGreaterThanOrEqual(0);
		expect(keys.size).toBe(2);
		expect(keys.slotOf(...key('lead8@x.com'))).toBe(-1);
	});

	it('a tiny filter only adds keys (waits), never loses a repeated one', () => {
		const keys = new RepeatedKeys(8);
		const repeated = [3, 77, 400];
		for (let i = 1; i <= 500; i++) keys.see(...key(`k${i}`));
		for (const i of repeated) keys.see(...key(`k${i}`));
		for (const i of repeated) expect(keys.slotOf(...key(`k${i}`))).toBeGreaterThanOrEqual(0);
		expect(keys.size).toBeGreaterThan(3);
	});

	it('records the first and last part of a key, and overflows past its limit', () => {
		const keys = new RepeatedKeys(1 << 16);
		const hash = key('a');
		keys.see(...hash);
		keys.see(...hash);
		expect(keys.slotOf(hash[0], hash[1] ^ 1)).toBe(-1); // the second hash must agree too
		const slot = keys.slotOf(...hash);
		expect(keys.firstPartOf(slot)).toBeNull();
		keys.claimFirst(slot, 2);
		keys.claimFirst(slot, 5);
		expect(keys.firstPartOf(slot)).toBe(2);
		expect(keys.lastPartOf(slot)).toBeNull();
		keys.setLastPart(slot, 9);
		expect(keys.lastPartOf(slot)).toBe(9);

		const small = new RepeatedKeys(1 << 16, 2);
		for (const value of ['a', 'b', 'c', 'a', 'b', 'c']) small.see(...key(value));
		expect(small.overflowed).toBe(true);
		expect(small.slotOf(...key('a'))).toBe(-1);
	});

	it('sizes its filter from the file: 16 MB at most', () => {
		expect(seenBitsFor(1_000)).toBe(1 << 16);
		expect(seenBitsFor(100_000_000)).toBe(1 << 25);
		expect(seenBitsFor(1_000_000_000) / 8).toBe(16 * 1024 * 1024);
	});
});
