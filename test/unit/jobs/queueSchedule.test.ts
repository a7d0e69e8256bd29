import {
	estimateCompletion,
	learnSpeed,
	pollMarginMs,
	predictRuns,
	type ScheduledBatch,
} from '../../../nodes/shared/jobs/batchStatus';
import { freeSlotAt, SubmittedBatches } from '../../../nodes/shared/jobs/queueWait';

const T0 = 1_000_000;

function batch(
	submittedAt: number,
	rows: number,
	observations: ScheduledBatch['observations'] = [],
): ScheduledBatch {
	const queued = observations.filter((o) => o.status === 'Queued').map((o) => o.at);
	return {
		submittedAt,
		rows,
		observations,
		lastQueuedAt: queued.length ? Math.max(...queued) : null,
	};
}

describe('learnSpeed', () => {
	it('is exact from two Importing readings of one batch', () => {
		const b = batch(T0, 10_000, [
			{ at: T0 + 1000, status: 'Importing', rowsProcessed: 500 },
			{ at: T0 + 3000, status: 'Importing', rowsProcessed: 1500 },
		]);
		expect(learnSpeed([b])).toEqual({ rowsPerMs: 0.5, exact: true });
	});

	it('gives a lower bound from one reading: the batch started no earlier than its submission or last Queued answer', () => {
		const fromSubmission = batch(T0, 10_000, [
			{ at: T0 + 2000, status: 'Importing', rowsProcessed: 800 },
		]);
		expect(learnSpeed([fromSubmission])).toEqual({ rowsPerMs: 0.4, exact: false });
		const wasQueued = batch(T0, 10_000, [
			{ at: T0 + 1000, status: 'Queued', rowsProcessed: 0 },
			{ at: T0 + 2000, status: 'Importing', rowsProcessed: 800 },
		]);
		// the highest lower bound wins
		expect(learnSpeed([fromSubmission, wasQueued])).toEqual({ rowsPerMs: 0.8, exact: false });
	});

	it('is exact only from readings far enough apart for how precisely they are dated', () => {
		// 1 s apart, one reading dated within 335 ms: off by up to a third, not trusted
		const vague = batch(T0, 10_000, [
			{ at: T0 + 1000, uncertaintyMs: 335, status: 'Importing', rowsProcessed: 500 },
			{ at: T0 + 2000, uncertaintyMs: 10, status: 'Importing', rowsProcessed: 1000 },
		]);
		expect(learnSpeed([vague])?.exact).toBe(false);
		// a third reading 4 s later makes a pair precise enough; the pair furthest apart is used
		const later = batch(T0, 10_000, [
			...vague.observations,
			{ at: T0 + 6000, uncertaintyMs: 10, status: 'Importing', rowsProcessed: 3100 },
		]);
		expect(learnSpeed([later])).toEqual({ rowsPerMs: (3100 - 500) / 5000, exact: true });
		expect(estimateCompletion(vague.observations, 10_000)).toBeNull();
	});

	it('knows nothing from Queued or finished readings alone', () => {
		const b = batch(T0, 100, [
			{ at: T0 + 1000, status: 'Queued', rowsProcessed: 0 },
			{ at: T0 + 5000, status: 'Complete', rowsProcessed: 100 },
		]);
		expect(learnSpeed([b])).toBeNull();
	});
});

