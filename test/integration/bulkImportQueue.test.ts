import { configureRetryTiming, resetRetryTiming } from '../../nodes/shared/transport/retryPolicy';
import type { Clock } from '../simulator';
import { startSimulator, type RunningSimulator } from '../simulator';
import { assertRequestsMatchContract } from '../simulator/contract';
import {
	descriptorsOf,
	failureOf,
	fileItem,
	runBulkImport,
	statusCalls,
	uploadCalls,
	waitForBatches,
	waitForQueueToDrain,
} from './support';

/** ~60 rows of ~40 bytes: 3 parts with a 1,000-byte part limit. */
function smallLeadFile(rows: number, prefix: string): string {
	const lines = ['email,firstName,lastName'];
	for (let i = 0; i < rows; i++) lines.push(`${prefix}${i}@queue.example.com,First${i},Last${i}`);
	return lines.join('\n') + '\n';
}

const TINY_PARTS = { partSizeMb: 0.001 };

describe("Marketo's shared import queue", () => {
	let sim: RunningSimulator;

	beforeEach(async () => {
		sim = await startSimulator({ rowsPerSecond: 1e6 });
	});

	afterEach(async () => {
		try {
			assertRequestsMatchContract(sim.state.calls);
		} finally {
			await sim.close();
		}
	});

	it('waits for its own batch when 9 foreign jobs fill the queue, then finishes without failing', async () => {
		// About 5 s of foreign work (2 lanes), so our second part meets a full queue.
		sim.state.addForeignJobs(9, 1_000_000);
		const content = smallLeadFile(60, 'q');
		const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
			await fileItem(content, 'queued.csv'),
		]);

		const descriptors = descriptorsOf(result);
		expect(descriptors.length).toBeGreaterThanOrEqual(3);
		const uploads = uploadCalls(sim);
		expect(uploads.some((call) => call.marketoCode === '1016')).toBe(true);
		// Waiting was done by watching our own batch, not by re-uploading every few seconds.
		expect(uploads.filter((call) => call.marketoCode === '1016').length).toBeLessThanOrEqual(descriptors.length);
		expect(sim.state.calls.some((call) => call.route === 'leadBatchStatus')).toBe(true);

		await waitForQueueToDrain(sim);
		expect(sim.state.leads.filter((lead) => lead.fields.email?.endsWith('@queue.example.com'))).toHaveLength(60);
	});

	it('with ten of its own batches in the queue, looks at the oldest instead of uploading into a 1016', async () => {
		await sim.close();
		// 40 rows per part at 400 rows/s: each part takes 0.1 s, so the queue holds ten of ours
		// only while uploads outpace the two lanes.
		sim = await startSimulator({ rowsPerSecond: 400 });
		const content = smallLeadFile(600, 'own');
		const result = await runBulkImport(sim, { operation: 'importLeads', options: { partSizeMb: 0.0016 } }, [
			await fileItem(content, 'own-queue.csv'),
		]);

		const descriptors = descriptorsOf(result);
		expect(descriptors.length).toBeGreaterThan(10);
		expect(uploadCalls(sim).filter((call) => call.marketoCode === '1016')).toEqual([]);
		expect(uploadCalls(sim)).toHaveLength(descriptors.length);
		// The batches it saw end carry that status, so Wait for Batch needs no call for them.
		const seen = descriptors.filter((d) => d.finalStatus !== undefined);
		expect(seen.length).toBeGreaterThan(0);
		for (const d of seen) {
			const job = sim.state.queue.find((j) => j.batchId === d.batchId)!;
			expect(d.status).toBe('Complete');
			expect(d.finalStatus).toMatchObject({ status: 'Complete', rowsProcessed: job.numImported, rowsFailed: 0 });
		}

		sim.state.clearCalls();
		const run = await waitForBatches(sim, result.outputs[0]);
		const polled = new Set(statusCalls(sim).map((call) => Number(/batch\/(\d+)/.exec(call.path)![1])));
		expect(seen.filter((d) => polled.has(d.batchId))).toEqual([]);
		expect(run.done.map((d) => d.status)).toEqual(descriptors.map(() => 'Complete'));
		expect(run.done.reduce((sum, d) => sum + (d.rowsProcessed as number), 0)).toBe(600);

		// Check Once also takes the handed-over ends as they are.
		sim.state.clearCalls();
		const checked = await waitForBatches(sim, result.outputs[0], { mode: 'checkOnce' });
		expect(statusCalls(sim)).toHaveLength(descriptors.length - seen.length);
		expect(checked.done.filter((d) => seen.some((s) => s.batchId === d.batchId))).toEqual(
			seen.map((d) => expect.objectContaining({ batchId: d.batchId, status: 'Complete', endedAt: d.finalStatus!.seenAt })),
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
		expect(error.message).toMatch(/Gave up waiting for a free Marketo import slot after 3 s/);
		expect(error.description).toMatch(/10 import jobs/);
		// Backing off from 5 s: one try, then the limit (3 s) ends the wait.
		expect(uploadCalls(sim).length).toBeLessThanOrEqual(2);
		expect(uploadCalls(sim).every((call) => call.marketoCode === '1016')).toBe(true);
	});
});

