/**
 * Marketo takes a date-range filter (`createdAt`, `updatedAt`) of at most 31 days per job. A
 * longer range becomes consecutive windows, one job each, that together cover it exactly once.
 * Both ends of Marketo's range count and its datetimes are to the second, so a window ends one
 * second before the next begins: a record made on the boundary is in one window, not two.
 */

export const MAX_WINDOW_DAYS = 31;
const DAY_MS = 24 * 60 * 60 * 1000;
const SECOND_MS = 1000;

/** Marketo's datetimes are to the second. */
function isoSeconds(ms: number): string {
	return new Date(Math.floor(ms / SECOND_MS) * SECOND_MS).toISOString().replace('.000Z', 'Z');
}

export interface DateWindow {
	/** ISO 8601, inclusive */
	startAt: string;
	/** ISO 8601 */
	endAt: string;
}

/** Pure: a date the user typed or an expression gave (ISO text, a Date, a Luxon DateTime) as ms. */
export function toInstant(value: unknown): number | null {
	if (value instanceof Date) return value.getTime();
	if (typeof value === 'number' && Number.isFinite(value)) return value;
	const text =
		typeof value === 'string'
			? value
			: value !== null && typeof value === 'object' && 'toISO' in value
				? String((value as { toISO: () => string }).toISO())
				: '';
	if (text.trim() === '') return null;
	const ms = Date.parse(text);
	return Number.isFinite(ms) ? ms : null;
}

/** Pure: [startMs, endMs] cut into windows of at most `maxDays` days, in order. */
export function splitIntoWindows(
	startMs: number,
	endMs: number,
	maxDays = MAX_WINDOW_DAYS,
): DateWindow[] {
	const windows: DateWindow[] = [];
	const step = maxDays * DAY_MS;
	for (let from = startMs; from <= endMs; from += step) {
		const last = from + step >= endMs;
		const to = last ? endMs : from + step - SECOND_MS;
		windows.push({ startAt: isoSeconds(from), endAt: isoSeconds(to) });
		if (last) break;
	}
	return windows;
}
