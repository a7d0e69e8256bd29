/**
 * The same-key guard's reading of a part: which records it touches. Two parts that upsert
 * the same lead (or custom-object record) must not run in Marketo's two lanes at once: Adobe
 * warns that concurrent upserts with the same key can create duplicates. So Bulk Import keeps
 * the keys of the part just before (one part: at most 10 MB of values) and holds a part that
 * shares any until that part's batch has finished.
 */
import { parseDelimited } from '../../../shared/csv/parser';
import { findUnquotedField, forEachRow, type FieldBounds } from '../../../shared/csv/rowFields';

/**
 * Pure: the indices of `keyColumns` in `header`, or null when one is missing (then nothing
 * identifies a row's record, and Marketo fails such rows itself).
 */
export function keyColumnIndices(header: string[], keyColumns: string[]): number[] | null {
	if (keyColumns.length === 0) return null;
	const indices = keyColumns.map((column) =>
		header.findIndex((name) => name.toLowerCase() === column.toLowerCase()),
	);
	return indices.every((index) => index >= 0) ? indices : null;
}

/**
 * Marketo matches emails and other lookup values without regard to case or surrounding
 * spaces; folding them here can only make two keys look equal, which costs a wait, never a
 * missed overlap.
 */
function normalizeKeyValue(value: string): string {
	return value.trim().toLowerCase();
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
	yield bytes;
}

/**
 * The keys of the data rows in `rows` (UTF-8, no header line): one string per row whose key
 * columns are not all empty. A row with a quoted key value is parsed whole.
 */
export async function keysOfRows(
	rows: Buffer,
	delimiter: string,
	indices: number[],
): Promise<Set<string>> {
	const keys = new Set<string>();
	const delimiterByte = delimiter.charCodeAt(0);
	const field: FieldBounds = { start: 0, end: 0 };
	await forEachRow(once(rows), delimiter, (bytes, start, end) => {
		const values: string[] = [];
		for (const index of indices) {
			if (!findUnquotedField(bytes, start, end, index, delimiterByte, field)) {
				const parsed = parseDelimited(bytes.toString('utf8', start, end), delimiter)[0] ?? [];
				values.length = 0;
				for (const i of indices) values.push(parsed[i] ?? '');
				break;
			}
			values.push(bytes.toString('utf8', field.start, field.end));
		}
		const normalized = values.map(normalizeKeyValue);
		if (normalized.some((value) => value !== '')) keys.add(normalized.join('\u0000'));
	});
	return keys;
}

/** Pure: how many keys of `next` are also in `previous`. */
export function countSharedKeys(previous: Set<string>, next: Set<string>): number {
	const [small, large] = previous.size <= next.size ? [previous, next] : [next, previous];
	let shared = 0;
	for (const key of small) if (large.has(key)) shared++;
	return shared;
}
