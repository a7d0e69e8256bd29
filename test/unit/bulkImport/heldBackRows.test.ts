import {
	describeRowNumbers,
	HeldBackRows,
} from '../../../nodes/MarketoBulkImport/helpers/upload/importErrors';

describe('describeRowNumbers', () => {
	it('names rows and ranges, and counts what is past the first 20 ranges', () => {
		expect(describeRowNumbers([{ from: 7, to: 7 }])).toBe('row 7');
		expect(
			describeRowNumbers([
				{ from: 5, to: 5 },
				{ from: 9, to: 12 },
				{ from: 40, to: 40 },
			]),
		).toBe('rows 5, 9-12 and 40');
		const many = Array.from({ length: 25 }, (_, k) => ({ from: 10 * k + 1, to: 10 * k + 2 }));
		expect(describeRowNumbers(many)).toMatch(/^rows 1-2, 11-12, .*, 191-192 and 10 more$/);
	});
});

describe('HeldBackRows', () => {
	it('keeps the rows held back in file order and drops them as held-back parts take them', () => {
		const held = new HeldBackRows();
		held.add([{ from: 12, to: 12 }]);
		held.add([
			{ from: 30, to: 32 },
			{ from: 50, to: 50 },
		]);
		expect(held.total).toBe(5);
		expect(held.notSubmitted(41, 60)).toEqual({
			from: 41,
			to: 60,
			heldBack: [
				{ from: 12, to: 12 },
				{ from: 30, to: 32 },
				{ from: 50, to: 50 },
			],
		});
		held.submitted(2); // a held-back part of rows 12 and 30
		expect(held.notSubmitted(61, 60)).toEqual({
			from: 61,
			to: 60,
			heldBack: [
				{ from: 31, to: 32 },
				{ from: 50, to: 50 },
			],
		});
		held.submitted(3);
		expect(held.notSubmitted(61, 60)).toEqual({ from: 61, to: 60 });
	});
});
