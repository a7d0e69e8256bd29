/**
 * Accounts for every input row of one soak run, from the simulator's job ledger (what Marketo
 * did) and n8n's run data (what the workflow told its user). Pure: no I/O.
 *
 * A row is accounted for when it is
 * - imported (with or without a warning) by some batch, or
 * - failed by Marketo and on Wait for Batch's Failed Rows output with its batch and reason, or
 *   failed in a batch that the run's error names (its rows can be fetched with Check Once), or
 * - in a batch the error names that had not finished when Marketo was last asked, or
 * - in no batch, and inside the rows an error says were not submitted, or says "may or may
 *   not" be in Marketo (the node's answer when a create's answer was lost and it cannot tell).
 * Anything else is lost: the user cannot learn what became of it. A row Marketo refused in a
 * batch the workflow never told of is lost, unless an error names the row as one whose upload's
 * answer was lost ("may or may not be in Marketo") and that batch is the only one holding it:
 * the user is told to look it up before importing it again, which brings Marketo's reason back.
 *
 * An error "names what was submitted" when the batches the workflow told of (batch items on
 * the import node's output and their `possibleDuplicateBatchIds`, `submittedBatchIds` of error
 * items, batch IDs in the error's text) are all the batches Marketo holds for the run, no row
 * it calls "not submitted" is in one of them, every row in none of them is inside what it
 * calls not submitted, and every row it calls uncertain ("may or may not have made a batch") is
 * in at most one batch (the lost upload's) or in none: that statement is then true, and those
 * rows are listed apart (`couldNotTell`). An import node error
 * without any statement says, by n8n's rules, that the node output nothing: it is read as
 * "nothing was submitted" (statement "implicit") and checked as such. Where an error calls
 * rows both uncertain and not submitted (a later part's lost answer), the uncertain statement,
 * the more specific one, is taken for them.
 */
import type { N8nItem, N8nRun } from '../n8n-runtime';
import type { ConcurrentDuplicate, JobLedgerEntry } from '../../test/simulator/types';

export interface SourceRow {
	/** 1-based data-row number in the submitted file (for Items input: item index + 1). */
	rowNumber: number;
	cells: string[];
}

export interface RunEvidence {
	sourceRows: SourceRow[];
	/** The simulator's ledger after its queue ran dry; foreign jobs are ignored. */
	ledger: JobLedgerEntry[];
	concurrentDuplicates: ConcurrentDuplicate[];
	importNode: string;
	waitNode: string;
	run: N8nRun | undefined;
	exitCode: number;
	/** Set when the harness could not get a run out of n8n (a timeout, a crash). */
	harnessError?: string;
	/**
	 * Queue mode: batches made by an execution whose worker was killed and which n8n ended
	 * itself, before the soak ran the workflow again. The run accounted for is the second one,
	 * which cannot know them: they are not asked of its error (n8n's record of the killed
	 * execution names none, reported apart). Their rows still count: a row they imported is
	 * imported, and two batches writing one record at once is still a failure.
	 */
	supersededBatchIds?: number[];
}

export type RowFate =
	| 'imported'
	| 'failed-reported'
	| 'failed-named-in-error'
	| 'pending-named-in-error'
	| 'not-submitted-named-in-error'
	| 'uncertain-named-in-error'
	| 'lost';

export interface ErrorReport {
	/** Where the error came from: the node's name, or "n8n" when there is no run data. */
	where: string;
	/** 'stopped': the run stopped on it; 'error item': Continue On Fail made it an output item. */
	kind: 'stopped' | 'error item';
	message: string;
	description?: string;
}

