import {
	describeRequest,
	planJobs,
	type ExtractRequest,
} from '../../../nodes/MarketoBulkExtract/helpers/plan/extractPlan';
import {
	MAX_WINDOW_DAYS,
	splitIntoWindows,
	toInstant,
} from '../../../nodes/MarketoBulkExtract/helpers/plan/windows';

const DAY = 24 * 60 * 60 * 1000;
const at = (iso: string) => Date.parse(iso);

describe('splitIntoWindows', () => {
	it('keeps a range of 31 days or less as one window, both ends as given', () => {
		expect(splitIntoWindows(at('2026-01-01T00:00:00Z'), at('2026-01-31T23:59:59Z'))).toEqual([
			{ startAt: '2026-01-01T00:00:00Z', endAt: '2026-01-31T23:59:59Z' },
		]);
	});

	it('cuts a 14-month range into consecutive windows of at most 31 days, no second twice or missed', () => {
		const start = at('2025-01-01T00:00:00Z');
		const end = at('2026-03-01T00:00:00Z');
		const windows = splitIntoWindows(start, end);
		expect(windows.length).toBeGreaterThanOrEqual(14);
		expect(windows[0].startAt).toBe('2025-01-01T00:00:00Z');
		expect(windows.at(-1)!.endAt).toBe('2026-03-01T00:00:00Z');
		for (let i = 0; i < windows.length; i++) {
			const from = Date.parse(windows[i].startAt);
			const to = Date.parse(windows[i].endAt);
			expect(to - from).toBeLessThanOrEqual(MAX_WINDOW_DAYS * DAY);
			// Both ends count in Marketo: the next window starts one second after this one ends.
			if (i > 0) expect(from - Date.parse(windows[i - 1].endAt)).toBe(1000);
		}
	});

	it('makes no one-second window when the range is an exact multiple of 31 days', () => {
		const start = at('2026-01-01T00:00:00Z');
		const windows = splitIntoWindows(start, start + 2 * MAX_WINDOW_DAYS * DAY);
		expect(windows).toHaveLength(2);
	});
});

describe('toInstant', () => {
	it('reads ISO text, Dates and Luxon-like DateTimes; refuses the rest', () => {
		expect(toInstant('2026-01-02T03:04:05Z')).toBe(at('2026-01-02T03:04:05Z'));
		expect(toInstant(new Date(5))).toBe(5);
		expect(toInstant({ toISO: () => '2026-01-02T00:00:00.000+01:00' })).toBe(
			at('2026-01-01T23:00:00Z'),
		);
		expect(toInstant('')).toBeNull();
		expect(toInstant('yesterday')).toBeNull();
	});
});

describe('planJobs', () => {
	const base: ExtractRequest = {
		target: { extractType: 'leads' },
		fields: ['email', 'firstName'],
		filter: {
			kind: 'createdAt',
			startMs: at('2026-01-01T00:00:00Z'),
			endMs: at('2026-03-15T00:00:00Z'),
		},
		extra: {},
		format: 'tsv',
	};

	it('makes one body per window with the fields and the format Marketo names', () => {
		const jobs = planJobs(base);
		expect(jobs).toHaveLength(3);
		expect(jobs[0].body).toEqual({
			fields: ['email', 'firstName'],
			format: 'TSV',
			filter: { createdAt: { startAt: '2026-01-01T00:00:00Z', endAt: jobs[0].window!.endAt } },
		});
	});

	it('sends one list or program filter as it is, with the extras', () => {
		expect(planJobs({ ...base, filter: { kind: 'staticListId', id: 7 } })[0].body.filter).toEqual({
			staticListId: 7,
		});
		const members = planJobs({
			...base,
			target: { extractType: 'programMembers' },
			filter: { kind: 'programIds', ids: [1001] },
			extra: { statusNames: ['Attended'] },
		});
		expect(members[0].body.filter).toEqual({ programId: 1001, statusNames: ['Attended'] });
		const activities = planJobs({
			...base,
			target: { extractType: 'activities' },
			fields: null,
			extra: { activityTypeIds: [1, 12] },
		});
		expect(activities[0].body.fields).toBeUndefined();
		expect(activities[0].body.filter).toMatchObject({ activityTypeIds: [1, 12] });
	});

	it('says what is extracted', () => {
		expect(describeRequest({ ...base, filter: { kind: 'smartListId', id: 3 } })).toBe(
			'leads of smart list 3',
		);
	});
});
