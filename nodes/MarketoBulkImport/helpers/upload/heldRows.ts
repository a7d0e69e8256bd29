/**
 * The same-key guard over the whole file, holding back rows rather than parts.
 *
 * One reading of the file (`findRepeatedKeys`) finds the record keys it holds more than once.
 * Then, as the parts are cut, a row whose record already has rows in an earlier part is taken
 * out of its part (`keepRows`): every part keeps only records no earlier part holds, so any two
 * of them may run in Marketo at the same time. The rows taken out are cut, in file order, into
 * held-back parts (`heldBackParts`, one more reading of the file), each uploaded only once the
 * parts holding its records' earlier rows have finished: a record's rows are applied in the
 * file's order, so its last row wins as in a one-part import.
 *
 * Where rows cannot be moved (a grouped import, whose parts are already a selection; Items
 * input, whose part files are attached to the batch items; more repeated keys than the table
 * holds), whole parts wait instead (`partDependencies`), still over the whole file.
 *
 * A part's rows are named by their row numbers in the user's file (`rowNumbers`), so the
 * tie-back and error messages name each moved row by its true number.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { readAsUtf8, type OpenSource } from '../../../shared/csv/encoding';
import { RowReader, type RowVisitor } from '../../../shared/csv/rowFields';
import type { PartPlan, SplitPlan } from '../../../shared/csv/splitter';
import { appendToRanges, type ItemRange } from '../../../shared/itemRanges';
import { toNodeError } from '../../../shared/nodeErrors';
import type { ImportPlan } from '../plan/importPlan';
import type { ImportSession } from '../run/importSession';
import { keyColumnIndices, RecordKeyReader, RepeatedKeys, seenBitsFor } from './partKeys';
import type { PartSource } from './partSources';
import type { FileToImport } from './types';

/** A data row of the file as read: its bytes, row number and where it starts in the file. */
type DataRowVisitor = (
	bytes: Buffer,
	start: number,
	contentEnd: number,
	rowEnd: number,
	rowNumber: number,
	fileOffset: number,
) => void;

/** Reads the file's data rows (after the header) in order, one chunk at a time. */
async function forEachDataRow(
	open: OpenSource,
	splitPlan: SplitPlan,
	visit: DataRowVisitor,
): Promise<void> {
	const rows = forEachDataRowInTurns(open, splitPlan, visit, () => false);
	while ((await rows.next()).done !== true);
}

/** The first reading: every key the file holds more than once (a few more, see RepeatedKeys). */
export async function findRepeatedKeys(
	open: OpenSource,
	splitPlan: SplitPlan,
	keyIndices: number[],
): Promise<RepeatedKeys> {
	const keys = new RepeatedKeys(seenBitsFor(splitPlan.totalBytes));
	const reader = new RecordKeyReader(splitPlan.delimiter, keyIndices);
	await forEachDataRow(open, splitPlan, (bytes, start, contentEnd) =>
		keys.see(reader.hashOf(bytes, start, contentEnd), reader.second),
	);
	keys.doneSeeing();
	return keys;
}

/** The table slot of the row's record, -1 when no other row of the file may hold it. */
function slotOfRow(
	keys: RepeatedKeys,
	reader: RecordKeyReader,
	bytes: Buffer,
	start: number,
	contentEnd: number,
): number {
	const hash = reader.hashOf(bytes, start, contentEnd);
	return keys.slotOf(hash, reader.second);
}

/** A part's own rows after the rows held back were taken out. */
export interface KeptRows {
	/** the header followed by the kept rows (the part's body, rewritten in place) */
	body: Buffer;
	rows: number;
	/** the kept rows' numbers in the file, when some rows of the range were taken out */
	rowNumbers?: ItemRange[];
	/** rows taken out of this part, to go into a held-back part */
	heldBack: number;
	/** their row numbers */
	heldBackRowNumbers: ItemRange[];
}

/**
 * Takes out of a part (parts in file order) the rows of records an earlier part holds,
 * rewriting its body in place (empty lines stay, byte for byte). The first part to hold a
 * record claims it: its rows stay in that part, repeated there or not.
 */
