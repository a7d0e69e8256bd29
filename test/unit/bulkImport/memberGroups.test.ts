import { describeRows } from '../../../nodes/MarketoBulkImport/helpers/plan/memberGroups';
import { statusNamesOf } from '../../../nodes/MarketoBulkImport/helpers/plan/programChannel';
import { groupColumnIndices } from '../../../nodes/MarketoBulkImport/helpers/upload/partSources';
import { groupOf } from '../../../nodes/MarketoWaitForBatch/helpers/input/batchSource';

describe('Member Status from a column: pure helpers', () => {
	it('names a few rows, then a count', () => {
		expect(describeRows({ rows: 1, firstRows: [4] })).toBe('row 4');
		expect(describeRows({ rows: 2, firstRows: [2, 4] })).toBe('rows 2 and 4');
		expect(describeRows({ rows: 3, firstRows: [2, 4, 9] })).toBe('rows 2, 4 and 9');
		expect(describeRows({ rows: 19, firstRows: [3, 7, 12, 15, 20] })).toBe(
			'rows 3, 7, 12, 15, 20 and 14 more',
		);
	});

	it("lists a channel's statuses in step order", () => {
		expect(
			statusNamesOf({
				progressionStatuses: [
					{ name: 'Attended', step: 3 },
					{ name: 'Not in Program', step: 0 },
					{ name: 'Registered', step: 2 },
					{ name: '', step: 1 },
				],
			}),
		).toEqual(['Not in Program', 'Registered', 'Attended']);
	});

	it('finds the group columns by exact name, then ignoring case and spaces', () => {
		expect(
			groupColumnIndices(['email', 'Status ', 'programId'], ['programId', 'status', 'missing']),
		).toEqual([2, 1, undefined]);
		expect(groupColumnIndices(['status', 'Status'], ['Status'])).toEqual([1]);
	});

	it('reads a batch item group only when well-formed', () => {
		expect(groupOf({ columns: [2], values: ['Attended'] })).toEqual({
			columns: [2],
			values: ['Attended'],
		});
		expect(groupOf({ columns: [0, 2], values: ['1002'] })).toBeUndefined();
		expect(groupOf({ columns: [-1], values: ['x'] })).toBeUndefined();
		expect(groupOf({ columns: [1], values: [3] })).toBeUndefined();
		expect(groupOf('Attended')).toBeUndefined();
	});
});