describe('predictRuns', () => {
	it('follows the two-lane FIFO schedule', () => {
		// 4 batches of 1,000 rows at 1 row/ms, all submitted at T0: two start at once, two follow
		const runs = predictRuns(
			[0, 1, 2, 3].map(() => batch(T0, 1000)),
			1,
		);
		// hops: the first two stand on free lanes, the next two on one prediction more
		expect(runs).toEqual([
			{ start: T0, end: T0 + 1000, hops: 1 },
			{ start: T0, end: T0 + 1000, hops: 1 },
			{ start: T0 + 1000, end: T0 + 2000, hops: 2 },
			{ start: T0 + 1000, end: T0 + 2000, hops: 2 },
		]);
	});

	it('counts the hops since a reading placed the lane; an end cut short by a Complete answer counts as two', () => {
		const placed = batch(T0, 1000, [{ at: T0 + 500, status: 'Importing', rowsProcessed: 500 }]);
		const cutShort = batch(T0, 1000, [{ at: T0 + 700, status: 'Complete', rowsProcessed: 1000 }]);
		const runs = predictRuns(
			[placed, cutShort, batch(T0, 1000), batch(T0, 1000), batch(T0, 1000)],
			1,
		);
		expect(runs.map((run) => run?.hops)).toEqual([0, 1, 2, 1, 3]);
		// the batch after the cut-short end starts at that Complete answer
		expect(runs[2]).toEqual({ start: T0 + 700, end: T0 + 1700, hops: 2 });
	});

	it('moves with what the batches said: running counts, a late Queued answer, an early finish', () => {
		const running = batch(T0, 1000, [{ at: T0 + 500, status: 'Importing', rowsProcessed: 100 }]); // started late
		const finishedEarly = batch(T0, 1000, [
			{ at: T0 + 600, status: 'Complete', rowsProcessed: 1000 },
		]);
		const stillQueued = batch(T0, 1000, [{ at: T0 + 2000, status: 'Queued', rowsProcessed: 0 }]);
		const runs = predictRuns([running, finishedEarly, stillQueued], 1);
		expect(runs[0]).toEqual({ start: T0 + 400, end: T0 + 1400, hops: 0 });
		expect(runs[1]?.end).toBe(T0 + 600);
		// the lane of the early finisher is free, but the batch was Queued at T0 + 2000
		expect(runs[2]).toEqual({ start: T0 + 2000, end: T0 + 3000, hops: 2 });
	});

	it('has no prediction for a batch without a row count', () => {
		expect(
			predictRuns([{ submittedAt: T0, rows: null, observations: [], lastQueuedAt: null }], 1),
		).toEqual([null]);
	});
});

describe('pollMarginMs', () => {
	it('is 7% of how far the prediction reaches, at least 250 ms', () => {
		expect(pollMarginMs(10_000)).toBe(700);
		expect(pollMarginMs(1000)).toBe(250);
		expect(pollMarginMs(-5)).toBe(250);
	});
});

describe('freeSlotAt', () => {
	it('is now while fewer than 10 of our batches are in the queue', () => {
		expect(freeSlotAt([T0 + 5, T0 + 6, null], T0)).toBe(T0);
	});

	it('is the moment enough of ours have left when they fill it', () => {
		const leaves = Array.from({ length: 11 }, (_, i) => T0 + (i + 1) * 100);
		// 11 in the queue: two must leave before one slot is free
		expect(freeSlotAt(leaves, T0)).toBe(T0 + 200);
		expect(freeSlotAt(leaves.slice(0, 10), T0)).toBe(T0 + 100);
	});
});

describe('SubmittedBatches predictions', () => {
	const target = { importType: 'leads' as const };

	it('predicts the next end and the next free slot once a speed is known', () => {
		const submitted = new SubmittedBatches();
		for (let id = 1; id <= 10; id++) submitted.add(target, id, 1000, 'Queued', T0);
		expect(submitted.nextPredictedEnd()).toBeNull();
		expect(submitted.predictedFreeSlotAt(T0 + 100)).toBeNull();
		const oldest = submitted.oldestUnfinished()!;
		submitted.record(oldest, { at: T0 + 500, status: 'Importing', rowsProcessed: 500 });
		// One reading only bounds the speed from below (the batch may have waited): not used.
		expect(submitted.rowsPerMs()).toBeNull();
		submitted.record(oldest, { at: T0 + 600, status: 'Importing', rowsProcessed: 600 });
		expect(submitted.rowsPerMs()).toBe(1);
		// batches 1 and 2 end at T0 + 1000; the margin is 7% of their 1 s run, at least 250 ms
		expect(submitted.nextPredictedEnd()).toEqual({ batch: oldest, at: T0 + 1250 });
		expect(submitted.predictedFreeSlotAt(T0 + 600)).toBe(T0 + 1250);
		submitted.record(oldest, { at: T0 + 1300, status: 'Complete', rowsProcessed: 1000 });
		expect(oldest.finished).toBe(true);
		expect(submitted.predictedFreeSlotAt(T0 + 1300)).toBe(T0 + 1300);
	});
});
