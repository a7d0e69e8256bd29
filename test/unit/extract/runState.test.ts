import type { ExportJob } from '../../../nodes/shared/jobs/exportJobs';
import { quotaReading } from '../../../nodes/shared/jobs/exportQuota';
import {
	planJobs,
	type ExtractRequest,
} from '../../../nodes/MarketoBulkExtract/helpers/plan/extractPlan';
import {
	newJobsState,
	nextDueAt,
	type RunSettings,
} from '../../../nodes/MarketoBulkExtract/helpers/run/jobRunner';
import {
	extractTypeOf,
	saveState,
	type KeptSettings,
} from '../../../nodes/MarketoBulkExtract/helpers/run/runState';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 5, 1, 12);

const request: ExtractRequest = {
	target: { extractType: 'leads' },
	fields: ['id', 'email'],
	filter: {
		kind: 'createdAt',
		startMs: Date.UTC(2026, 0, 1),
		endMs: Date.UTC(2026, 0, 1) + 70 * DAY,
	},
	extra: {},
	format: 'csv',
};
const settings: RunSettings = {
	itemIndex: 0,
	maxJobsInQueue: 2,
	queueWaitLimitMs: 60 * 60_000,
	timeLimitMs: 120 * 60_000,
};
const kept: KeptSettings = {
	...settings,
	output: 'oneFile',
	binaryProperty: 'data',
	fileName: 'leads',
	dailyAllocationMb: 500,
	maxFileMb: 0,
};
const queued = (exportId: string): ExportJob => ({ exportId, status: 'Queued', readAt: NOW });

describe('Check Once state', () => {
	it('keeps per window only what a later run needs, and survives JSON (an n8n item)', () => {
		const state = newJobsState(planJobs(request), NOW);
		state.runs[0].job = queued('a');
		state.runs[0].nextPollAt = NOW + 60_000;
		const saved = saveState(request, kept, quotaReading(0, 500, NOW), state);
		expect(JSON.parse(JSON.stringify(saved))).toEqual(saved);
		expect(saved.jobs).toEqual([
			{ job: queued('a'), nextPollAt: NOW + 60_000, failures: 0, completed: false },
			{ job: null, nextPollAt: 0, failures: 0, completed: false },
			{ job: null, nextPollAt: 0, failures: 0, completed: false },
		]);
		// the windows are planned again from the request, not stored
		expect(JSON.stringify(saved)).not.toContain('startAt');
	});

	it('is next due at the earliest status read of our jobs, or an enqueue where we have room', () => {
		const state = newJobsState(planJobs(request), NOW);
		state.runs[0].job = queued('a');
		state.runs[0].nextPollAt = NOW + 60_000;
		state.runs[1].job = queued('b');
		state.runs[1].nextPollAt = NOW + 50_000;
		// both places of ours taken: the third window waits for a status read
		expect(nextDueAt(state, settings)).toBe(NOW + 50_000);
		// a full queue: the retry of the enqueue, when it comes first
		state.queue.retryAt = NOW + 30_000;
		expect(nextDueAt(state, { ...settings, maxJobsInQueue: 3 })).toBe(NOW + 30_000);
		// never past the Time Limit
		expect(nextDueAt(state, { ...settings, timeLimitMs: 10_000 })).toBe(NOW + 10_000);
	});

	it('knows the extract type of each operation', () => {
		expect(
			['extractLeads', 'extractActivities', 'extractProgramMembers', 'extractCustomObjects'].map(
				extractTypeOf,
			),
		).toEqual(['leads', 'activities', 'programMembers', 'customObjects']);
	});
});
