/**
 * What the user reads when an extract stops: why, and the state of every job it made (which
 * completed, which were cancelled, which windows never got a job), so nothing is left unknown.
 */
import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { ExportJob } from '../../../shared/jobs/exportJobs';
import { formatInTimeZone, formatMb, nextQuotaReset } from '../../../shared/jobs/exportQuota';
import { currentClock } from '../../../shared/pacing';
import type { PlannedJob } from '../plan/extractPlan';

/** One planned job as the runner tracks it. */
export interface RunJob {
	index: number;
	plan: PlannedJob;
	/** the job's last known state; null before it is created (or after a Failed one, until made again) */
	job: ExportJob | null;
	nextPollAt: number;
	failures: number;
	/** completed and handed over */
	done: boolean;
	/** its file is in n8n's binary data (Check Once downloads only once every job has completed) */
	stored?: boolean;
}

/** Pure: "window 1 (2026-01-01T00:00:00Z to 2026-01-31T23:59:59Z)" or "the extract". */
export function jobLabel(run: RunJob, count: number): string {
	const window = run.plan.window;
	if (window) return `window ${run.index + 1} (${window.startAt} to ${window.endAt})`;
	return count > 1 ? `job ${run.index + 1}` : 'the extract';
}

/** Pure: one line per job: its export ID and status, or that it was never made. */
export function describeJobs(runs: RunJob[]): string {
	return runs
		.map((run) => {
			const label = jobLabel(run, runs.length);
			if (run.done) {
				return `${label}: export ${run.job?.exportId} Completed${run.stored ? ' and downloaded' : ''}.`;
			}
			if (run.job === null) return `${label}: no job was created.`;
			return `${label}: export ${run.job.exportId} ${run.job.status}.`;
		})
		.join(' ');
}

export function stoppedError(
	context: IExecuteFunctions,
	reason: string,
	runs: RunJob[],
	itemIndex: number,
): NodeOperationError {
	const downloaded = runs.filter((run) => run.stored).length;
	return new NodeOperationError(context.getNode(), `${reason}; the extract was stopped`, {
		itemIndex,
		description: `${describeJobs(runs)} Jobs of ours still Queued or Processing were cancelled, so they no longer hold Marketo's export queue or quota. ${
			downloaded > 0
				? `${downloaded} of ${runs.length} files were downloaded but are not output: run the extract again (a shorter range, or after the cause is fixed).`
				: 'Nothing was output.'
		}`,
	});
}

/** The daily quota is used up: when it resets, in the user's time zone, and what was used today. */
export function quotaExceededError(
	context: IExecuteFunctions,
	marketoMessage: string,
	usedTodayBytes: number | null,
	runs: RunJob[],
	itemIndex: number,
): NodeOperationError {
	const timeZone = context.getTimezone();
	const resetsAt = formatInTimeZone(nextQuotaReset(currentClock().now()), timeZone);
	const used =
		usedTodayBytes === null
			? ''
			: ` This API user's extracts used ${formatMb(usedTodayBytes)} of it today (other integrations' use is not visible).`;
	const error = stoppedError(
		context,
		`Marketo's daily export quota is used up (${marketoMessage}); it resets at midnight US Central Time, ${resetsAt} (${timeZone})`,
		runs,
		itemIndex,
	);
	error.description = `${used.trim()} ${error.description ?? ''}`.trim();
	return error;
}
