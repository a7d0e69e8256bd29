/**
 * Finds which submitted row a failure/warning row came from.
 *
 * Marketo's result files carry no row number: only the row's values. So we read the
 * submitted part again (the same bytes Marketo got), index its rows by the values of
 * the columns the result file has, and look each result row up. We only claim a row
 * number when it is provable:
 * - one submitted row with those values and one result row        -> 'exact'
 * - n identical submitted rows and n identical result rows         -> 'duplicate-rows'
 *   (assigned in order; the rows are indistinguishable, so any order is as true)
 * - no submitted row with those values                             -> 'not-found'
 * - anything else (e.g. 3 identical submitted rows, 1 failed)      -> 'ambiguous'
 * Marketo has been seen to leave out a column that was empty in every listed row; a
 * submitted row whose left-out columns are empty is then the better candidate, which
 * settles some otherwise ambiguous cases.
 *
 * Memory: only submitted rows whose values match some result row are remembered.
 */
import type { SubmittedGroup } from '../../../shared/batch';
import { groupValueOf } from '../../../shared/csv/groupFields';
import { parseDelimited } from '../../../shared/csv/parser';
import {
	findUnquotedField,
	forEachRow,
	hashBytes,
	hashOfUnquotedField,
	type FieldBounds,
} from '../../../shared/csv/rowFields';
import { AscendingRangeCursor, itemAtOffset, type ItemRange } from '../../../shared/itemRanges';
import type { TieBack } from '../../../shared/rowItems';
import type { ResultFile } from './resultRows';

export interface RowTie {
	/** 1-based data-row number in the submitted file, null when not provable */
	rowNumber: number | null;
	tieBack: TieBack;
}

import type { SubmittedFileReader } from './submittedFiles';

export interface SubmittedPart {
	/** the submitted file, shared by the batches of its parts (submittedFiles.ts) */
	reader: SubmittedFileReader;
	delimiter: string;
	/** byte range of the part's data rows in the file as read */
	dataStart: number;
	/** when the part's turn comes on the shared reader (submittedFiles.ts): `turnOf`, `dataStart` when absent */
	turn?: number;
	dataEnd: number;
	/** data-row number of the part's first row */
	firstRowNumber: number;
	/**
	 * A grouped import's part (Member Status or Program from a column): its rows are the
	 * rows of the range whose group columns hold these values; the others are other batches'.
	 */
	group?: SubmittedGroup;
	/**
	 * The part's rows' numbers, when not every row of the range is the part's (rows held back
	 * for a later part, or a held-back part's rows spread over the file): the others' positions
	 * count, their rows are not candidates.
	 */
	rowNumbers?: ItemRange[];
}

/** Pure: whether a parsed row belongs to the group (a row outside any group belongs to every part). */
function rowInGroup(fields: string[], group: SubmittedGroup | undefined): boolean {
	return (
		group === undefined ||
		group.columns.every((column, k) => groupValueOf(fields[column]) === group.values[k])
	);
}

/**
 * Pure: the key plan of a grouped part. The group columns were not uploaded, so a result
 * file never has them: they are neither key columns nor "left out" by Marketo.
 */
function withoutGroupColumns(
	plan: KeyPlan | null,
	group: SubmittedGroup | undefined,
): KeyPlan | null {
	if (plan === null || group === undefined) return plan;
	const shared = plan.shared.filter((column) => !group.columns.includes(column.submittedIndex));
	if (shared.length === 0) return null;
	return {
		shared,
		omittedIndices: plan.omittedIndices.filter((index) => !group.columns.includes(index)),
	};
}

export interface KeyPlan {
	/** result-file column -> index of the same column in the submitted header */
	shared: Array<{ resultColumn: string; submittedIndex: number }>;
	/** submitted columns the result file left out */
	omittedIndices: number[];
}

function normalizedName(name: string): string {
	return name.trim().toLowerCase();
}

/**
 * Which columns identify a row. A result column is matched to the submitted header by
 * exact name first, then ignoring case and surrounding spaces (Marketo may echo the REST
 * name rather than what the file said). Null when no column is shared.
 */
export function planRowKey(resultColumns: string[], submittedHeader: string[]): KeyPlan | null {
	const used = new Set<number>();
	const shared: KeyPlan['shared'] = [];
	for (const resultColumn of resultColumns) {
		let index = submittedHeader.findIndex((name, i) => !used.has(i) && name === resultColumn);
		if (index === -1) {
			const wanted = normalizedName(resultColumn);
			index = submittedHeader.findIndex(
				(name, i) => !used.has(i) && normalizedName(name) === wanted,
			);
		}
		if (index === -1) continue;
		used.add(index);
		shared.push({ resultColumn, submittedIndex: index });
	}
	if (shared.length === 0) return null;
	const omittedIndices = submittedHeader.map((_, i) => i).filter((i) => !used.has(i));
	return { shared, omittedIndices };
}