export interface RunAccount {
	rows: number;
	imported: number;
	/** Imported with a warning (included in `imported`). */
	warned: number;
	failedReported: number;
	failedNamedInError: number;
	pendingNamedInError: number;
	notSubmittedNamedInError: number;
	/** In no batch, and an error says they may or may not be in Marketo. */
	uncertainNamedInError: number;
	lost: number;
	lostRows: Array<{ rowNumber: number; why: string }>;
	/** Rows written by two batches that were processing at the same time. */
	importedTwiceAtOnce: number;
	/** Rows written by two batches one after the other (a resend after the first copy ended). */
	importedTwiceOneAfterTheOther: number;
	batchesInMarketo: number[];
	batchesToldOf: number[];
	/** Batches in Marketo the workflow never told of (a create whose answer was lost, a resend). */
	batchesNotToldOf: number[];
	errors: ErrorReport[];
	/** Present when the run ended in an error (it stopped, or an error item was output). */
	/**
	 * `couldNotTell`: rows the error rightly says may or may not be in Marketo (the first upload
	 * of a fresh n8n process lost its answer, docs/DECISIONS.md): named, with what the node could
	 * not know said plainly; listed apart so the figure is not hidden.
	 */
	errorVerdict?: {
		namedWhatWasSubmitted: boolean;
		statement: Statement;
		why: string[];
		couldNotTell: string[];
	};
	/** Rows of a batch that match no input rows: the harness cannot place them (should never happen). */
	unplacedBatchRows: number;
}

type Range = { from: number; to: number };

/** What the run's errors say about submission, the most informative kind found. */
type Statement = 'explicit' | 'uncertain' | 'implicit' | 'none';

function contentKey(cells: string[]): string {
	return cells.join('\u001f');
}

/**
 * Where a batch's rows sit in the input: the 0-based index of its first row, found as the
 * place where all its rows match in order (a batch is one part: a contiguous slice). Null
 * when no place matches.
 */
export function locateBatchRows(
	source: SourceRow[],
	batchRows: string[][],
	hint?: number,
): number | null {
	if (batchRows.length === 0) return null;
	const matchesAt = (start: number) =>
		start >= 0 &&
		start + batchRows.length <= source.length &&
		batchRows.every(
			(cells, index) => contentKey(source[start + index].cells) === contentKey(cells),
		);
	if (hint !== undefined && matchesAt(hint)) return hint;
	const first = contentKey(batchRows[0]);
	for (let start = 0; start < source.length; start++) {
		if (contentKey(source[start].cells) === first && matchesAt(start)) return start;
	}
	return null;
}

/** Numbers after "batch" / "batches" in an error's text: "batches 1001, 1002", "batch 1003: Queued". */
export function batchIdsInText(text: string): number[] {
	const ids: number[] = [];
	for (const match of text.matchAll(/\bbatch(?:es)?\s+(\d+(?:\s*(?:,|and)\s*\d+)*)/gi)) {
		for (const id of match[1].split(/\s*(?:,|and)\s*/)) ids.push(Number(id));
	}
	return ids;
}

/** "Not submitted: rows 41-60." / "row 60" / "rows 41 to the end of the file"; `to` null = to the end. */
export function notSubmittedInText(text: string): Array<{ from: number; to: number | null }> {
	const ranges: Array<{ from: number; to: number | null }> = [];
	for (const match of text.matchAll(
		/Not submitted:\s*rows?\s+(\d+)(?:\s*-\s*(\d+)|\s+(to the end of the file))?/gi,
	)) {
		const from = Number(match[1]);
		ranges.push({ from, to: match[3] ? null : match[2] !== undefined ? Number(match[2]) : from });
	}
	return ranges;
}

/** "Marketo may or may not have made a batch for rows 121-180" / "for row 7". */
export function uncertainInText(text: string): Range[] {
	const ranges: Range[] = [];
	for (const match of text.matchAll(
		/may or may not have made a batch for rows?\s+(\d+)(?:\s*-\s*(\d+))?/gi,
	)) {
		const from = Number(match[1]);
		ranges.push({ from, to: match[2] !== undefined ? Number(match[2]) : from });
	}
	return ranges;
}

function isErrorItem(item: N8nItem): boolean {
	return item.json.error !== undefined && item.json.batchId === undefined;
}

function lastTask(run: N8nRun | undefined, node: string) {
	return run?.data.resultData.runData[node]?.at(-1);
}

function outputItems(run: N8nRun | undefined, node: string, output: number): N8nItem[] {
	return lastTask(run, node)?.data?.main?.[output] ?? [];
}

function textOf(value: unknown): string {
	return typeof value === 'string'
		? value
		: value === undefined || value === null
			? ''
			: JSON.stringify(value);
}

/** "rows 1-3, 7" / "row 5". */
function describeRanges(rows: number[]): string {
	const sorted = [...rows].sort((a, b) => a - b);
	const ranges: string[] = [];
	for (let i = 0; i < sorted.length; ) {
		let j = i;
		while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
		ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
		i = j + 1;
	}
	return `${sorted.length === 1 ? 'row' : 'rows'} ${ranges.join(', ')}`;
}

