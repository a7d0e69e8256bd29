import { balancedPartBytes } from '../../../nodes/MarketoBulkImport/helpers/plan/partSizing';

describe('balancedPartBytes', () => {
	const limit = 10_000_000;

	it('keeps the limit when the size is unknown or the file fits in one part', () => {
		expect(balancedPartBytes(null, limit)).toBe(limit);
		expect(balancedPartBytes(9_000_000, limit)).toBe(limit);
		expect(balancedPartBytes(limit, limit)).toBe(limit);
	});

	it('cuts a 125 MB file into 14 even parts (7 per lane), not 13 full ones', () => {
		const size = 125_000_000;
		const part = balancedPartBytes(size, limit);
		expect(part).toBeLessThanOrEqual(limit);
		// 14 parts of ~8.93 MB plus a little slack for row ends and headers
		expect(Math.ceil(size / part)).toBe(14);
		expect(part).toBeGreaterThan(size / 14);
		expect(part).toBeLessThan((size / 14) * 1.01);
	});

	it('keeps the fewest parts for files of up to three parts (25 MB -> 10 + 10 + 5)', () => {
		for (const size of [10_000_001, 19_999_999, 20_000_001, 25_000_000, 30_000_000]) {
			expect(balancedPartBytes(size, limit)).toBe(limit);
		}
	});

	it('from four parts on, always gives an even part count and never exceeds the limit', () => {
		for (const size of [30_000_001, 33_000_000, 45_000_000, 1_200_000_000]) {
			const part = balancedPartBytes(size, limit);
			expect(part).toBeLessThanOrEqual(limit);
			expect(Math.ceil(size / part) % 2).toBe(0);
		}
	});

	it('leaves room for parts cut short at row ends (no tiny extra part)', () => {
		// 1,000 rows of 120 bytes plus a 100-byte header, split greedily at row ends
		const header = 100;
		const row = 120;
		const size = header + 1000 * row;
		const part = balancedPartBytes(size, 13_000);
		let parts = 0;
		let rowsLeft = 1000;
		while (rowsLeft > 0) {
			const rowsInPart = Math.min(rowsLeft, Math.floor((part - header) / row));
			rowsLeft -= rowsInPart;
			parts++;
		}
		expect(parts).toBe(10);
	});
});