export function resultRowKey(values: Record<string, string>, plan: KeyPlan): string {
	return JSON.stringify(plan.shared.map((column) => values[column.resultColumn] ?? ''));
}

export function submittedRowKey(fields: string[], plan: KeyPlan): string {
	return JSON.stringify(plan.shared.map((column) => fields[column.submittedIndex] ?? ''));
}

export interface Candidate {
	/** 0-based position among the part's data rows */
	position: number;
	/** every column the result file left out is empty in this row */
	omittedEmpty: boolean;
}

const PROBE_BITS_BYTES = 8192;

/** Remembers the submitted rows whose key is wanted, in file order. */
export class CandidateIndex {
	readonly byKey = new Map<string, Candidate[]>();
	/**
	 * The shared column that comes first in the submitted rows, and the values the
	 * wanted rows have in it: a row whose value there is not one of them cannot match,
	 * so it is passed over without being parsed (most rows of a part did not fail).
	 */
	readonly probeIndex: number;
	private readonly probeValues = new Set<string>();
	/** hashes of the probe values' bytes: most rows are passed over without making a string */
	private readonly probeHashes = new Set<number>();
	/**
	 * The low 16 bits of those hashes as a bit table: a row is passed over after one array
	 * read, before the costlier Set lookup (a 1 GB file has millions of rows to pass over).
	 */
	private readonly probeHashBits = new Uint8Array(PROBE_BITS_BYTES);

	constructor(
		private readonly plan: KeyPlan,
		wantedKeys: Iterable<string>,
	) {
		let probe = 0;
		plan.shared.forEach((column, j) => {
			if (column.submittedIndex < plan.shared[probe].submittedIndex) probe = j;
		});
		this.probeIndex = plan.shared[probe].submittedIndex;
		for (const key of wantedKeys) {
			this.byKey.set(key, []);
			const value = (JSON.parse(key) as string[])[probe];
			this.probeValues.add(value);
			const bytes = Buffer.from(value, 'utf8');
			const hash = hashBytes(bytes, 0, bytes.length);
			this.probeHashes.add(hash);
			this.probeHashBits[(hash >>> 3) & (PROBE_BITS_BYTES - 1)] |= 1 << (hash & 7);
		}
	}

	/** Whether a row whose probe column holds `value` may be wanted. */
	mayMatch(value: string): boolean {
		return this.probeValues.has(value);
	}

	/**
	 * Whether the row in bytes [start, end) may be wanted, judged from its probe column
	 * without parsing the row (true when a quoted field is in the way: parse it then).
	 */
	mayHold(bytes: Buffer, start: number, end: number, delimiter: number): boolean {
		const hash = hashOfUnquotedField(bytes, start, end, this.probeIndex, delimiter);
		if (hash === -1) return true;
		if ((this.probeHashBits[(hash >>> 3) & (PROBE_BITS_BYTES - 1)] & (1 << (hash & 7))) === 0)
			return false;
		if (!this.probeHashes.has(hash)) return false;
		const field = this.field;
		findUnquotedField(bytes, start, end, this.probeIndex, delimiter, field);
		return this.mayMatch(bytes.toString('utf8', field.start, field.end));
	}

	/** reused for every row: the hot loop makes no object per row */
	private readonly field: FieldBounds = { start: 0, end: 0 };

	add(fields: string[], position: number): void {
		const list = this.byKey.get(submittedRowKey(fields, this.plan));
		if (list === undefined) return;
		const omittedEmpty = this.plan.omittedIndices.every((i) => (fields[i] ?? '') === '');
		list.push({ position, omittedEmpty });
	}
}

/** Pure: gives every result row (by its key, in file order) a row number or says why not. */
export function assignRowNumbers(
	resultKeys: string[],
	candidatesByKey: Map<string, Candidate[]>,
	firstRowNumber: number,
): RowTie[] {
	const resultRowsByKey = new Map<string, number[]>();
	resultKeys.forEach((key, index) => {
		const list = resultRowsByKey.get(key);
		if (list) list.push(index);
		else resultRowsByKey.set(key, [index]);
	});

	const ties: RowTie[] = new Array(resultKeys.length);
	for (const [key, resultIndices] of resultRowsByKey) {
		const all = candidatesByKey.get(key) ?? [];
		let chosen = all;
		if (all.length !== resultIndices.length) {
			const better = all.filter((candidate) => candidate.omittedEmpty);
			if (better.length === resultIndices.length) chosen = better;
		}
		resultIndices.forEach((resultIndex, order) => {
			if (all.length === 0) {
				ties[resultIndex] = { rowNumber: null, tieBack: 'not-found' };
			} else if (chosen.length !== resultIndices.length) {
				ties[resultIndex] = { rowNumber: null, tieBack: 'ambiguous' };
			} else {
				ties[resultIndex] = {
					rowNumber: firstRowNumber + chosen[order].position,
					tieBack: chosen.length === 1 ? 'exact' : 'duplicate-rows',
				};
			}
		});
	}
	return ties;
}

