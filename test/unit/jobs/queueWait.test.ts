import type { IExecuteFunctions, INode } from 'n8n-workflow';

import {
	estimateCompletion,
	normalizeBatchStatus,
	statusReadTime,
} from '../../../nodes/shared/jobs/batchStatus';
import {
	boundedDelayMs,
	createQueueSlotWaiter,
	foreignQueueBackoffMs,
	formatDuration,
	nextOwnBatchPollMs,
	SubmittedBatches,
	QueueWaitBudget,
} from '../../../nodes/shared/jobs/queueWait';

describe('foreignQueueBackoffMs', () => {
	it('doubles from 5 s and stops at 2 min', () => {
		const delays = [1, 2, 3, 4, 5, 6, 7, 50].map(foreignQueueBackoffMs);
		expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
	});
});

describe('nextOwnBatchPollMs', () => {
	const now = 1_000_000;

	it('sleeps until just after the predicted finish', () => {
		expect(nextOwnBatchPollMs(now, now + 7_000, 0)).toBe(7_500);
	});

	it('never polls sooner than 1 s nor later than 60 s on a prediction', () => {
		expect(nextOwnBatchPollMs(now, now - 5_000, 0)).toBe(1_000);
		expect(nextOwnBatchPollMs(now, now + 3_600_000, 0)).toBe(60_000);
	});

	it('backs off from 2 s to 30 s without a prediction', () => {
		expect([0, 1, 2, 3, 4, 10].map((n) => nextOwnBatchPollMs(now, null, n))).toEqual([
			2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
		]);
	});
});

describe('boundedDelayMs / formatDuration', () => {
	it('never sleeps past the deadline', () => {
		expect(boundedDelayMs(10_000, 100, 5_100)).toBe(5_000);
		expect(boundedDelayMs(10_000, 9_000, 5_000)).toBe(0);
		expect(boundedDelayMs(1_000, 0, 5_000)).toBe(1_000);
	});

	it('reads as minutes and seconds', () => {
		expect(formatDuration(42_000)).toBe('42 s');
		expect(formatDuration(3_600_000)).toBe('60 min');
		expect(formatDuration(95_000)).toBe('1 min 35 s');
	});
});

describe('estimateCompletion', () => {
	it('extrapolates the import rate to the remaining rows', () => {
		const at = 1_000_000;
		const observations = [
			{ at, rowsProcessed: 1_000, status: 'Importing' },
			{ at: at + 10_000, rowsProcessed: 3_000, status: 'Importing' }, // 200 rows/s
		];
		// 7,000 rows left at 0.2 rows/ms -> 35 s after the last reading
		expect(estimateCompletion(observations, 10_000)).toBe(at + 10_000 + 35_000);
	});

	it('ignores readings taken while queued when measuring the rate', () => {
		const observations = [
			{ at: 0, rowsProcessed: 0, status: 'Queued' },
			{ at: 60_000, rowsProcessed: 0, status: 'Importing' },
			{ at: 70_000, rowsProcessed: 5_000, status: 'Importing' },
		];
		expect(estimateCompletion(observations, 10_000)).toBe(80_000);
	});

	it('has no prediction without a measured rate', () => {
		expect(estimateCompletion([], 100)).toBeNull();
		expect(estimateCompletion([{ at: 5, rowsProcessed: 10, status: 'Importing' }], 100)).toBeNull();
		expect(
			estimateCompletion(
				[
					{ at: 0, rowsProcessed: 0, status: 'Queued' },
					{ at: 10, rowsProcessed: 0, status: 'Queued' },
				],
				100,
			),
		).toBeNull();
	});

	it('answers the reading time once the batch is finished', () => {
		expect(estimateCompletion([{ at: 42, rowsProcessed: 3, status: 'Complete' }], 100)).toBe(42);
		expect(estimateCompletion([{ at: 43, rowsProcessed: 0, status: 'Failed' }], 100)).toBe(43);
	});
});

describe('normalizeBatchStatus', () => {
	it('reads lead and program member counts', () => {
		const status = normalizeBatchStatus(
			{
				batchId: 7,
				status: 'Complete',
				numOfLeadsProcessed: 8,
				numOfRowsFailed: 1,
				numOfRowsWithWarning: 2,
				message: 'done',
			},
			7,
		);
		expect(status).toMatchObject({
			batchId: 7,
			status: 'Complete',
			rowsProcessed: 8,
			rowsFailed: 1,
			rowsWithWarning: 2,
			message: 'done',
		});
	});

	it('reads custom object counts and tolerates missing ones', () => {
		const status = normalizeBatchStatus({ status: 'importing', numOfObjectsProcessed: 5 }, 9);
		expect(status).toMatchObject({
			batchId: 9,
			status: 'Importing',
			rowsProcessed: 5,
			rowsFailed: 0,
			rowsWithWarning: 0,
			message: '',
		});
	});
});

