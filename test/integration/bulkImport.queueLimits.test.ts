/**
 * Issue 11, "Other limits": a long Queue Wait Limit is not cut short by an attempt cap, and
 * cancelling an execution during a queue wait stops it at once. The simulator's queue, the
 * node's queue waits and its rate limiter share one fake clock moved only by the node's
 * waits, so hours of queue pass in no real time, in the same order on every run.
 */
import {
	createFakeClock,
	startSimulator,
	type FakeClock,
	type RunningSimulator,
} from '../simulator';
import { assertRequestsMatchContract } from '../simulator/contract';
import { runNode, simulatorCredentials } from '../harness';
import {
	bulkImportNode,
	descriptorsOf,
	failureOf,
	fileItem,
	runBulkImport,
	uploadCalls,
} from './support';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';

const ONE_ROW = 'email,firstName\nlimit@queue.example.com,Ada\n';

let sim: RunningSimulator | undefined;

afterEach(async () => {
	resetPacing();
	try {
		if (sim) assertRequestsMatchContract(sim.state.calls);
	} finally {
		await sim?.close();
		sim = undefined;
	}
});

function sharedFakeClock(): FakeClock {
	const clock = createFakeClock();
	const sleep = async (ms: number) => {
		clock.advance(ms);
		await new Promise((resolve) => setImmediate(resolve));
	};
	configurePacing({ clock: { now: () => clock.now(), sleep } });
	return clock;
}

describe('Queue Wait Limit', () => {
	it('a limit of 5 hours outlasts a queue full of foreign jobs for 3 hours: no attempt cap ends it with a raw 1016', async () => {
		const clock = sharedFakeClock();
		sim = await startSimulator({ rowsPerSecond: 1_000, clock });
		// Ten foreign jobs of 3 hours each: the queue stays full until the first two end, 3 hours on.
		sim.state.addForeignJobs(10, 3 * 3600 * 1_000);

		const result = await runBulkImport(
			sim,
			{ operation: 'importLeads', options: { queueWaitMinutes: 300 } },
			[await fileItem(ONE_ROW, 'patient.csv')],
		);

		const uploads = uploadCalls(sim);
		// More refused uploads than the transport's 60-attempt guard: only the user's limit counts.
		expect(uploads.filter((call) => call.marketoCode === '1016').length).toBeGreaterThan(60);
		expect(uploads[uploads.length - 1].marketoCode).toBeUndefined();
		expect(descriptorsOf(result)).toHaveLength(1);
		// Admitted only once the first foreign jobs were done, 3 hours in.
		expect(uploads[uploads.length - 1].time - uploads[0].time).toBeGreaterThanOrEqual(3 * 3600_000);
	});

	it("a limit of 30 minutes against the same queue gives up with the node's own message after 30 minutes", async () => {
		const clock = sharedFakeClock();
		sim = await startSimulator({ rowsPerSecond: 1_000, clock });
		sim.state.addForeignJobs(10, 3 * 3600 * 1_000);
		const failure = await failureOf(
			runBulkImport(sim, { operation: 'importLeads', options: { queueWaitMinutes: 30 } }, [
				await fileItem(ONE_ROW, 'hurried.csv'),
			]),
		);
		expect(failure.message).toBe('Gave up waiting for a free Marketo import slot after 30 min');
	});
});

describe('cancelling during a queue wait', () => {
	it('stops the execution at once, with no further upload', async () => {
		// A clock whose sleeps never end by themselves: only the execution's cancel signal ends
		// them, so the run can settle only if the node hands that signal to its queue wait.
		const clock = createFakeClock();
		let waiting = false;
		configurePacing({
			clock: {
				now: () => clock.now(),
				sleep: async (_ms, signal) =>
					await new Promise<void>((_resolve, reject) => {
						waiting = true;
						signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
					}),
			},
		});
		sim = await startSimulator({ rowsPerSecond: 1, clock });
		sim.state.addForeignJobs(10, 1_000_000);
		const controller = new AbortController();
		const running = runNode({
			node: bulkImportNode,
			parameters: { operation: 'importLeads' },
			input: [await fileItem(ONE_ROW, 'cancelled.csv')],
			credentials: { marketoApi: simulatorCredentials(sim) },
			abortSignal: controller.signal,
		});
		let settled = false;
		const outcome = failureOf(running).finally(() => {
			settled = true;
		});
		// Cancel once Marketo has answered the upload with 1016 and the node has begun its wait.
		while (!waiting) await new Promise((resolve) => setImmediate(resolve));
		expect(uploadCalls(sim).map((call) => call.marketoCode)).toEqual(['1016']);
		controller.abort();
		for (let turn = 0; turn < 1_000 && !settled; turn++)
			await new Promise((resolve) => setImmediate(resolve));
		expect(settled).toBe(true);
		expect((await outcome).message).toBe('The execution was cancelled while waiting for Marketo');
		expect(uploadCalls(sim)).toHaveLength(1);
	});
});
