/**
 * Check Once keeps no execution waiting: each run does what is due and, until every job has
 * completed, outputs a still-running item whose `extractState` holds all a later run needs (the
 * request as first planned, the options, the quota read before anything was created, each
 * job's ID, status and next status read). A Wait-node loop feeds that item back in.
 */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { EXTRACT_TYPES, type ExtractType } from '../../../shared/extractTypes';
import type { ExportJob } from '../../../shared/jobs/exportJobs';
import type { QuotaReading } from '../../../shared/jobs/exportQuota';
import { currentClock } from '../../../shared/pacing';
import { commonJson, type OutputSettings } from '../output/extractOutput';
import { planJobs, type ExtractRequest } from '../plan/extractPlan';
import { nextDueAt, type JobsState, type RunSettings } from './jobRunner';

const STATE_VERSION = 1;
export const STATE_FIELD = 'extractState';

export type KeptSettings = Omit<RunSettings & OutputSettings, 'itemIndex'>;

export interface ExtractState {
	version: number;
	/** the request as the first run resolved it (All Fields read then) */
	request: ExtractRequest;
	settings: KeptSettings;
	quota: QuotaReading;
	startedAt: number;
	queue: JobsState['queue'];
	jobs: Array<{
		job: ExportJob | null;
		nextPollAt: number;
		failures: number;
		completed: boolean;
	}>;
}

export interface Continued {
	request: ExtractRequest;
	settings: KeptSettings;
	quota: QuotaReading;
	state: JobsState;
}

export function keptSettings(settings: RunSettings & OutputSettings): KeptSettings {
	return {
		maxJobsInQueue: settings.maxJobsInQueue,
		queueWaitLimitMs: settings.queueWaitLimitMs,
		timeLimitMs: settings.timeLimitMs,
		output: settings.output,
		binaryProperty: settings.binaryProperty,
		fileName: settings.fileName,
		dailyAllocationMb: settings.dailyAllocationMb,
		maxFileMb: settings.maxFileMb,
	};
}

/** Pure: the state a later run continues from. */
export function saveState(
	request: ExtractRequest,
	settings: KeptSettings,
	quota: QuotaReading,
	state: JobsState,
): ExtractState {
	return {
		version: STATE_VERSION,
		request,
		settings,
		quota,
		startedAt: state.startedAt,
		queue: { ...state.queue },
		jobs: state.runs.map((run) => ({
			job: run.job,
			nextPollAt: run.nextPollAt,
			failures: run.failures,
			completed: run.done,
		})),
	};
}

/** Pure: the input item's state, when it carries one (null: a new extract). */
export function stateIn(json: IDataObject): unknown {
	return json[STATE_FIELD] ?? null;
}

/** The jobs where the state left them; a state this node did not make, or of another operation, is refused. */
export function loadState(
	context: IExecuteFunctions,
	raw: unknown,
	extractType: string,
	itemIndex: number,
): Continued {
	const saved = raw as Partial<ExtractState> | null;
	const request = saved?.request;
	const valid =
		saved !== null &&
		typeof saved === 'object' &&
		saved.version === STATE_VERSION &&
		request !== undefined &&
		EXTRACT_TYPES.includes(request.target?.extractType as ExtractType) &&
		Array.isArray(saved.jobs) &&
		saved.settings !== undefined &&
		saved.quota !== undefined &&
		saved.queue !== undefined &&
		typeof saved.startedAt === 'number';
	const planned = valid ? planJobs(request) : [];
	if (!valid || planned.length !== saved.jobs!.length) {
		throw new NodeOperationError(
			context.getNode(),
			`The input item's "${STATE_FIELD}" is not one this node output`,
			{
				itemIndex,
				description: `With Wait set to Check Once, feed back the still-running item the node output, unchanged (its "${STATE_FIELD}" field), or remove that field to start a new extract.`,
			},
		);
	}
	if (request.target.extractType !== extractType) {
		throw new NodeOperationError(
			context.getNode(),
			`The input item continues an extract of ${request.target.extractType}, not this operation's`,
			{
				itemIndex,
				description:
					'Feed the still-running item back into the node that output it, with the same operation.',
			},
		);
	}
	const state: JobsState = {
		startedAt: saved.startedAt!,
		queue: { ...saved.queue! },
		runs: planned.map((plan, index) => {
			const kept = saved.jobs![index];
			return {
				index,
				plan,
				job: kept.job,
				nextPollAt: kept.nextPollAt,
				failures: kept.failures,
				done: kept.completed,
			};
		}),
	};
	return { request, settings: saved.settings!, quota: saved.quota!, state };
}

/** Pure: the extract type an operation extracts. */
export function extractTypeOf(operation: string): ExtractType {
	switch (operation) {
		case 'extractActivities':
			return 'activities';
		case 'extractProgramMembers':
			return 'programMembers';
		case 'extractCustomObjects':
			return 'customObjects';
		default:
			return 'leads';
	}
}

function statusOf(job: ExportJob | null): string {
	return job === null ? 'Not created' : job.status;
}

/** The item a Check Once run outputs while jobs are still running: `stillRunning`, when to check next, and the state. */
export function stillRunningJson(
	request: ExtractRequest,
	settings: KeptSettings,
	quota: QuotaReading,
	state: JobsState,
): IDataObject {
	const now = currentClock().now();
	const dueAt = Math.max(now, nextDueAt(state, { ...settings, itemIndex: 0 }));
	const common = commonJson(request, settings, quota, 0);
	delete common.quota;
	return {
		stillRunning: true,
		...common,
		jobsCompleted: state.runs.filter((run) => run.done).length,
		jobsTotal: state.runs.length,
		jobs: state.runs.map((run) => ({
			exportId: run.job?.exportId ?? null,
			window: run.plan.window ? { ...run.plan.window } : null,
			status: statusOf(run.job),
		})),
		// Marketo updates a job's status once a minute: a check sooner than this reads nothing.
		checkAgainAfter: new Date(dueAt).toISOString(),
		checkAgainInSeconds: Math.max(1, Math.ceil((dueAt - now) / 1000)),
		[STATE_FIELD]: saveState(request, settings, quota, state) as unknown as IDataObject,
	};
}