describe('createQueueSlotWaiter when only foreign jobs fill the queue', () => {
	const node = { name: 'Marketo Bulk Import' } as INode;
	const context = {
		getNode: () => node,
		getExecutionCancelSignal: () => undefined,
	} as unknown as IExecuteFunctions;

	function fakeTime() {
		let now = 0;
		const sleeps: number[] = [];
		return {
			now: () => now,
			sleepMs: async (ms: number) => {
				sleeps.push(ms);
				now += ms;
			},
			sleeps,
		};
	}

	it('backs off exponentially and makes no API call', async () => {
		const time = fakeTime();
		const wait = createQueueSlotWaiter(context, new SubmittedBatches(), {
			itemIndex: 0,
			budget: new QueueWaitBudget(60 * 60_000),
			...time,
		});
		for (let attempt = 1; attempt <= 4; attempt++) await wait(attempt, '1016');
		expect(time.sleeps).toEqual([5_000, 10_000, 20_000, 40_000]);
	});

	it('gives up at the Queue Wait Limit with a message that says why and what to do', async () => {
		const time = fakeTime();
		const wait = createQueueSlotWaiter(context, new SubmittedBatches(), {
			itemIndex: 2,
			budget: new QueueWaitBudget(60_000),
			...time,
		});
		let failure: unknown;
		try {
			for (let attempt = 1; attempt < 20; attempt++) await wait(attempt, '1016');
		} catch (error) {
			failure = error;
		}
		expect(time.sleeps).toEqual([5_000, 10_000, 20_000, 25_000]);
		expect(failure).toMatchObject({
			message: 'Gave up waiting for a free Marketo import slot after 1 min',
			context: { itemIndex: 2 },
		});
		expect((failure as { description: string }).description).toMatch(/10 import jobs/);
		expect((failure as { description: string }).description).toMatch(/Queue Wait Limit/);
	});

	it('counts the Queue Wait Limit per file: a second part waits only what the first left', async () => {
		const time = fakeTime();
		const budget = new QueueWaitBudget(60_000);
		const part1 = createQueueSlotWaiter(context, new SubmittedBatches(), {
			itemIndex: 0,
			budget,
			...time,
		});
		for (let attempt = 1; attempt <= 3; attempt++) await part1(attempt, '1016');
		expect(budget.spentMs).toBe(35_000);
		const part2 = createQueueSlotWaiter(context, new SubmittedBatches(), {
			itemIndex: 0,
			budget,
			...time,
		});
		await expect(
			(async () => {
				for (let attempt = 1; attempt < 20; attempt++) await part2(attempt, '1016');
			})(),
		).rejects.toMatchObject({
			message: 'Gave up waiting for a free Marketo import slot after 1 min',
		});
		// 5 + 10 + 20 s for part 1, then only the 25 s left for part 2 (a per-part limit would allow 60 s more).
		expect(time.sleeps).toEqual([5_000, 10_000, 20_000, 5_000, 10_000, 10_000]);
	});

	it('says the list is busy on 1019', async () => {
		const time = fakeTime();
		const wait = createQueueSlotWaiter(context, new SubmittedBatches(), {
			itemIndex: 0,
			budget: new QueueWaitBudget(0),
			...time,
		});
		await expect(wait(1, '1019')).rejects.toMatchObject({
			description: expect.stringContaining('static list'),
		});
	});
});

describe('SubmittedBatches: own batches filling the queue, and finished statuses to hand over', () => {
	const target = { importType: 'leads' as const };
	const status = (name: 'Importing' | 'Complete' | 'Failed', rowsProcessed = 0, readAt = 0) =>
		normalizeBatchStatus(
			{ status: name, numOfLeadsProcessed: rowsProcessed, numOfRowsFailed: 1, message: 'm' },
			0,
			readAt,
		);

	it('may fill the queue with ten batches not seen finished and no known speed', () => {
		const batches = new SubmittedBatches();
		for (let id = 1; id <= 9; id++) batches.add(target, id, 100, 'Queued', id);
		expect(batches.mayFillQueue()).toBe(false);
		batches.add(target, 10, 100, 'Queued', 10);
		expect(batches.mayFillQueue()).toBe(true);
		// seeing the oldest finished frees a slot
		const oldest = batches.oldestUnfinished()!;
		batches.record(
			oldest,
			{ at: 20, rowsProcessed: 100, status: 'Complete' },
			status('Complete', 99),
		);
		expect(batches.unfinishedCount()).toBe(9);
		expect(batches.mayFillQueue()).toBe(false);
	});

	it('keeps the finished status it read, with the time, and nothing for a running batch', () => {
		const batches = new SubmittedBatches();
		batches.add(target, 7, 100, 'Queued', 0);
		batches.add(target, 8, 100, 'Queued', 0);
		const [first] = [batches.oldestUnfinished()!];
		const readAt = Date.UTC(2026, 0, 1);
		batches.record(
			first,
			{ at: readAt, rowsProcessed: 100, status: 'Complete' },
			status('Complete', 99, readAt),
		);
		const second = batches.oldestUnfinished()!;
		batches.record(
			second,
			{ at: 5, rowsProcessed: 10, status: 'Importing' },
			status('Importing', 10),
		);
		expect(batches.finalStatusOf(7)).toEqual({
			status: 'Complete',
			rowsProcessed: 99,
			rowsFailed: 1,
			rowsWithWarning: 0,
			message: 'm',
			seenAt: '2026-01-01T00:00:00.000Z',
		});
		expect(batches.finalStatusOf(8)).toBeUndefined();
	});
});

describe('statusReadTime', () => {
	it('dates an answer halfway through its call, give or take half the call', () => {
		expect(statusReadTime(10_000, 10_900)).toEqual({ at: 10_450, uncertaintyMs: 450 });
		expect(statusReadTime(10_000, 12_000)).toEqual({ at: 11_000, uncertaintyMs: 1000 });
	});

	it('dates a call that took long enough to have been retried when it was answered', () => {
		expect(statusReadTime(10_000, 32_000)).toEqual({ at: 32_000, uncertaintyMs: 1000 });
	});
});