/**
 * Ties the rows of one or more result files (failures, warnings) of the same batch
 * back to the submitted part, reading the part once, in the file's turn.
 */
export async function tieBackResultFiles(
	files: ResultFile[],
	part: SubmittedPart,
): Promise<RowTie[][]> {
	if (files.every((file) => file.rows.length === 0)) {
		part.reader.release(part.turn ?? part.dataStart); // nothing to tie back: no turn taken, no byte read
		return files.map(() => []);
	}
	const turn = part.turn ?? part.dataStart;
	return await part.reader.inTurn(turn, async () => await tieBackInTurn(files, part));
}

async function tieBackInTurn(files: ResultFile[], part: SubmittedPart): Promise<RowTie[][]> {
	const header = await part.reader.headerRow();
	const plans = files.map((file) =>
		withoutGroupColumns(planRowKey(file.columns, header), part.group),
	);
	const resultKeys = files.map((file, f) => {
		const plan = plans[f];
		return plan === null ? [] : file.rows.map((row) => resultRowKey(row.values, plan));
	});
	const indexes = files.map((_, f) => {
		const plan = plans[f];
		return plan === null ? null : new CandidateIndex(plan, resultKeys[f]);
	});

	const wanted = indexes.filter(
		(index): index is CandidateIndex => index !== null && index.byKey.size > 0,
	);
	if (wanted.length > 0) {
		const delimiterByte = part.delimiter.charCodeAt(0);
		const own = part.rowNumbers ? new AscendingRangeCursor(part.rowNumbers) : null;
		await forEachRow(
			part.reader.range(part.dataStart, part.dataEnd),
			part.delimiter,
			(bytes, start, end, position) => {
				if (own !== null && !own.includes(part.firstRowNumber + position)) return;
				let fields: string[] | undefined;
				for (let i = 0; i < wanted.length; i++) {
					if (!wanted[i].mayHold(bytes, start, end, delimiterByte)) continue;
					fields ??= parseDelimited(bytes.toString('utf8', start, end), part.delimiter, {
						atFileStart: false,
					})[0] ?? [''];
					// The range holds other groups' rows too: their positions count, their rows are not candidates.
					if (!rowInGroup(fields, part.group)) break;
					wanted[i].add(fields, position);
				}
			},
		);
	}

	return files.map((file, f) => {
		const index = indexes[f];
		if (index === null) {
			// No shared column: every submitted row "matches"; claiming one would be a guess.
			return file.rows.map(() => ({ rowNumber: null, tieBack: 'ambiguous' as const }));
		}
		return assignRowNumbers(resultKeys[f], index.byKey, part.firstRowNumber);
	});
}

/**
 * Pure: a part's turn on the file's reader. Parts take turns in file order, by where their range
 * starts; a part whose range also holds other parts' rows (held-back rows, spread over the file)
 * goes after every part that starts inside its range, so those are read in one pass and only it
 * reads its range again (half a byte before its end: never equal to another part's start).
 */
export function turnOf(dataStart: number, dataEnd: number, rowNumbers?: ItemRange[]): number {
	return rowNumbers === undefined ? dataStart : dataEnd - 0.5;
}

export function noSubmittedFileTies(file: ResultFile): RowTie[] {
	return file.rows.map(() => ({ rowNumber: null, tieBack: 'no-submitted-file' as const }));
}

/**
 * "Items" input: the input item a row came from. The part's `sourceItemRanges` list its rows'
 * items in row order; without them (batches output before they existed) rows were written one
 * per item, in order, from `firstSourceItemIndex`.
 */
export function sourceItemIndexOf(
	rowNumber: number | null,
	firstRowNumber: number,
	firstSourceItemIndex: number | undefined,
	sourceItemRanges?: ItemRange[],
): number | null {
	if (rowNumber === null) return null;
	if (sourceItemRanges !== undefined)
		return itemAtOffset(sourceItemRanges, rowNumber - firstRowNumber);
	if (firstSourceItemIndex === undefined) return null;
	return firstSourceItemIndex + (rowNumber - firstRowNumber);
}
