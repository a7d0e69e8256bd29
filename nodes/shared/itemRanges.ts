/**
 * Which input items a batch's rows came from, written compactly. With Items input, items
 * with equal settings share a file, so a part's rows are items 0-99 and 150-199 rather than
 * one run: a list of inclusive ranges keeps that exact without one number per row.
 */

/** Input items `from` to `to`, both included, in row order. */
export interface ItemRange {
	from: number;
	to: number;
}

/** Adds `index` after the ranges' last entry (extending the last range when it follows on). */
export function appendToRanges(ranges: ItemRange[], index: number): void {
	const last = ranges[ranges.length - 1];
	if (last !== undefined && index === last.to + 1) last.to = index;
	else ranges.push({ from: index, to: index });
}

/** Pure: item indices in row order -> the fewest ranges that list them in that order. */
export function toItemRanges(indices: readonly number[]): ItemRange[] {
	const ranges: ItemRange[] = [];
	for (const index of indices) appendToRanges(ranges, index);
	return ranges;
}

/** Pure: how many indices the ranges list. */
export function countOfRanges(ranges: readonly ItemRange[]): number {
	let count = 0;
	for (const { from, to } of ranges) count += to - from + 1;
	return count;
}

/**
 * Whether ascending numbers are in ascending ranges, asked in order (a part's row numbers,
 * read front to back): each question moves a cursor forward, so a whole part costs one walk.
 */
export class AscendingRangeCursor {
	private at = 0;

	constructor(private readonly ranges: readonly ItemRange[]) {}

	includes(value: number): boolean {
		const { ranges } = this;
		while (this.at < ranges.length && ranges[this.at].to < value) this.at++;
		return this.at < ranges.length && ranges[this.at].from <= value;
	}
}

/** Pure: the item at 0-based position `offset` of the rows the ranges list, null past their end. */
export function itemAtOffset(ranges: readonly ItemRange[], offset: number): number | null {
	if (offset < 0 || !Number.isInteger(offset)) return null;
	let remaining = offset;
	for (const { from, to } of ranges) {
		const length = to - from + 1;
		if (remaining < length) return from + remaining;
		remaining -= length;
	}
	return null;
}

/** Pure: every item the ranges list, in row order. */
export function itemsOfRanges(ranges: readonly ItemRange[]): number[] {
	const items: number[] = [];
	for (const { from, to } of ranges) for (let item = from; item <= to; item++) items.push(item);
	return items;
}

/** Pure: ranges read back from an item's JSON; undefined unless every entry is a valid range. */
export function itemRangesFrom(value: unknown): ItemRange[] | undefined {
	if (!Array.isArray(value) || value.length === 0) return undefined;
	const ranges: ItemRange[] = [];
	for (const entry of value as unknown[]) {
		const { from, to } = (entry ?? {}) as { from?: unknown; to?: unknown };
		if (
			!Number.isInteger(from) ||
			!Number.isInteger(to) ||
			(from as number) < 0 ||
			(to as number) < (from as number)
		) {
			return undefined;
		}
		ranges.push({ from: from as number, to: to as number });
	}
	return ranges;
}
