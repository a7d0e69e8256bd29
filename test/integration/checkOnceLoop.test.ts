/**
 * Check Once in a loop (example 6: Check Once -> If still running -> Wait -> Check Once): the
 * still-running item keeps the batch item it came from, so the next check still has the
 * submitted file and the failed rows tie back to it.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { createFakeClock } from '../simulator';
import { bulkImportOutput, fileItem, marketoOf, useSimulator, waitForBatches } from './support';

const clock = createFakeClock();
// 10 rows per simulated second: a batch of 20 rows takes 2 s of the hand-moved clock
const sim = useSimulator({ clock, rowsPerSecond: 10 });

function leadsTsv(count: number, badEvery: number): string {
	const lines = ['email\tleadScore'];
	for (let i = 1; i <= count; i++) {
		lines.push(
			`loop${i}-${Math.random().toString(36).slice(2, 8)}@example.com\t${i % badEvery === 0 ? 'x' : i}`,
		);
	}
	return lines.join('\n') + '\n';
}

describe('Check Once in a loop', () => {
	it('a still-running item goes back into Check Once and its failed rows still tie back to the file', async () => {
		const batches: INodeExecutionData[] = await bulkImportOutput(
			sim(),
			{ operation: 'importLeads' },
			[await fileItem(leadsTsv(20, 10), 'leads.tsv')],
		);
		const submitted = batches[0].json as IDataObject;
		clock.advance(1000); // half done

		const first = await waitForBatches(sim(), batches, { mode: 'checkOnce' }, { clock });
		const running = first.outputs[0];
		expect(running).toHaveLength(1);
		expect(running[0].json).toMatchObject({
			batchId: submitted.batchId,
			status: 'Importing',
			stillRunning: true,
			// what the next check needs to read the submitted file
			format: submitted.format,
			submittedFile: submitted.submittedFile,
			firstRowNumber: submitted.firstRowNumber,
		});
		expect(running[0].binary).toBe(batches[0].binary);
		expect(running[0].pairedItem).toEqual({ item: 0 });

		clock.advance(5000);
		// The loop: the still-running items are the next check's input.
		const second = await waitForBatches(sim(), running, { mode: 'checkOnce' }, { clock });
		expect(second.done[0]).toMatchObject({
			batchId: submitted.batchId,
			status: 'Complete',
			rowsFailed: 2,
			failedRowItems: 2,
		});
		expect(second.done[0]).not.toHaveProperty('stillRunning');
		expect(
			second.failedRows.map((row) => [marketoOf(row).rowNumber, marketoOf(row).tieBack]),
		).toEqual([
			[10, 'exact'],
			[20, 'exact'],
		]);
		expect(second.failedRows[0]).toMatchObject({ leadScore: 'x' });
	});
});
