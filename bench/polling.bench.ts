/**
 * How many status calls Marketo Wait for Batch spends, against a fixed 5 s poller.
 *
 * No real 10-minute wait: the simulator runs on a hand-moved clock, and the node's own
 * scheduler (nodes/shared/jobs/pollScheduler.ts, the same pure code the
 * node runs) decides when to poll. Every poll is a real HTTP status call to the simulator,
 * whose queue (FIFO, 2 lanes) and processing speed decide what it answers.
 */
import { isFinishedStatus, normalizeBatchStatus } from '../nodes/shared/jobs/batchStatus';
import type { BatchStatusName } from '../nodes/shared/batch';
import {
	DEFAULT_POLL_SETTINGS,
	newPollState,
	planPolls,
	recordObservation,
	type BatchPollState,
} from '../nodes/shared/jobs/pollScheduler';
import {
	createFakeClock,
	startSimulator,
	type FakeClock,
	type RunningSimulator,
} from '../test/simulator';
import type { BenchContext, BenchResult } from './types';

const FIXED_INTERVAL_MS = 5000;
/**
 * Slow on purpose: the simulator really imports every row (lead look-ups grow with the
 * database), so a 10-minute batch is kept small (1,200 rows) rather than fast.
 */
const ROWS_PER_SECOND = 2;

interface Submitted {
	batchId: number;
	submittedAt: number;
	rows: number;
}

interface Session {
	sim: RunningSimulator;
	clock: FakeClock;
	token: string;
}

async function openSession(): Promise<Session> {
	const clock = createFakeClock(Date.UTC(2025, 0, 15, 12, 0, 0));
	const sim = await startSimulator({ clock, rowsPerSecond: ROWS_PER_SECOND });
	const url = `${sim.identityUrl}/oauth/token?grant_type=client_credentials&client_id=${encodeURIComponent(sim.clientId)}&client_secret=${encodeURIComponent(sim.clientSecret)}`;
	const answer = (await (await fetch(url)).json()) as { access_token: string };
	return { sim, clock, token: answer.access_token };
}

