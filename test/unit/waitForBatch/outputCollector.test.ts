import type { INodeExecutionData } from 'n8n-workflow';

import { OutputCollector } from '../../../nodes/MarketoWaitForBatch/helpers/output/outputCollector';

describe('OutputCollector', () => {
	it("takes a batch's 300,000 failed rows at once, in order, without overflowing the stack", () => {
		const rows: INodeExecutionData[] = Array.from({ length: 300_000 }, (_, row) => ({
			json: { row },
		}));
		const collector = new OutputCollector(2);
		collector.add(1, 1, rows);
		collector.add(0, 1, [{ json: { row: -1 } }]);

		const [done, failed, warnings] = collector.outputs();
		expect(done).toEqual([]);
		expect(warnings).toEqual([]);
		expect(failed).toHaveLength(300_001);
		// Items keep their input item's order first, then their own.
		expect(failed[0].json.row).toBe(-1);
		expect(failed[1].json.row).toBe(0);
		expect(failed[300_000].json.row).toBe(299_999);
	});
});