describe('limits and tokens', () => {
	it('rides out 606 and 615 storms', async () => {
		const sim = await startSimulator({ rowsPerSecond: 1e6 });
		// A 606 waits out Marketo's 20 s window; scaled down so the test stays fast.
		let seed = 7;
		configureRetryTiming({ scale: 0.01, random: () => ((seed = (seed * 48271) % 2147483647) / 2147483647) });
		try {
			sim.state.scriptFault({ route: 'describeLeads', times: 2, answer: { kind: 'envelope', code: '606' } });
			sim.state.scriptFault({ route: 'importLeads', times: 2, answer: { kind: 'envelope', code: '615' } });
			const result = await runBulkImport(sim, { operation: 'importLeads' }, [
				await fileItem(smallLeadFile(5, 's'), 'storm.csv'),
			]);
			expect(descriptorsOf(result)).toHaveLength(1);
			const codes = sim.state.calls.map((call) => call.marketoCode).filter(Boolean);
			expect(codes).toEqual(expect.arrayContaining(['606', '615']));
			await waitForQueueToDrain(sim);
			expect(sim.state.leads.filter((lead) => lead.fields.email?.endsWith('@queue.example.com'))).toHaveLength(5);
		} finally {
			resetRetryTiming();
			await sim.close();
		}
	});

	it('stays within lowered rate limits while importing several files', async () => {
		const sim = await startSimulator({ rowsPerSecond: 1e6, limits: { callsPerWindow: 8, windowSeconds: 2, maxConcurrent: 2 } });
		try {
			const inputs = await Promise.all(
				[0, 1, 2, 3].map(async (n) => await fileItem(smallLeadFile(3, `r${n}-`), `file${n}.csv`)),
			);
			const result = await runBulkImport(sim, { operation: 'importLeads' }, inputs);
			expect(descriptorsOf(result)).toHaveLength(4);
			await waitForQueueToDrain(sim);
			expect(sim.state.leads.filter((lead) => lead.fields.email?.endsWith('@queue.example.com'))).toHaveLength(12);
		} finally {
			await sim.close();
		}
	});

	it('refreshes a token that expires between calls and stores the new one', async () => {
		// The simulator's clock jumps an hour ahead once the first upload arrived,
		// so the token expires between the first and the second upload.
		let offset = 0;
		let sim: RunningSimulator | undefined;
		const clock: Clock = {
			now: () => {
				if (offset === 0 && sim && sim.state.callsTo('importLeads').length > 0) offset = 3_601_000;
				return Date.now() + offset;
			},
		};
		sim = await startSimulator({ rowsPerSecond: 1e6, clock });
		try {
			const first = await fileItem(smallLeadFile(2, 't1-'), 'one.csv');
			const second = await fileItem(smallLeadFile(2, 't2-'), 'two.csv');
			const result = await runBulkImport(sim, { operation: 'importLeads' }, [first, second]);

			expect(descriptorsOf(result)).toHaveLength(2);
			expect(sim.state.calls.some((call) => call.marketoCode === '602' || call.marketoCode === '601')).toBe(true);
			expect(sim.state.tokens.length).toBeGreaterThanOrEqual(2);
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
