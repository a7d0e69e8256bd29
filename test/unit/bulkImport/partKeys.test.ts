import { parse } from 'csv-parse/sync';
import fc from 'fast-check';

import {
	countSharedKeys,
	keyColumnIndices,
	keysOfRows,
} from '../../../nodes/MarketoBulkImport/helpers/upload/partKeys';

describe('keyColumnIndices', () => {
	it('finds the key columns whatever their case, and gives up when one is missing', () => {
		expect(keyColumnIndices(['firstName', 'Email'], ['email'])).toEqual([1]);
		expect(keyColumnIndices(['vin', 'owner', 'model'], ['vin', 'model'])).toEqual([0, 2]);
		expect(keyColumnIndices(['firstName'], ['email'])).toBeNull();
		expect(keyColumnIndices(['email'], [])).toBeNull();
	});
});

describe('keysOfRows', () => {
	it('reads one key per row, folding case and spaces, skipping rows without a key', async () => {
		const rows = Buffer.from(
			'Ada@Example.com,Ada\n bob@example.com ,Bob\n,NoKey\r\nada@example.com,Again\n',
		);
		expect([...(await keysOfRows(rows, ',', [0]))]).toEqual(['ada@example.com', 'bob@example.com']);
	});

	it('reads quoted values, with delimiters and line breaks inside, as the parser does', async () => {
		const rows = Buffer.from('"x,1","a ""b""\nc"\n"y",plain\n');
		expect([...(await keysOfRows(rows, ',', [1, 0]))]).toEqual([
			'a "b"\nc\u0000x,1',
			'plain\u0000y',
		]);
	});

	it('agrees with csv-parse on generated files', async () => {
		const value = fc.stringMatching(/^[a-zA-Z0-9@., "\n-]{0,8}$/);
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 20 }),
				async (records) => {
					const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
					const text = records.map(([a, b]) => `${quote(a)},${quote(b)}`).join('\n') + '\n';
					const expected = new Set<string>();
					for (const [a, b] of parse(text, { relax_column_count: true }) as string[][]) {
						const key = [b, a].map((v) => v.trim().toLowerCase());
						if (key.some((v) => v !== '')) expected.add(key.join('\u0000'));
					}
					expect(await keysOfRows(Buffer.from(text), ',', [1, 0])).toEqual(expected);
				},
			),
			{ numRuns: 200 },
		);
	});
});

describe('countSharedKeys', () => {
	it('counts the keys two parts have in common', () => {
		expect(countSharedKeys(new Set(['a', 'b', 'c']), new Set(['c', 'd', 'a']))).toBe(2);
		expect(countSharedKeys(new Set(), new Set(['a']))).toBe(0);
	});
});