async function submitLeads(session: Session, rows: number, tag: string): Promise<Submitted> {
	const lines = ['email,firstName'];
	for (let i = 0; i < rows; i++) lines.push(`${tag}-${i}@bench.example.com,P${i}`);
	const form = new FormData();
	form.append('file', new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), `${tag}.csv`);
	const response = await fetch(`${session.sim.baseUrl}/bulk/v1/leads.json?format=csv`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${session.token}` },
		body: form,
	});
	const envelope = (await response.json()) as {
		success: boolean;
		result: Array<{ batchId: number }>;
	};
	if (!envelope.success) throw new Error(`create failed: ${JSON.stringify(envelope)}`);
	return { batchId: envelope.result[0].batchId, submittedAt: session.clock.now(), rows };
}

async function readStatus(session: Session, batchId: number) {
	const response = await fetch(`${session.sim.baseUrl}/bulk/v1/leads/batch/${batchId}.json`, {
		headers: { Authorization: `Bearer ${session.token}` },
	});
	const envelope = (await response.json()) as {
		success: boolean;
		result: Array<Record<string, unknown>>;
	};
	if (!envelope.success) throw new Error(`status failed: ${JSON.stringify(envelope)}`);
	return normalizeBatchStatus(envelope.result[0] as never, batchId);
}

/** When each batch really finished, from the simulator's own records. */
function realEnds(session: Session, batches: Submitted[]): number[] {
	return batches.map(
		(b) => session.sim.state.queue.find((job) => job.batchId === b.batchId)?.finishedAt ?? NaN,
	);
}

interface PollRun {
	calls: number;
	/** how long after its real end each batch was seen finished (ms) */
	noticeDelays: number[];
}

/** The node's scheduler on the hand-moved clock. */
async function pollWithScheduler(session: Session, batches: Submitted[]): Promise<PollRun> {
	let states: BatchPollState[] = batches.map((b) =>
		newPollState({ submittedAt: b.submittedAt, batchId: b.batchId, totalRows: b.rows }),
	);
	const seenFinishedAt: number[] = batches.map(() => NaN);
	const deadline = session.clock.now() + 24 * 3_600_000;
	let calls = 0;
	for (;;) {
		const now = session.clock.now();
		const plan = planPolls(states, now, DEFAULT_POLL_SETTINGS, deadline);
		if (plan.timeLimitReached) throw new Error('scheduler bench hit its time limit');
		if (plan.wakeAt === null) break;
		if (plan.due.length === 0) {
			session.clock.set(plan.wakeAt);
			continue;
		}
		for (const index of plan.due) {
			const status = await readStatus(session, batches[index].batchId);
			calls++;
			states[index] = recordObservation(states[index], {
				at: now,
				status: status.status,
				rowsProcessed: status.rowsProcessed + status.rowsFailed,
			});
			if (isFinishedStatus(status.status)) seenFinishedAt[index] = now;
		}
		states = [...states];
	}
	const ends = realEnds(session, batches);
	return { calls, noticeDelays: seenFinishedAt.map((seen, i) => seen - ends[i]) };
}

/** The naive poller: every unfinished batch every 5 s from its submission. */
async function pollEveryFiveSeconds(session: Session, batches: Submitted[]): Promise<PollRun> {
	const status: BatchStatusName[] = batches.map(() => 'Queued');
	const nextAt = batches.map((b) => b.submittedAt + FIXED_INTERVAL_MS);
	const seenFinishedAt: number[] = batches.map(() => NaN);
	let calls = 0;
	while (status.some((s) => !isFinishedStatus(s))) {
		const open = batches.map((_, i) => i).filter((i) => !isFinishedStatus(status[i]));
		const at = Math.min(...open.map((i) => nextAt[i]));
		session.clock.set(Math.max(session.clock.now(), at));
		for (const i of open.filter((index) => nextAt[index] <= at)) {
			status[i] = (await readStatus(session, batches[i].batchId)).status;
			calls++;
			nextAt[i] += FIXED_INTERVAL_MS;
			if (isFinishedStatus(status[i])) seenFinishedAt[i] = at;
		}
	}
	const ends = realEnds(session, batches);
	return { calls, noticeDelays: seenFinishedAt.map((seen, i) => seen - ends[i]) };
}

async function measure(
	rowsPerBatch: number[],
	poller: (session: Session, batches: Submitted[]) => Promise<PollRun>,
): Promise<PollRun> {
	const session = await openSession();
	try {
		const batches: Submitted[] = [];
		for (const [index, rows] of rowsPerBatch.entries()) {
			batches.push(await submitLeads(session, rows, `b${index}`));
			session.clock.advance(1000); // Bulk Import uploads parts one after the other
		}
		return await poller(session, batches);
	} finally {
		await session.sim.close();
	}
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/**
 * Wait for Batch's scheduler and fixed 5 s polling on the same batches: the targeted ratio
 * of status calls (at most half) and both raw counts. `label` names the scenario in the
 * reported results, whose names must stay stable across runs.
 */
async function compareWithFixedPolling(targetName: string, label: string, sizes: number[]) {
	const scheduler = await measure(sizes, pollWithScheduler);
	const fixed = await measure(sizes, pollEveryFiveSeconds);
	const callResults: BenchResult[] = [
		{
			name: targetName,
			value: scheduler.calls / fixed.calls,
			unit: 'x',
			target: { op: '<=', value: 0.5 },
			details: { schedulerCalls: scheduler.calls, fixedCalls: fixed.calls },
		},
		{ name: `status calls, Wait for Batch (${label})`, value: scheduler.calls, reported: true },
		{ name: `status calls, fixed 5 s polling (${label})`, value: fixed.calls, reported: true },
	];
	return { scheduler, fixed, callResults };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
	const results: BenchResult[] = [];

	const single = 'status calls per batch vs fixed 5 s polling (10-minute batch)';
	if (ctx.wants(single)) {
		const rows = 600 * ROWS_PER_SECOND; // 10 minutes at the simulator's speed
		ctx.log(`polling: one ${rows}-row batch (10 minutes of simulated processing)`);
		const { scheduler, callResults } = await compareWithFixedPolling(single, '10-minute batch', [
			rows,
		]);
		results.push(...callResults, {
			name: 'seconds from batch end to Wait for Batch noticing it (10-minute batch)',
			value: scheduler.noticeDelays[0] / 1000,
			unit: 's',
			reported: true,
		});
	}

	const many = 'status calls vs fixed 5 s polling (10 batches awaited together)';
	if (ctx.wants(many)) {
		// 10 one-minute batches through Marketo's 2 lanes: about 5 minutes in all
		const sizes = Array.from({ length: 10 }, () => 60 * ROWS_PER_SECOND);
		ctx.log('polling: 10 one-minute batches awaited together');
		const { scheduler, fixed, callResults } = await compareWithFixedPolling(
			many,
			'10 batches',
			sizes,
		);
		results.push(...callResults, {
			name: 'mean seconds from batch end to Wait for Batch noticing it (10 batches)',
			value: mean(scheduler.noticeDelays) / 1000,
			unit: 's',
			reported: true,
			details: { fixedMeanSeconds: mean(fixed.noticeDelays) / 1000 },
		});
	}
	return results;
}
