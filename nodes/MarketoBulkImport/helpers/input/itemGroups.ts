import type { ImportPlan } from '../plan/importPlan';

/**
 * Items input: every parameter that accepts an expression is read per item, and items whose
 * settings come out equal share one file (one batch sequence). Groups keep the order in which
 * their first item arrived, and each group's items keep their input order.
 */

export interface ItemGroup<T> {
	/** what made the items equal (their plan's key) */
	key: string;
	/** the settings of the group's first item; every item of the group has equal ones */
	settings: T;
	/** input item indices, ascending: row N of the group's file is item itemIndices[N - 1] */
	itemIndices: number[];
}

/** Pure: the items (indices, ascending) grouped by key, groups in first-seen order. `settingsOf(i)` is asked once per item. */
export function groupItems<T>(
	itemIndices: readonly number[],
	settingsOf: (itemIndex: number) => T,
	keyOf: (settings: T) => string,
): Array<ItemGroup<T>> {
	const groups = new Map<string, ItemGroup<T>>();
	for (const itemIndex of itemIndices) {
		const settings = settingsOf(itemIndex);
		const key = keyOf(settings);
		const group = groups.get(key);
		if (group) group.itemIndices.push(itemIndex);
		else groups.set(key, { key, settings, itemIndices: [itemIndex] });
	}
	return [...groups.values()];
}

/**
 * Pure: what makes two items' imports the same import: where the file goes and the query
 * Marketo gets with it (program, status, list, lookup field, partition, object).
 */
export function planKeyOf(plan: Pick<ImportPlan, 'target' | 'query'>): string {
	return JSON.stringify([sortedEntries(plan.target), sortedEntries(plan.query)]);
}

function sortedEntries(record: object): Array<[string, unknown]> {
	return Object.entries(record)
		.filter(([, value]) => value !== undefined)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Pure: the items whose rows are rows `firstRowNumber` .. + `rows` - 1 of a group's file. */
export function itemsOfRows(
	itemIndices: readonly number[],
	firstRowNumber: number,
	rows: number,
): number[] {
	return itemIndices.slice(firstRowNumber - 1, firstRowNumber - 1 + rows);
}

/** Pure: whether a raw parameter value (as stored in the workflow) holds an n8n expression anywhere. */
export function holdsExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(holdsExpression);
	if (value !== null && typeof value === 'object')
		return Object.values(value).some(holdsExpression);
	return false;
}

/** Pure: the first item whose value differs from item 0's (compared as JSON), undefined when all agree. */
export function firstItemDiffering(
	valueOf: (itemIndex: number) => unknown,
	itemCount: number,
): number | undefined {
	const first = JSON.stringify(valueOf(0) ?? null);
	for (let itemIndex = 1; itemIndex < itemCount; itemIndex++) {
		if (JSON.stringify(valueOf(itemIndex) ?? null) !== first) return itemIndex;
	}
	return undefined;
}
