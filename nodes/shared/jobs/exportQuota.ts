/**
 * Marketo's daily export allocation (500 MB by default, more can be bought) is shared by the four
 * extract types and by every integration of the instance, measured on the files' size, and reset
 * at midnight US Central Time. Marketo gives no call that says what is left: today's use is the
 * sum of the files of the jobs that completed since that midnight, from the four job lists
 * (which show only this API user's jobs, so other integrations' use is not seen).
 */
import { EXTRACT_TYPES, type ExtractTarget } from '../extractTypes';
import type { MarketoContext } from '../transport';
import { listExportJobs, type ExportJob } from './exportJobs';

export const MARKETO_QUOTA_TIME_ZONE = 'America/Chicago';
export const DEFAULT_DAILY_EXPORT_MB = 500;
export const BYTES_PER_MB = 1_000_000;

interface DateParts {
	year: number;
	month: number;
	day: number;
}

/** Pure: the calendar date and clock time at `ms` in `timeZone`, as a UTC timestamp (for offsets). */
function wallClockAsUtc(ms: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
	}).formatToParts(ms);
	const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
	return Date.UTC(
		get('year'),
		get('month') - 1,
		get('day'),
		get('hour'),
		get('minute'),
		get('second'),
	);
}

function dateIn(ms: number, timeZone: string): DateParts {
	const wall = new Date(wallClockAsUtc(ms, timeZone));
	return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** Pure: the instant midnight starts `date` in `timeZone` (twice checked, for the day DST moves). */
function midnightOf(date: DateParts, timeZone: string): number {
	const guess = Date.UTC(date.year, date.month - 1, date.day);
	let instant = guess - (wallClockAsUtc(guess, timeZone) - guess);
	instant = guess - (wallClockAsUtc(instant, timeZone) - instant);
	return instant;
}

/** Pure: when the current quota day began (midnight Central Time) at `nowMs`. */
export function quotaDayStart(nowMs: number): number {
	return midnightOf(dateIn(nowMs, MARKETO_QUOTA_TIME_ZONE), MARKETO_QUOTA_TIME_ZONE);
}

/** Pure: the next reset (the coming midnight Central Time) after `nowMs`. */
export function nextQuotaReset(nowMs: number): number {
	const today = dateIn(nowMs, MARKETO_QUOTA_TIME_ZONE);
	const tomorrow = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
	return midnightOf(
		{
			year: tomorrow.getUTCFullYear(),
			month: tomorrow.getUTCMonth() + 1,
			day: tomorrow.getUTCDate(),
		},
		MARKETO_QUOTA_TIME_ZONE,
	);
}

/** Pure: bytes of the files of jobs completed since the quota day began. */
export function bytesUsedToday(jobs: ExportJob[], nowMs: number): number {
	const dayStart = quotaDayStart(nowMs);
	let used = 0;
	for (const job of jobs) {
		const finished = job.finishedAt ? Date.parse(job.finishedAt) : NaN;
		if (job.status === 'Completed' && finished >= dayStart) used += job.fileSize ?? 0;
	}
	return used;
}

export interface QuotaReading {
	usedBytes: number;
	allocationBytes: number;
	/** what is left of the allocation (never below 0) */
	leftBytes: number;
	resetsAt: number;
}

export function quotaReading(usedBytes: number, allocationMb: number, nowMs: number): QuotaReading {
	const allocationBytes = allocationMb * BYTES_PER_MB;
	return {
		usedBytes,
		allocationBytes,
		leftBytes: Math.max(0, allocationBytes - usedBytes),
		resetsAt: nextQuotaReset(nowMs),
	};
}

/** Today's use, read from the four job lists (one call each, more for 300+ jobs). */
export async function readQuotaUse(
	context: MarketoContext,
	customObjectApiName: string | undefined,
	nowMs: number,
	itemIndex?: number,
): Promise<number> {
	const targets: ExtractTarget[] = EXTRACT_TYPES.filter(
		(type) => type !== 'customObjects' || customObjectApiName !== undefined,
	).map((extractType) =>
		extractType === 'customObjects'
			? { extractType, objectApiName: customObjectApiName }
			: { extractType },
	);
	let used = 0;
	for (const target of targets) {
		used += bytesUsedToday(await listExportJobs(context, target, ['Completed'], itemIndex), nowMs);
	}
	return used;
}

/** Pure: "Dec 8, 2026, 7:00 AM" in the user's time zone, for messages. */
export function formatInTimeZone(ms: number, timeZone: string): string {
	return new Intl.DateTimeFormat('en-US', {
		timeZone,
		dateStyle: 'medium',
		timeStyle: 'short',
	}).format(ms);
}

export function formatMb(bytes: number): string {
	return `${(bytes / BYTES_PER_MB).toFixed(1)} MB`;
}