export function keepRows(
	keys: RepeatedKeys,
	reader: RecordKeyReader,
	part: Pick<PartPlan, 'index' | 'firstRowNumber'> & { body: Buffer },
	headerBytes: number,
	delimiter: string,
): KeptRows {
	const data = part.body.subarray(headerBytes);
	const rowNumbers: ItemRange[] = [];
	const heldBackRowNumbers: ItemRange[] = [];
	let rows = 0;
	let heldBack = 0;
	let copiedFrom = 0;
	let writeAt = 0;
	const visit: RowVisitor = (bytes, start, contentEnd, position, rowEnd, streamStart) => {
		const slot = slotOfRow(keys, reader, bytes, start, contentEnd);
		if (slot >= 0) {
			keys.claimFirst(slot, part.index);
			if (keys.firstPartOf(slot) !== part.index) {
				// Moved: what came before it stays where it was, shifted over the rows taken out.
				data.copyWithin(writeAt, copiedFrom, streamStart);
				writeAt += streamStart - copiedFrom;
				copiedFrom = streamStart + rowEnd - start;
				heldBack++;
				appendToRanges(heldBackRowNumbers, part.firstRowNumber + position);
				return;
			}
		}
		rows++;
		appendToRanges(rowNumbers, part.firstRowNumber + position);
	};
	const rowReader = new RowReader(delimiter);
	rowReader.read(data, visit);
	rowReader.finish(visit);
	if (heldBack === 0) return { body: part.body, rows, heldBack, heldBackRowNumbers };
	data.copyWithin(writeAt, copiedFrom, data.length);
	writeAt += data.length - copiedFrom;
	return {
		body: part.body.subarray(0, headerBytes + writeAt),
		rows,
		rowNumbers,
		heldBack,
		heldBackRowNumbers,
	};
}

/** A held-back part: rows from anywhere in the file, in file order. */
export interface HeldBackPart extends PartPlan {
	body: Buffer;
	/** the part's rows' numbers in the file ([dataStart, dataEnd) also holds other parts' rows) */
	rowNumbers: ItemRange[];
	/** parts (0-based indices) whose batches must have finished before this one is uploaded */
	waitsFor: number[];
}

/**
 * The second reading: the rows `keepRows` took out, cut in file order into parts of at most
 * `maxPartBytes` (header included), numbered from `firstIndex`. Each waits for the last part
 * that took rows of any of its records; memory: one part.
 */
export async function* heldBackParts(
	open: OpenSource,
	splitPlan: SplitPlan,
	keys: RepeatedKeys,
	reader: RecordKeyReader,
	maxPartBytes: number,
	firstIndex: number,
): AsyncGenerator<HeldBackPart> {
	const { headerLine, parts } = splitPlan;
	const body = Buffer.allocUnsafe(maxPartBytes);
	headerLine.copy(body);
	let filled = headerLine.length;
	let index = firstIndex;
	let current: Omit<HeldBackPart, 'body' | 'dataEnd'> | null = null;
	let dataEnd = 0;
	const ready: HeldBackPart[] = [];
	let ownPart = 0;

	const close = () => {
		if (current === null) return;
		// Its own copy: the rows after it in the same chunk go into the reused buffer.
		ready.push({ ...current, dataEnd, body: Buffer.from(body.subarray(0, filled)) });
		current = null;
	};

	const visit: DataRowVisitor = (bytes, start, contentEnd, rowEnd, rowNumber, fileOffset) => {
		while (ownPart + 1 < parts.length && parts[ownPart + 1].firstRowNumber <= rowNumber) ownPart++;
		const slot = slotOfRow(keys, reader, bytes, start, contentEnd);
		if (slot < 0 || keys.firstPartOf(slot) === ownPart) return;
		const length = rowEnd - start;
		if (current !== null && filled + length > maxPartBytes) close();
		if (current === null) {
			current = {
				index: index++,
				rows: 0,
				firstRowNumber: rowNumber,
				dataStart: fileOffset,
				rowNumbers: [],
				waitsFor: [],
			};
			filled = headerLine.length;
		}
		const last = keys.lastPartOf(slot) ?? keys.firstPartOf(slot);
		if (last !== null && last !== current.index && !current.waitsFor.includes(last))
			current.waitsFor.push(last);
		keys.setLastPart(slot, current.index);
		bytes.copy(body, filled, start, rowEnd);
		filled += length;
		current.rows++;
		appendToRanges(current.rowNumbers, rowNumber);
		dataEnd = fileOffset + length;
	};

	// A full part is handed out (and uploaded) before the reading goes on: at most two in memory.
	const pending = forEachDataRowInTurns(open, splitPlan, visit, () => ready.length > 0);
	for (;;) {
		const more = await pending.next();
		while (ready.length > 0) yield ready.shift() as HeldBackPart;
		if (more.done === true) break;
	}
	close();
	const lastPart = ready.shift();
	if (lastPart !== undefined) yield lastPart;
}

