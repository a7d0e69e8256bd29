/**
 * Check Once, the time limit and cancellation. The simulator runs on a clock the test
 * moves by hand, so a batch stays Queued/Importing exactly as long as the test wants; the
 * node runs on a fake clock of its own, so its waits take no real time and end where the
 * test can see them.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { waitForWake } from '../../nodes/shared/clock';
import { createFakeClock, type Clock } from '../simulator';
import {
	bulkImportOutput,
	fileItem,
	marketoOf,
	statusCalls,
	useSimulator,
	waitForBatches,
} from './support';

const clock = createFakeClock();
// 10 rows per simulated second: a batch of 20 rows takes 2 s of the hand-moved clock
const sim = useSimulator({ clock, rowsPerSecond: 10 });

async function submitLeads(csv: string, fileName = 'leads.csv'): Promise<INodeExecutionData[]> {
	return await bulkImportOutput(sim(), { operation: 'importLeads' }, [
		await fileItem(csv, fileName),
	]);
}

function leadsCsv(count: number, badEvery = 0): string {
	const lines = ['email,leadScore'];
	for (let i = 1; i <= count; i++) {
		lines.push(
			`c${i}-${Math.random().toString(36).slice(2, 8)}@example.com,${badEvery && i % badEvery === 0 ? 'x' : i}`,
		);
	}
	return lines.join('\n') + '\n';
}

describe('Check Once', () => {
	it('outputs the current status while running, and the rows once finished', async () => {
		const batches = await submitLeads(leadsCsv(20, 10));
		const batchId = (batches[0].json as IDataObject).batchId;
		clock.advance(1000); // half done

		const running = await waitForBatches(sim(), batches, { mode: 'checkOnce' }, { clock });
		expect(running.done).toEqual([
			expect.objectContaining({
				batchId,
				status: 'Importing',
				stillRunning: true,
				endedAt: null,
				failedRowItems: 0,
			}),
		]);
		expect(running.done[0].rowsProcessed as number).toBeGreaterThan(0);
		expect(running.failedRows).toEqual([]);
		expect(statusCalls(sim())).toHaveLength(1);

		clock.advance(5000);
		const finished = await waitForBatches(sim(), batches, { mode: 'checkOnce' }, { clock });
		expect(finished.done[0]).toMatchObject({
			batchId,
			status: 'Complete',
			rowsFailed: 2,
			failedRowItems: 2,
		});
		expect(finished.done[0]).not.toHaveProperty('stillRunning');
		expect(finished.failedRows.map((row) => marketoOf(row).rowNumber)).toEqual([10, 20]);
		expect(statusCalls(sim())).toHaveLength(2);
	});
});

describe('time limit', () => {
	it('stops with an error naming the batches still running and their last status', async () => {
		const batches = await submitLeads(leadsCsv(100));
		const batchId = (batches[0].json as IDataObject).batchId as number;
		clock.advance(3000); // 30 of 100 rows; the clock then stands still
		// The node's clock starts at Marketo's time and moves only by its own sleeps.
		const started = clock.now();
		const nodeClock = createFakeClock(started);

		const promise = waitForBatches(sim(), batches, { timeLimit: 0.05 }, { clock: nodeClock }); // 3 s
		await expect(promise).rejects.toMatchObject({
			message: expect.stringMatching(
				new RegExp(
					`Time limit of 0.05 minutes reached; still running in Marketo: batch ${batchId}: Importing, 30 of 100 rows done`,
				),
			),
		});
		// It waited exactly up to the limit, polling on the way.
		expect(nodeClock.now() - started).toBe(3000);
		expect(nodeClock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(3000);
		expect(statusCalls(sim()).length).toBeGreaterThanOrEqual(1);
		clock.advance(60_000); // let it finish so it frees its lane
	});

	it('On Time Limit "Output Still-Running Batches" outputs them on Done', async () => {
		const batches = await submitLeads(leadsCsv(100));
		clock.advance(2000);
		const nodeClock = createFakeClock(clock.now());

		const run = await waitForBatches(
			sim(),
			batches,
			{ timeLimit: 0.05, onTimeLimit: 'outputStillRunning' },
			{ clock: nodeClock },
		);

		expect(run.done).toEqual([
			expect.objectContaining({
				batchId: (batches[0].json as IDataObject).batchId,
				status: 'Importing',
				rowsProcessed: 20,
				stillRunning: true,
				endedAt: null,
			}),
		]);
		expect(run.outputs[0][0].pairedItem).toEqual({ item: 0 });
		clock.advance(60_000);
	});
});

describe('cancellation', () => {
	it('stopping the execution ends the wait at once and makes no more status calls', async () => {
		const batches = await submitLeads(leadsCsv(100));
		const controller = new AbortController();
		// The node's first sleep (until its first poll) moves Marketo's clock; the second can
		// end only by the execution being stopped, so the outcome shows which ended it.
		const sleepsAsked: number[] = [];
		let nowWaiting!: () => void;
		const waiting = new Promise<void>((resolve) => (nowWaiting = resolve));
		const nodeClock: Clock = {
			now: () => clock.now(),
			sleep: async (ms, signal) => {
				sleepsAsked.push(ms);
				if (sleepsAsked.length === 1) return await clock.sleep(ms, signal);
				nowWaiting();
				await waitForWake(() => undefined, signal);
			},
		};
		const outcome = waitForBatches(
			sim(),
			batches,
			{},
			{ abortSignal: controller.signal, clock: nodeClock },
		).then(
			() => 'resolved',
			(error: Error) => error.message,
		);

		await waiting;
		expect(statusCalls(sim())).toHaveLength(1);
		controller.abort();

		expect(await outcome).toMatch(/execution was stopped/);
		expect(sleepsAsked).toHaveLength(2);
		expect(statusCalls(sim())).toHaveLength(1);
		clock.advance(60_000);
	});
});
