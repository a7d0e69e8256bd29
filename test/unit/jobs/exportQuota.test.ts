import { normalizeExportJob, reasonOf1029 } from '../../../nodes/shared/jobs/exportJobs';
import {
	bytesUsedToday,
	nextQuotaReset,
	quotaDayStart,
	quotaReading,
} from '../../../nodes/shared/jobs/exportQuota';

const at = (iso: string) => Date.parse(iso);

describe('the quota day (midnight US Central Time)', () => {
	it('starts at 06:00 UTC in winter (CST) and 05:00 UTC in summer (CDT)', () => {
		expect(new Date(quotaDayStart(at('2026-01-15T12:00:00Z'))).toISOString()).toBe(
			'2026-01-15T06:00:00.000Z',
		);
		expect(new Date(quotaDayStart(at('2026-07-15T12:00:00Z'))).toISOString()).toBe(
			'2026-07-15T05:00:00.000Z',
		);
		// 03:00 UTC on the 16th is still the 15th in Chicago.
		expect(new Date(quotaDayStart(at('2026-01-16T03:00:00Z'))).toISOString()).toBe(
			'2026-01-15T06:00:00.000Z',
		);
	});

	it('resets at the next Central midnight, also across the DST changes', () => {
		expect(new Date(nextQuotaReset(at('2026-01-15T12:00:00Z'))).toISOString()).toBe(
			'2026-01-16T06:00:00.000Z',
		);
		// 2026-03-08 is the spring change in the US: the day begins in CST and the next in CDT.
		expect(new Date(nextQuotaReset(at('2026-03-08T12:00:00Z'))).toISOString()).toBe(
			'2026-03-09T05:00:00.000Z',
		);
		// 2026-11-01 is the autumn change.
		expect(new Date(nextQuotaReset(at('2026-11-01T12:00:00Z'))).toISOString()).toBe(
			'2026-11-02T06:00:00.000Z',
		);
	});
});

describe('bytesUsedToday', () => {
	const job = (finishedAt: string, fileSize: number, status = 'Completed') =>
		normalizeExportJob({ exportId: finishedAt, status, finishedAt, fileSize }, 0);

	it('adds the files of jobs completed since the quota day began, and nothing else', () => {
		const now = at('2026-01-15T20:00:00Z');
		const jobs = [
			job('2026-01-15T06:00:00Z', 100), // at midnight Central: today
			job('2026-01-15T05:59:59Z', 1_000), // yesterday
			job('2026-01-15T19:00:00Z', 10),
			job('2026-01-15T19:30:00Z', 5, 'Failed'),
		];
		expect(bytesUsedToday(jobs, now)).toBe(110);
		expect(quotaReading(110, 500, now)).toMatchObject({
			allocationBytes: 500_000_000,
			leftBytes: 499_999_890,
		});
	});
});

describe("Marketo's job answers", () => {
	it('reads both spellings of Cancelled and keeps counts as numbers', () => {
		expect(normalizeExportJob({ exportId: 'a', status: 'Canceled' }, 1).status).toBe('Cancelled');
		expect(
			normalizeExportJob(
				{ exportId: 'a', status: 'Completed', fileSize: '12', numberOfRecords: 3 },
				1,
			),
		).toMatchObject({ status: 'Completed', fileSize: 12, numberOfRecords: 3, readAt: 1 });
	});

	it("tells 1029's three reasons apart", () => {
		expect(reasonOf1029('Marketo error 1029: Too many jobs (10) in queue')).toBe('queueFull');
		expect(reasonOf1029('Marketo error 1029: Export daily quota 500MB exceeded')).toBe(
			'quotaExceeded',
		);
		expect(reasonOf1029('Marketo error 1029: Job already queued')).toBe('alreadyQueued');
	});
});
