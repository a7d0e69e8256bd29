/**
 * Runs an extract's jobs through Marketo's one export queue, which every extract type and every
 * integration of the instance share (2 processing, 10 in all):
 * - at most `maxJobsInQueue` of ours are Queued or Processing at once (default 2: both lanes
 *   busy, eight places left for others); the next job is enqueued when one of ours ends;
 * - a full queue (1029 "Too many jobs in queue") is waited out, up to the Queue Wait Limit;
 * - each job's status is read no more often than Marketo updates it (once a minute);
 * - a Failed job is created again once (Marketo cannot resume it);
 * - the time limit, a stop, the daily quota or any error cancels our jobs that have not ended,
 *   so they stop holding the queue and the quota.
 * One pass (`advanceJobs`) does what is due now; Wait Until Done repeats it, pausing until the
 * next thing is due, and Check Once makes one pass per execution, its state kept in the item
 * (runState.ts). Completed jobs are handed to `onCompleted` in the order they complete.
 */
import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { ExtractTarget } from '../../../shared/extractTypes';
import {
	cancelExportJob,
	createExportJob,
	enqueueExportJob,
	fetchExportStatus,
	isFinishedExport,
	type ExportJob,
} from '../../../shared/jobs/exportJobs';
import { readQuotaUse } from '../../../shared/jobs/exportQuota';
import { pauseUnlessCancelled } from '../../../shared/jobs/pause';
import { currentClock } from '../../../shared/pacing';
import type { PlannedJob } from '../plan/extractPlan';
import { describeJobs, quotaExceededError, stoppedError, type RunJob } from './runErrors';

/** Marketo updates a job's status at most once a minute (bulk-extract.md). */
export const STATUS_INTERVAL_MS = 60_000;
const FOREIGN_QUEUE_FIRST_WAIT_MS = 30_000;
const FOREIGN_QUEUE_MAX_WAIT_MS = 5 * 60_000;
/** Times a Failed job is created again before the extract stops. */
const RECREATES_AFTER_FAILURE = 1;

export interface RunSettings {
	itemIndex: number;
	maxJobsInQueue: number;
	queueWaitLimitMs: number;
	timeLimitMs: number;
}

/** Where an extract's jobs stand; plain data, so Check Once can carry it from run to run. */
export interface JobsState {
	runs: RunJob[];
	/** when the extract began: its Time Limit counts from here */
	startedAt: number;
	/** a full queue seen since (null: not full), when to try again, how many waits so far */
	queue: { fullSince: number | null; retryAt: number; waits: number };
}

export type OnCompleted = (run: RunJob) => Promise<void>;

export function newJobsState(planned: PlannedJob[], now: number): JobsState {
	return {
		runs: planned.map((plan, index) => ({
			index,
			plan,
			job: null,
			nextPollAt: 0,
			failures: 0,
			done: false,
		})),
		startedAt: now,
		queue: { fullSince: null, retryAt: 0, waits: 0 },
	};
}

function isActive(run: RunJob): boolean {
	return run.job !== null && (run.job.status === 'Queued' || run.job.status === 'Processing');
}

export function allDone(state: JobsState): boolean {
	return state.runs.every((run) => run.done);
}

/** Pure: when the next status read or enqueue is due (never past the Time Limit). */
export function nextDueAt(state: JobsState, settings: RunSettings): number {
	const { runs } = state;
	const wakes = runs.filter(isActive).map((run) => run.nextPollAt);
	const waitingToStart = runs.some((run) => !run.done && !isActive(run));
	if (waitingToStart && runs.filter(isActive).length < settings.maxJobsInQueue) {
		wakes.push(state.queue.retryAt);
	}
	return Math.min(state.startedAt + settings.timeLimitMs, ...wakes);
}

/** Enqueues jobs while our share of the queue has room (creating them first when needed). */
async function startJobs(
	context: IExecuteFunctions,
	target: ExtractTarget,
	state: JobsState,
	settings: RunSettings,
	onCompleted: OnCompleted,
): Promise<void> {
	const { runs, queue } = state;
	const { itemIndex } = settings;
	const now = currentClock().now();
	while (runs.filter(isActive).length < settings.maxJobsInQueue && now >= queue.retryAt) {
		const next = runs.find((run) => !run.done && !isActive(run));
		if (next === undefined) return;
		const quotaStop = async (message: string) => {
			const used = await readQuotaUse(context, target.objectApiName, now, itemIndex).catch(
				() => null,
			);
			return quotaExceededError(context, message, used, runs, itemIndex);
		};
		if (next.job === null || next.job.status !== 'Created') {
			const created = await createExportJob(context, target, next.plan.body, itemIndex);
			if (created.kind !== 'done') throw await quotaStop(created.message);
			next.job = created.job;
		}
		const outcome = await enqueueExportJob(context, target, next.job.exportId, itemIndex);
		if (outcome.kind === 'quotaExceeded') throw await quotaStop(outcome.message);
		if (outcome.kind === 'queueFull') {
			queue.fullSince ??= now;
			if (now - queue.fullSince >= settings.queueWaitLimitMs) {
				throw stoppedError(
					context,
					`Marketo's export queue stayed full for the whole Queue Wait Limit (${Math.round(settings.queueWaitLimitMs / 60_000)} min)`,
					runs,
					itemIndex,
				);
			}
			// Ours ending frees a place we see; others' jobs ending we can only wait for.
			queue.retryAt =
				now + Math.min(FOREIGN_QUEUE_FIRST_WAIT_MS * 2 ** queue.waits, FOREIGN_QUEUE_MAX_WAIT_MS);
			queue.waits += 1;
			return;
		}
		queue.fullSince = null;
		queue.waits = 0;
		next.job = outcome.job;
		next.nextPollAt = now + STATUS_INTERVAL_MS;
		// A resent enqueue can find the job already run (exportJobs.ts): hand it over now.
		if (isFinishedExport(outcome.job.status))
			await settleFinished(context, state, settings, next, onCompleted);
	}
}

