import { routeRetryWaitsTo } from '../harness/retryWaits';
import type { CallRecord, FakeClock } from '../simulator';
import { createFakeClock, startSimulator, type RunningSimulator } from '../simulator';
import { assertRequestsMatchContract } from '../simulator/contract';
import {
	descriptorsOf,
	drainQueue,
	failureOf,
	fileItem,
	runBulkImport,
	statusCalls,
	submittedOnSimulatorClock,
	uploadCalls,
	waitForBatches,
} from './support';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';

/** ~60 rows of ~40 bytes: 3 parts with a 1,000-byte part limit. */
function smallLeadFile(rows: number, prefix: string): string {
	const lines = ['email,firstName,lastName'];
	for (let i = 0; i < rows; i++) lines.push(`${prefix}${i}@queue.example.com,First${i},Last${i}`);
	return lines.join('\n') + '\n';
}

const TINY_PARTS = { partSizeMb: 0.001 };

function batchIdOf(call: CallRecord): number {
	return Number(/batch\/(\d+)/.exec(call.path)![1]);
}

function queueIsEmpty(sim: RunningSimulator): boolean {
	return sim.state.queue.every((job) => job.status === 'Complete' || job.status === 'Failed');
}

describe("Marketo's shared import queue", () => {
	// The simulator's queue and Bulk Import's queue waits share one fake clock that moves
	// only when Bulk Import sleeps (a fake clock's sleep moves it instead of waiting): foreign
	// jobs end while (and only while) the node waits, in the same order on every run.
	let sim: RunningSimulator;
	let clock: FakeClock;
	let sleeps: number[];

	beforeEach(async () => {
		clock = createFakeClock();
		sleeps = clock.sleeps;
		configurePacing({ clock });
		sim = await startSimulator({ rowsPerSecond: 1e6, clock });
	});

	afterEach(async () => {
		resetPacing();
		try {
			assertRequestsMatchContract(sim.state.calls);
		} finally {
			await sim.close();
		}
	});

	it('waits for its own batch when 9 foreign jobs fill the queue, then finishes without failing', async () => {
		// 1 s of work each on 2 lanes: the queue stays full until the node has waited.
		sim.state.addForeignJobs(9, 1_000_000);
		const content = smallLeadFile(60, 'q');
		const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
			await fileItem(content, 'queued.csv'),
		]);

		const descriptors = descriptorsOf(result);
		expect(descriptors.length).toBeGreaterThanOrEqual(3);
		const uploads = uploadCalls(sim);
		// The first part took the 10th slot; the second met the full queue once, and only once:
		// it waited by watching its own batch, not by uploading again every few seconds.
		expect(uploads.map((call) => call.marketoCode)).toEqual([
			undefined,
			'1016',
			...descriptors.slice(1).map(() => undefined),
		]);
		const ownFirst = sim.state.queue.find((job) => job.batchId === descriptors[0].batchId)!;
		const calls = sim.state.calls;
		const rejected = calls.indexOf(uploads[1]);
		const retried = calls.indexOf(uploads[2]);
		const between = calls.slice(rejected + 1, retried);
		// Between the 1016 and the retry: only status calls of that first batch ...
		expect(between.length).toBeGreaterThan(0);
		expect(between.map((call) => [call.route, batchIdOf(call)])).toEqual(
			between.map(() => ['leadBatchStatus', ownFirst.batchId]),
		);
		// ... every one but the last made while it was still in the queue, the last once it had ended.
		expect(ownFirst.finishedAt).toBeDefined();
		expect(between.slice(0, -1).every((call) => call.time < ownFirst.finishedAt!)).toBe(true);
		expect(between[between.length - 1].time).toBeGreaterThanOrEqual(ownFirst.finishedAt!);
		// The node's sleeps were the only thing that moved the time, and they were spent in this wait.
		expect(sleeps.length).toBe(between.length - 1);
		expect(uploads[2].time - uploads[1].time).toBe(sleeps.reduce((sum, ms) => sum + ms, 0));

		clock.advance(60_000);
		expect(queueIsEmpty(sim)).toBe(true);
		expect(
			sim.state.leads.filter((lead) => lead.fields.email?.endsWith('@queue.example.com')),
		).toHaveLength(60);
	});

	it('with ten of its own batches in the queue, looks at the oldest instead of uploading into a 1016', async () => {
		await sim.close();
		// 40 rows per part at 400 rows/s: each part takes 0.1 s of the fake clock, which stands
		// still while the node uploads, so ten of ours fill the queue before any of them ends.
		sim = await startSimulator({ rowsPerSecond: 400, clock });
		const content = smallLeadFile(600, 'own');
		const result = await runBulkImport(
			sim,
			{ operation: 'importLeads', options: { partSizeMb: 0.0016 } },
			[await fileItem(content, 'own-queue.csv')],
		);

		const descriptors = descriptorsOf(result);
		expect(descriptors.length).toBeGreaterThan(10);
		expect(uploadCalls(sim).filter((call) => call.marketoCode === '1016')).toEqual([]);
		expect(uploadCalls(sim)).toHaveLength(descriptors.length);
		// Every upload past the tenth came right after a status call that found the oldest of
		// ours ended, and each batch's status was read before any younger batch's.
		const calls = sim.state.calls;
		uploadCalls(sim)
			.slice(10)
			.forEach((upload, index) => {
				const before = calls[calls.indexOf(upload) - 1];
				expect([before.route, batchIdOf(before)]).toEqual([
					'leadBatchStatus',
					descriptors[index].batchId,
				]);
				const job = sim.state.queue.find((j) => j.batchId === descriptors[index].batchId)!;
				expect(before.time).toBeGreaterThanOrEqual(job.finishedAt!);
			});
		const polledInOrder = statusCalls(sim).map(batchIdOf);
		expect(polledInOrder).toEqual([...polledInOrder].sort((a, b) => a - b));
		// The batches it saw end carry that status, so Wait for Batch needs no call for them.
		const seen = descriptors.filter((d) => d.finalStatus !== undefined);
		expect(seen.map((d) => d.batchId)).toEqual(
			descriptors.slice(0, descriptors.length - 10).map((d) => d.batchId),
		);
		for (const d of seen) {
			const job = sim.state.queue.find((j) => j.batchId === d.batchId)!;
			expect(d.status).toBe('Complete');
			expect(d.finalStatus).toMatchObject({
				status: 'Complete',
				rowsProcessed: job.numImported,
				rowsFailed: 0,
			});
		}

		// The rest ends while nobody looks; Wait for Batch (on the same clock) then finds every batch done.
		clock.advance(60_000);
		sim.state.clearCalls();
		const batches = submittedOnSimulatorClock(sim, result.outputs[0]);
		const run = await waitForBatches(sim, batches, {}, { clock });
		const polled = new Set(statusCalls(sim).map(batchIdOf));
		expect(seen.filter((d) => polled.has(d.batchId))).toEqual([]);
		expect(run.done.map((d) => d.status)).toEqual(descriptors.map(() => 'Complete'));
		expect(run.done.reduce((sum, d) => sum + (d.rowsProcessed as number), 0)).toBe(600);

		// Check Once also takes the handed-over ends as they are.
		sim.state.clearCalls();
		const checked = await waitForBatches(sim, batches, { mode: 'checkOnce' }, { clock });
		expect(statusCalls(sim)).toHaveLength(descriptors.length - seen.length);
		expect(checked.done.filter((d) => seen.some((s) => s.batchId === d.batchId))).toEqual(
			seen.map((d) =>
				expect.objectContaining({
					batchId: d.batchId,
					status: 'Complete',
					endedAt: d.finalStatus!.seenAt,
				}),
			),
		);
	});

	it('gives up after the Queue Wait Limit when only foreign jobs fill the queue', async () => {
		sim.state.addForeignJobs(10, 1e9);
		const promise = runBulkImport(
			sim,
			{ operation: 'importLeads', options: { queueWaitMinutes: 0.05 } },
			[await fileItem(smallLeadFile(3, 'f'), 'blocked.csv')],
		);
		const error = await failureOf(promise);
		expect(error.message).toBe('Gave up waiting for a free Marketo import slot after 3 s');
		expect(error.description).toContain(
			"Marketo's bulk import queue stayed full (code 1016). Each Marketo instance runs at most 10 import jobs at a time, shared by every integration.",
		);
		// Backing off starts at 5 s: one upload, one wait cut to the 3 s limit, no second upload.
		expect(sleeps).toEqual([3_000]);
		expect(uploadCalls(sim).map((call) => call.marketoCode)).toEqual(['1016']);
		expect(sim.state.calls[sim.state.calls.length - 1]).toBe(uploadCalls(sim)[0]);
		expect(statusCalls(sim)).toEqual([]);
	});
});