/**
 * `forEachDataRow`, pausing after any chunk once `paused()` says so, so that a full part is
 * uploaded before the reading overwrites its bytes.
 */
async function* forEachDataRowInTurns(
	open: OpenSource,
	splitPlan: SplitPlan,
	visit: DataRowVisitor,
	paused: () => boolean,
): AsyncGenerator<void, void> {
	const dataStart = splitPlan.parts[0]?.dataStart ?? 0;
	const rows = new RowReader(splitPlan.delimiter);
	const onRow: RowVisitor = (bytes, start, contentEnd, position, rowEnd, streamStart) =>
		visit(bytes, start, contentEnd, rowEnd, position + 1, dataStart + streamStart);
	let offset = 0;
	for await (const chunk of readAsUtf8(await open(), splitPlan.encoding)) {
		const chunkStart = offset;
		offset += chunk.length;
		if (offset <= dataStart) continue;
		rows.read(chunkStart >= dataStart ? chunk : chunk.subarray(dataStart - chunkStart), onRow);
		if (paused()) yield;
	}
	rows.finish(onRow);
}

/**
 * Whole parts waiting, over the whole file (parts in file order): the parts a part must wait
 * for, the last earlier part holding each of its records. With more repeated keys than the
 * table holds, each part waits for the one before (so for all before it).
 */
export function partDependencies(
	keys: RepeatedKeys,
	reader: RecordKeyReader,
	partIndex: number,
	data: Buffer,
	delimiter: string,
): number[] {
	if (keys.overflowed) return partIndex > 0 ? [partIndex - 1] : [];
	const waitsFor: number[] = [];
	const visit = (bytes: Buffer, start: number, contentEnd: number) => {
		const slot = slotOfRow(keys, reader, bytes, start, contentEnd);
		if (slot < 0) return;
		const last = keys.lastPartOf(slot);
		if (last !== null && last !== partIndex && !waitsFor.includes(last)) waitsFor.push(last);
		keys.setLastPart(slot, partIndex);
	};
	const rowReader = new RowReader(delimiter);
	rowReader.read(data, visit);
	rowReader.finish(visit);
	return waitsFor;
}

export interface SameKeyGuard {
	keys: RepeatedKeys;
	/** reads a part's keys (a grouped part has no group columns) */
	partKeys: RecordKeyReader;
	/** reads the file's keys */
	fileKeys: RecordKeyReader;
	/** rows wait, not parts (see heldRows.ts for when whole parts wait instead) */
	movesRows: boolean;
}

/**
 * The same-key guard of an import of many parts: the keys its file holds more than once
 * (one reading of the file), or null when no record has rows in two parts' reach; and
 * whether the records' keys could be read at all.
 */
export async function sameKeyGuardOf(
	context: IExecuteFunctions,
	session: ImportSession,
	plan: ImportPlan,
	file: FileToImport,
	splitPlan: SplitPlan,
	source: PartSource,
	itemIndex: number,
	/** the keys pass 1 already found (a grouped import) */
	found?: RepeatedKeys,
): Promise<{ keysKnown: boolean; guard: SameKeyGuard | null }> {
	// One part has no other part to collide with: its keys are not worth reading.
	if (!source.manyParts) return { keysKnown: false, guard: null };
	const columns = await plan.keyColumns(context, session.describeCache, itemIndex, source.header);
	const partIndices = keyColumnIndices(source.header, columns);
	const fileIndices = keyColumnIndices(splitPlan.header, columns);
	if (partIndices === null || fileIndices === null) return { keysKnown: false, guard: null };
	let keys: RepeatedKeys;
	try {
		keys = found ?? (await findRepeatedKeys(file.open, splitPlan, fileIndices));
	} catch (error) {
		throw toNodeError(context.getNode(), error, itemIndex);
	}
	if (keys.size === 0 && !keys.overflowed) return { keysKnown: true, guard: null };
	const guard = {
		keys,
		partKeys: new RecordKeyReader(splitPlan.delimiter, partIndices),
		fileKeys: new RecordKeyReader(splitPlan.delimiter, fileIndices),
		// A grouped part is already a selection of rows, and Items input attaches its part files.
		movesRows: !plan.grouping && !file.keepPartBodies && !keys.overflowed,
	};
	return { keysKnown: true, guard };
}