/** A job of ours that ended: a Completed one handed over, a Failed one created again once. */
async function settleFinished(
	context: IExecuteFunctions,
	state: JobsState,
	settings: RunSettings,
	run: RunJob,
	onCompleted: OnCompleted,
): Promise<void> {
	const job = run.job as ExportJob;
	if (job.status === 'Completed') {
		await onCompleted(run);
		run.done = true;
		// A place of ours is free: the next job may start at once.
		state.queue.retryAt = 0;
	} else if (job.status === 'Failed' && run.failures < RECREATES_AFTER_FAILURE) {
		run.failures += 1;
		run.job = null;
	} else {
		throw stoppedError(
			context,
			`Marketo ended export ${job.exportId} as ${job.status}${job.errorMsg ? `: ${job.errorMsg}` : ''}`,
			state.runs,
			settings.itemIndex,
		);
	}
}

/** Reads the status of each job of ours whose minute is up; true when one of them completed. */
async function readDueStatuses(
	context: IExecuteFunctions,
	target: ExtractTarget,
	state: JobsState,
	settings: RunSettings,
	onCompleted: OnCompleted,
): Promise<boolean> {
	const clock = currentClock();
	let completed = false;
	for (const run of state.runs.filter((r) => isActive(r) && r.nextPollAt <= clock.now())) {
		const job = (run.job = await fetchExportStatus(
			context,
			target,
			(run.job as ExportJob).exportId,
			settings.itemIndex,
		));
		run.nextPollAt = clock.now() + STATUS_INTERVAL_MS;
		if (!isFinishedExport(job.status)) continue;
		await settleFinished(context, state, settings, run, onCompleted);
		completed ||= run.done;
	}
	return completed;
}

/**
 * One pass over the jobs: stop at the Time Limit, start what has room, read what is due, and
 * start again in the places that frees. Any error cancels our unfinished jobs and names them all.
 */
export async function advanceJobs(
	context: IExecuteFunctions,
	target: ExtractTarget,
	state: JobsState,
	settings: RunSettings,
	onCompleted: OnCompleted,
): Promise<void> {
	const signal = context.getExecutionCancelSignal?.();
	const { runs } = state;
	const { itemIndex } = settings;
	try {
		if (signal?.aborted) throw stoppedError(context, 'The execution was stopped', runs, itemIndex);
		if (allDone(state)) return;
		if (currentClock().now() >= state.startedAt + settings.timeLimitMs) {
			throw stoppedError(
				context,
				`The extract reached its Time Limit (${Math.round(settings.timeLimitMs / 60_000)} min)`,
				runs,
				itemIndex,
			);
		}
		await startJobs(context, target, state, settings, onCompleted);
		if (await readDueStatuses(context, target, state, settings, onCompleted)) {
			await startJobs(context, target, state, settings, onCompleted);
		}
	} catch (error) {
		for (const run of runs.filter(isActive)) {
			await cancelExportJob(context, target, (run.job as ExportJob).exportId, itemIndex).then(
				(job) => (run.job = job),
				() => undefined, // the stop's own error says more than a failed cancel
			);
		}
		// A stop can surface as any call's cancellation: report it with every job's state.
		if (signal?.aborted) throw stoppedError(context, 'The execution was stopped', runs, itemIndex);
		throw error instanceof NodeOperationError
			? error
			: new NodeOperationError(context.getNode(), error as Error, {
					itemIndex,
					description: describeJobs(runs),
				});
	}
}

/** Wait Until Done: passes until every job is Completed and handed over, or an error stops it. */
export async function runJobs(
	context: IExecuteFunctions,
	target: ExtractTarget,
	state: JobsState,
	settings: RunSettings,
	onCompleted: OnCompleted,
): Promise<RunJob[]> {
	const signal = context.getExecutionCancelSignal?.();
	for (;;) {
		await advanceJobs(context, target, state, settings, onCompleted);
		if (allDone(state)) return state.runs;
		const pause = nextDueAt(state, settings) - currentClock().now();
		if (pause > 0) await pauseUnlessCancelled(pause, signal);
	}
}