describe('limits and tokens', () => {
	it('rides out 606 and 615 storms', async () => {
		// Marketo's clock moves only by the transport's retry waits: a 606 waits out the 20 s
		// window in no real time, and the test sees what each wait was.
		const clock = createFakeClock();
		const sim = await startSimulator({ rowsPerSecond: 1e6, clock });
		const retryWaits = routeRetryWaitsTo(clock);
		try {
			sim.state.scriptFault({
				route: 'describeLeads',
				times: 2,
				answer: { kind: 'envelope', code: '606' },
			});
			sim.state.scriptFault({
				route: 'importLeads',
				times: 2,
				answer: { kind: 'envelope', code: '615' },
			});
			const result = await runBulkImport(sim, { operation: 'importLeads' }, [
				await fileItem(smallLeadFile(5, 's'), 'storm.csv'),
			]);
			expect(descriptorsOf(result)).toHaveLength(1);
			const answers = (route: string) =>
				sim.state.callsTo(route).map((call) => call.marketoCode ?? 'ok');
			expect(answers('describeLeads')).toEqual(['606', '606', 'ok']);
			expect(answers('importLeads')).toEqual(['615', '615', 'ok']);
			// One wait before each resend: the 606s a whole rate window each, the 615s a backoff.
			const waits = retryWaits.mock.calls.map(([ms]) => ms as number);
			expect(waits).toHaveLength(4);
			expect(waits.slice(0, 2).every((ms) => ms >= 20_000)).toBe(true);
			expect(waits.slice(2).every((ms) => ms > 0 && ms < 20_000)).toBe(true);
			drainQueue(sim, clock);
			expect(
				sim.state.leads.filter((lead) => lead.fields.email?.endsWith('@queue.example.com')),
			).toHaveLength(5);
		} finally {
			retryWaits.mockRestore();
			await sim.close();
		}
	});

	it('stays within lowered rate limits while importing several files', async () => {
		// Marketo allows 4 calls per 2 s and 2 at once; the client limiter gets 3 per 2 s and 1 at
		// once. Calls the simulator counts in any 2 s either started in those 2 s (at most 3) or
		// were in flight when they began (at most 1): never more than 4, whatever the timing.
		// One fake clock for both, moved only by the limiter's waits, so the run needs no real
		// waiting and, without the limiter, its calls would all land in one window.
		const clock = createFakeClock();
		const { sleeps } = clock;
		const sim = await startSimulator({
			rowsPerSecond: 1e6,
			clock,
			limits: { callsPerWindow: 4, windowSeconds: 2, maxConcurrent: 2 },
		});
		configurePacing({ clock, throttle: { maxInFlight: 1, maxCallsPerWindow: 3, windowMs: 2_000 } });
		// Should a 606 come anyway, its retry waits on the same clock, and the test fails below.
		const retryWaits = routeRetryWaitsTo(clock);
		try {
			const inputs = await Promise.all(
				[0, 1, 2, 3].map(async (n) => await fileItem(smallLeadFile(3, `r${n}-`), `file${n}.csv`)),
			);
			const result = await runBulkImport(sim, { operation: 'importLeads' }, inputs);
			expect(descriptorsOf(result)).toHaveLength(4);

			const limited = sim.state.calls.filter(
				(call) => call.marketoCode === '606' || call.marketoCode === '615',
			);
			expect(limited).toEqual([]);
			// The run needed more calls than one window allows, so the limiter had to hold some back.
			const counted = sim.state.calls.filter((call) => call.route !== 'identity');
			expect(counted.length).toBeGreaterThan(4);
			expect(sleeps.length).toBeGreaterThan(0);
			counted.forEach((call) => {
				expect(
					counted.filter((other) => other.time > call.time - 2_000 && other.time <= call.time)
						.length,
				).toBeLessThanOrEqual(4);
			});

			clock.advance(60_000);
			expect(queueIsEmpty(sim)).toBe(true);
			expect(
				sim.state.leads.filter((lead) => lead.fields.email?.endsWith('@queue.example.com')),
			).toHaveLength(12);
		} finally {
			retryWaits.mockRestore();
			resetPacing();
			await sim.close();
		}
	});

	it('refreshes a token that expires between calls and stores the new one', async () => {
		// The simulator's clock jumps an hour ahead as the first upload arrives (that upload is
		// dated before the jump), so the token expires between the first and the second upload.
		const clock = createFakeClock();
		const sim = await startSimulator({ rowsPerSecond: 1e6, clock });
		const stopWatching = sim.state.onCall((call) => {
			if (call.route !== 'importLeads') return;
			clock.advance(3_601_000);
			stopWatching();
		});
		try {
			const first = await fileItem(smallLeadFile(2, 't1-'), 'one.csv');
			const second = await fileItem(smallLeadFile(2, 't2-'), 'two.csv');
			const result = await runBulkImport(sim, { operation: 'importLeads' }, [first, second]);

			expect(descriptorsOf(result)).toHaveLength(2);
			// The first call after the jump met the expiry; a new token came, and the call was sent again.
			const calls = sim.state.calls;
			const refused = calls.findIndex((call) => call.marketoCode !== undefined);
			expect(refused).toBeGreaterThan(calls.indexOf(sim.state.callsTo('importLeads')[0]));
			expect(
				calls.slice(refused, refused + 3).map((call) => [call.route, call.marketoCode]),
			).toEqual([
				[calls[refused].route, '602'],
				['identity', undefined],
				[calls[refused].route, undefined],
			]);
			expect(sim.state.tokens).toHaveLength(2);
			const latest = sim.state.tokens[sim.state.tokens.length - 1].accessToken;
			expect(result.credentialUpdates.map((update) => update.accessToken)).toContain(latest);
			// The token never leaks into the output.
			expect(JSON.stringify(result.outputs)).not.toContain(latest);
			assertRequestsMatchContract(sim.state.calls);
		} finally {
			await sim.close();
		}
	});
});