interface RowInBatch {
	batchId: number;
	outcome: 'imported' | 'warning' | 'failed' | 'not-processed';
	reason?: string;
}

export function accountRun(evidence: RunEvidence): RunAccount {
	const { sourceRows, run } = evidence;
	const lastRow = sourceRows.length;
	const own = evidence.ledger.filter((entry) => entry.owner === 'own');

	// Where each batch's rows are in the input. The import node's batch item gives the hint
	// (firstRowNumber); a batch nobody told of is found by content.
	const importOutput = outputItems(run, evidence.importNode, 0);
	const batchItems = importOutput.filter((item) => typeof item.json.batchId === 'number');
	const firstRowHint = new Map(
		batchItems.map((item) => [Number(item.json.batchId), Number(item.json.firstRowNumber) - 1]),
	);
	const rowsInBatches = new Map<number, RowInBatch[]>();
	/** Input row numbers of each batch's rows. */
	const rowNumbersOfBatch = new Map<number, number[]>();
	let unplacedBatchRows = 0;
	for (const entry of own) {
		const start = locateBatchRows(
			sourceRows,
			entry.rows.map((row) => row.cells),
			firstRowHint.get(entry.batchId),
		);
		if (start === null) {
			unplacedBatchRows += entry.rows.length;
			continue;
		}
		rowNumbersOfBatch.set(
			entry.batchId,
			entry.rows.map((_, index) => sourceRows[start + index].rowNumber),
		);
		entry.rows.forEach((row, index) => {
			const rowNumber = sourceRows[start + index].rowNumber;
			const list = rowsInBatches.get(rowNumber) ?? [];
			list.push({ batchId: entry.batchId, outcome: row.outcome, reason: row.reason });
			rowsInBatches.set(rowNumber, list);
		});
	}

	// What the workflow told: errors, batches, rows not submitted.
	const errors: ErrorReport[] = [];
	const toldBatches = new Set<number>(batchItems.map((item) => Number(item.json.batchId)));
	// A resent part's item names the batches its lost upload may have made.
	for (const item of batchItems) {
		if (Array.isArray(item.json.possibleDuplicateBatchIds))
			for (const id of item.json.possibleDuplicateBatchIds) toldBatches.add(Number(id));
	}
	const notSubmitted: Range[] = [];
	const uncertain: Range[] = [];
	const found = new Set<Statement>();
	const runError = run?.data.resultData.error;
	const errorNode =
		runError?.node?.name ?? (runError ? run?.data.resultData.lastNodeExecuted : undefined);
	const explicitRange = (from: number, to: number | null) => {
		notSubmitted.push({ from, to: to ?? lastRow });
		found.add('explicit');
	};
	const readUncertain = (text: string) => {
		for (const range of uncertainInText(text)) {
			uncertain.push(range);
			found.add('uncertain');
		}
	};

	for (const item of importOutput.filter(isErrorItem)) {
		const json = item.json;
		errors.push({
			where: evidence.importNode,
			kind: 'error item',
			message: textOf(json.error),
			description: textOf(json.description) || undefined,
		});
		readUncertain(`${textOf(json.error)} ${textOf(json.description)}`);
		const ids = Array.isArray(json.submittedBatchIds) ? json.submittedBatchIds.map(Number) : [];
		for (const id of ids) toldBatches.add(id);
		const range = json.rowsNotSubmitted as { from?: unknown; to?: unknown } | undefined;
		if (range && typeof range.from === 'number')
			explicitRange(range.from, typeof range.to === 'number' ? range.to : null);
		else if (ids.length === 0 && batchItems.length === 0) {
			// Nothing output but this error: nothing was submitted, by what n8n shows.
			notSubmitted.push({ from: 1, to: lastRow });
			found.add('implicit');
		}
	}
	if (runError) {
		const message = textOf(runError.message);
		const description = textOf(runError.description);
		errors.push({
			where: errorNode ?? 'n8n',
			kind: 'stopped',
			message,
			description: description || undefined,
		});
		const text = `${message} ${description}`;
		for (const id of batchIdsInText(text)) toldBatches.add(id);
		const ranges = notSubmittedInText(text);
		for (const range of ranges) explicitRange(range.from, range.to);
		readUncertain(text);
		if (
			errorNode === evidence.importNode &&
			ranges.length === 0 &&
			batchIdsInText(text).length === 0
		) {
			// The import node stopped and output nothing: by n8n's rules, nothing was submitted
			// (the rows it calls uncertain excepted: that statement wins for them).
			notSubmitted.push({ from: 1, to: lastRow });
			found.add('implicit');
		}
	} else if (evidence.harnessError || evidence.exitCode !== 0) {
		errors.push({
			where: 'n8n',
			kind: 'stopped',
			message:
				evidence.harnessError ??
				`n8n exited with code ${evidence.exitCode} and printed no run error`,
		});
	}
	const ranError = errors.length > 0;
	const within = (ranges: Range[], rowNumber: number) =>
		ranges.some((range) => rowNumber >= range.from && rowNumber <= range.to);
	const isUncertain = (rowNumber: number) => within(uncertain, rowNumber);
	const isNotSubmitted = (rowNumber: number) =>
		!isUncertain(rowNumber) && within(notSubmitted, rowNumber);
	const statement: Statement =
		(['explicit', 'uncertain', 'implicit'] as const).find((kind) => found.has(kind)) ?? 'none';

	// Failed Rows output: each item consumed once, matched by batch and row number (or, when the
	// tie-back could not prove the row, by batch and reason).
	const failedItems = outputItems(run, evidence.waitNode, 1).map(
		(item) => item.json._marketo as Record<string, unknown> | undefined,
	);
	const unusedFailed = failedItems.filter(
		(meta): meta is Record<string, unknown> => meta !== undefined,
	);
	const takeFailedItem = (
		batchId: number,
		rowNumber: number,
		reason: string | undefined,
	): boolean => {
		let index = unusedFailed.findIndex(
			(meta) => meta.batchId === batchId && meta.rowNumber === rowNumber,
		);
		if (index < 0)
			index = unusedFailed.findIndex(
				(meta) => meta.batchId === batchId && meta.rowNumber === null && meta.reason === reason,
			);
		if (index < 0) return false;
		unusedFailed.splice(index, 1);
		return true;
	};

	const account: RunAccount = {
		rows: sourceRows.length,
		imported: 0,
		warned: 0,
		failedReported: 0,
		failedNamedInError: 0,
		pendingNamedInError: 0,
		notSubmittedNamedInError: 0,
		uncertainNamedInError: 0,
		lost: 0,
		lostRows: [],
		importedTwiceAtOnce: 0,
		importedTwiceOneAfterTheOther: 0,
		batchesInMarketo: own.map((entry) => entry.batchId),
		batchesToldOf: [...toldBatches].sort((a, b) => a - b),
		batchesNotToldOf: own.map((entry) => entry.batchId).filter((id) => !toldBatches.has(id)),
		errors,
		unplacedBatchRows,
	};

	const lose = (rowNumber: number, why: string) => {
		account.lost++;
		account.lostRows.push({ rowNumber, why });
	};
	for (const { rowNumber } of sourceRows) {
		const inBatches = rowsInBatches.get(rowNumber) ?? [];
		const applied = inBatches.filter(
			(row) => row.outcome === 'imported' || row.outcome === 'warning',
		);
		const failed = inBatches.filter((row) => row.outcome === 'failed');
		const pending = inBatches.filter((row) => row.outcome === 'not-processed');
		if (applied.length > 0) {
			account.imported++;
			if (applied.some((row) => row.outcome === 'warning')) account.warned++;
		} else if (failed.length > 0) {
			if (failed.some((row) => takeFailedItem(row.batchId, rowNumber, row.reason)))
				account.failedReported++;
			else if (ranError && failed.some((row) => toldBatches.has(row.batchId)))
				account.failedNamedInError++;
			// The error names the row as one it could not tell about, and one batch (the lost upload's) holds it:
			// the user is told to look it up before importing it again, which brings Marketo's reason back.
			else if (ranError && isUncertain(rowNumber) && inBatches.length === 1)
				account.uncertainNamedInError++;
			else {
				lose(
					rowNumber,
					`failed in batch ${failed[0].batchId} ("${failed[0].reason}"), on no Failed Rows output and named by no error`,
				);
			}
		} else if (pending.length > 0) {
			if (ranError && pending.some((row) => toldBatches.has(row.batchId)))
				account.pendingNamedInError++;
			else if (ranError && isUncertain(rowNumber) && inBatches.length === 1)
				account.uncertainNamedInError++;
			else
				lose(
					rowNumber,
					`in batch ${pending[0].batchId}, which never processed it, and no error names that batch`,
				);
		} else if (ranError && isUncertain(rowNumber)) {
			account.uncertainNamedInError++;
		} else if (ranError && isNotSubmitted(rowNumber)) {
			account.notSubmittedNamedInError++;
		} else {
			lose(
				rowNumber,
				ranError
					? 'in no batch, and no error says it was not submitted'
					: 'in no batch, and the run reported no error',
			);
		}
	}

	// Two batches writing one record: at once (from the simulator's intervals), or one after the other.
	const ownIds = new Set(own.map((entry) => entry.batchId));
	const atOnce = new Set<string>();
	for (const duplicate of evidence.concurrentDuplicates) {
		if (duplicate.batchIds.every((id) => ownIds.has(id)))
			for (const key of duplicate.keys) atOnce.add(key);
	}
	const writers = new Map<string, number>();
	for (const entry of own) {
		for (const key of new Set(
			entry.rows.flatMap((row) => (row.key === undefined ? [] : [row.key])),
		)) {
			writers.set(key, (writers.get(key) ?? 0) + 1);
		}
	}
	account.importedTwiceAtOnce = atOnce.size;
	account.importedTwiceOneAfterTheOther = [...writers].filter(
		([key, count]) => count > 1 && !atOnce.has(key),
	).length;

	if (ranError) {
		const why: string[] = [];
		const couldNotTell: string[] = [];
		const batchesOfRows = (rows: number[]) => [
			...new Set(
				rows.flatMap((rowNumber) => (rowsInBatches.get(rowNumber) ?? []).map((r) => r.batchId)),
			),
		];
		for (const range of uncertain) {
			const rows = sourceRows
				.map((row) => row.rowNumber)
				.filter((rowNumber) => rowNumber >= range.from && rowNumber <= range.to);
			const holders = batchesOfRows(rows);
			const held =
				holders.length > 0 ? `batch ${holders.join(', ')} holds them` : 'no batch holds them';
			// True when at most one batch holds them: the lost upload's, or none.
			if (holders.length <= 1)
				couldNotTell.push(`${describeRanges(rows)} may or may not be in Marketo (${held})`);
			else why.push(`says ${describeRanges(rows)} may or may not be in Marketo (${held})`);
		}
		// Batches holding only rows the error called uncertain are reported just above.
		const superseded = new Set(evidence.supersededBatchIds ?? []);
		const missing = account.batchesNotToldOf.filter(
			(id) => !superseded.has(id) && !(rowNumbersOfBatch.get(id) ?? [0]).every(isUncertain),
		);
		if (missing.length > 0) {
			why.push(
				`${missing.length === 1 ? 'batch' : 'batches'} ${missing.join(', ')} in Marketo but named nowhere`,
			);
		}
		const saidNotSubmittedButIn = sourceRows
			.map((row) => row.rowNumber)
			.filter(
				(rowNumber) =>
					isNotSubmitted(rowNumber) &&
					(rowsInBatches.get(rowNumber) ?? []).some((row) => !superseded.has(row.batchId)),
			);
		if (saidNotSubmittedButIn.length > 0) {
			why.push(
				`${describeRanges(saidNotSubmittedButIn)} called not submitted but in a batch in Marketo`,
			);
		}
		const inNoBatchUnsaid = sourceRows
			.map((row) => row.rowNumber)
			.filter(
				(rowNumber) =>
					!rowsInBatches.has(rowNumber) && !isNotSubmitted(rowNumber) && !isUncertain(rowNumber),
			);
		if (inNoBatchUnsaid.length > 0)
			why.push(`${describeRanges(inNoBatchUnsaid)} in no batch but not called not submitted`);
		if (unplacedBatchRows > 0) why.push(`${unplacedBatchRows} batch rows match no input row`);
		account.errorVerdict = {
			namedWhatWasSubmitted: why.length === 0,
			statement,
			why,
			couldNotTell,
		};
	}
	return account;
}
