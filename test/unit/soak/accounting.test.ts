import type { N8nItem, N8nRun } from '../../../scripts/n8n-runtime';
import {
	accountRun,
	batchIdsInText,
	locateBatchRows,
	notSubmittedInText,
	uncertainInText,
	type RunEvidence,
	type SourceRow,
} from '../../../scripts/soak/accounting';
import type { JobLedgerEntry, LedgerRow } from '../../simulator/types';

const IMPORT = 'Import leads';
const WAIT = 'Wait for batches';

/** Four input rows a@, b@, c@, d@. */
const SOURCE: SourceRow[] = ['a', 'b', 'c', 'd'].map((name, index) => ({
	rowNumber: index + 1,
	cells: [`${name}@example.com`, name],
}));

function row(
	index: number,
	outcome: LedgerRow['outcome'] = 'imported',
	reason?: string,
): LedgerRow {
	const cells = SOURCE[index].cells;
	const applied = outcome === 'imported' || outcome === 'warning';
	return {
		cells,
		outcome,
		...(reason ? { reason } : {}),
		...(applied ? { key: `lead/partition 1/email=${cells[0]}` } : {}),
	};
}

function batch(
	batchId: number,
	rows: LedgerRow[],
	interval: [number, number] = [0, 10],
): JobLedgerEntry {
	return {
		batchId,
		owner: 'own',
		kind: 'leads',
		status: 'Complete',
		createdAt: 0,
		startedAt: interval[0],
		finishedAt: interval[1],
		header: ['email', 'firstName'],
		rows,
	};
}

function batchItem(batchId: number, firstRowNumber: number): N8nItem {
	return { json: { batchId, firstRowNumber } };
}

function failedItem(batchId: number, rowNumber: number, reason: string): N8nItem {
	return { json: { _marketo: { kind: 'failed', batchId, rowNumber, reason } } };
}

function n8nRun(outputs: {
	imported?: N8nItem[];
	failed?: N8nItem[];
	error?: { node: string; message: string; description?: string };
}): N8nRun {
	const runData: N8nRun['data']['resultData']['runData'] = {};
	if (outputs.imported)
		runData[IMPORT] = [{ startTime: 0, executionTime: 1, data: { main: [outputs.imported] } }];
	if (outputs.failed)
		runData[WAIT] = [{ startTime: 1, executionTime: 1, data: { main: [[], outputs.failed, []] } }];
	const error = outputs.error
		? {
				message: outputs.error.message,
				description: outputs.error.description,
				node: { name: outputs.error.node },
			}
		: undefined;
	return { data: { resultData: { runData, error } } };
}

function evidence(
	ledger: JobLedgerEntry[],
	run: N8nRun | undefined,
	extra: Partial<RunEvidence> = {},
): RunEvidence {
	return {
		sourceRows: SOURCE,
		ledger,
		concurrentDuplicates: [],
		importNode: IMPORT,
		waitNode: WAIT,
		run,
		exitCode: run?.data.resultData.error ? 1 : 0,
		...extra,
	};
}

describe('soak accounting', () => {
	it('a clean run: imported rows and failed rows on Failed Rows are all accounted for', () => {
		const ledger = [
			batch(1001, [
				row(0),
				row(1, 'warning', 'Invalid email address'),
				row(2, 'failed', 'Bad'),
				row(3),
			]),
		];
		const account = accountRun(
			evidence(
				ledger,
				n8nRun({ imported: [batchItem(1001, 1)], failed: [failedItem(1001, 3, 'Bad')] }),
			),
		);
		expect(account).toMatchObject({
			rows: 4,
			imported: 3,
			warned: 1,
			failedReported: 1,
			lost: 0,
			batchesNotToldOf: [],
		});
		expect(account.errorVerdict).toBeUndefined();
	});

	it('a failed row that no output and no error shows is lost', () => {
		const ledger = [batch(1001, [row(0), row(1), row(2, 'failed', 'Bad'), row(3)])];
		const account = accountRun(
			evidence(ledger, n8nRun({ imported: [batchItem(1001, 1)], failed: [] })),
		);
		expect(account.lost).toBe(1);
		expect(account.lostRows[0]).toMatchObject({ rowNumber: 3 });
	});

	it('an import that stopped and named its batch and the rows not submitted named what was submitted', () => {
		const ledger = [batch(1001, [row(0), row(1)])];
		const run = n8nRun({
			error: {
				node: IMPORT,
				message: 'Marketo error 1003: Invalid data',
				description:
					'The parts before the problem are already in Marketo as batch 1001 (rows 1-2) and will be imported. Not submitted: rows 3-4. Import only those rows again, not the whole file.',
			},
		});
		const account = accountRun(evidence(ledger, run));
		expect(account).toMatchObject({ imported: 2, notSubmittedNamedInError: 2, lost: 0 });
		expect(account.errorVerdict).toEqual({
			namedWhatWasSubmitted: true,
			statement: 'explicit',
			why: [],
			couldNotTell: [],
		});
	});

	it('a create whose answer was lost: the batch is in Marketo but the error calls its rows not submitted', () => {
		const ledger = [batch(1001, [row(0), row(1)]), batch(1002, [row(2), row(3)])];
		const run = n8nRun({
			error: {
				node: IMPORT,
				message: 'Marketo answered HTTP 503',
				description:
					'The parts before the problem are already in Marketo as batch 1001 (rows 1-2) and will be imported. Not submitted: rows 3-4.',
			},
		});
		const account = accountRun(evidence(ledger, run));
		// Nothing is lost (Marketo imports batch 1002), but the user is told to import rows 3-4 again.
		expect(account).toMatchObject({ imported: 4, lost: 0, batchesNotToldOf: [1002] });
		expect(account.errorVerdict?.namedWhatWasSubmitted).toBe(false);
		expect(account.errorVerdict?.why).toEqual([
			'batch 1002 in Marketo but named nowhere',
			'rows 3-4 called not submitted but in a batch in Marketo',
		]);
	});

	it('an import node error without a statement reads as "nothing submitted", and is checked as such', () => {
		const run = n8nRun({ error: { node: IMPORT, message: 'Marketo answered HTTP 503' } });
		const nothing = accountRun(evidence([], run));
		expect(nothing).toMatchObject({ notSubmittedNamedInError: 4, lost: 0 });
		expect(nothing.errorVerdict).toEqual({
			namedWhatWasSubmitted: true,
			statement: 'implicit',
			why: [],
			couldNotTell: [],
		});

		const madeAnyway = accountRun(evidence([batch(1001, [row(0), row(1), row(2), row(3)])], run));
		expect(madeAnyway.errorVerdict?.namedWhatWasSubmitted).toBe(false);
	});

	it('"may or may not have made a batch": true when at most the lost upload\'s batch holds the rows, listed apart', () => {
		const message =
			'Marketo may or may not have made a batch for rows 1-4: Marketo error 611: System error';
		const description =
			'This was the first upload to this Marketo instance since n8n started. They may be in Marketo.';
		const run = n8nRun({ error: { node: IMPORT, message, description } });

		const noBatch = accountRun(evidence([], run));
		expect(noBatch).toMatchObject({
			uncertainNamedInError: 4,
			notSubmittedNamedInError: 0,
			lost: 0,
		});
		expect(noBatch.errorVerdict).toEqual({
			namedWhatWasSubmitted: true,
			statement: 'uncertain',
			why: [],
			couldNotTell: ['rows 1-4 may or may not be in Marketo (no batch holds them)'],
		});

		// The lost answer did make batch 1001: its imported rows are in Marketo; the refused one is
		// named by the error as one it could not tell about (its reason comes back when re-imported).
		const made = accountRun(
			evidence([batch(1001, [row(0), row(1), row(2, 'failed', 'Bad'), row(3)])], run),
		);
		expect(made).toMatchObject({
			imported: 3,
			uncertainNamedInError: 1,
			lost: 0,
			batchesNotToldOf: [1001],
		});
		expect(made.errorVerdict?.couldNotTell).toEqual([
			'rows 1-4 may or may not be in Marketo (batch 1001 holds them)',
		]);

		// Two batches holding them would make "may or may not" untrue: not named.
		const twice = accountRun(
			evidence([batch(1001, [row(0), row(1)]), batch(1002, [row(0), row(1)])], run),
		);
		expect(twice.errorVerdict?.namedWhatWasSubmitted).toBe(false);
	});

	it('a later part whose answer was lost: uncertain rows, earlier batches and rows not submitted', () => {
		const ledger = [batch(1001, [row(0), row(1)]), batch(1002, [row(2)])];
		const run = n8nRun({
			error: {
				node: IMPORT,
				message: 'Marketo may or may not have made a batch for row 3: Marketo error 503',
				description:
					'The parts before the problem are already in Marketo as batch 1001 (rows 1-2) and will be imported. Not submitted: rows 3-4.',
			},
		});
		const account = accountRun(evidence(ledger, run));
		expect(account).toMatchObject({ imported: 3, notSubmittedNamedInError: 1, lost: 0 });
		expect(account.errorVerdict).toMatchObject({
			namedWhatWasSubmitted: true,
			statement: 'explicit',
			why: [],
			couldNotTell: ['row 3 may or may not be in Marketo (batch 1002 holds them)'],
		});
	});

	it('a resent part names the batches its lost upload may have made', () => {
		const ledger = [
			batch(1001, [row(0), row(1), row(2), row(3)], [0, 10]),
			batch(1002, [row(0), row(1), row(2), row(3)], [10, 20]),
		];
		const resent: N8nItem = {
			json: { batchId: 1002, firstRowNumber: 1, possibleDuplicateBatchIds: [1001] },
		};
		const account = accountRun(evidence(ledger, n8nRun({ imported: [resent], failed: [] })));
		expect(account).toMatchObject({
			imported: 4,
			importedTwiceOneAfterTheOther: 4,
			importedTwiceAtOnce: 0,
			batchesNotToldOf: [],
		});
	});

	it('Continue On Fail: the error item names the batches and the rows not submitted', () => {
		const ledger = [batch(1001, [row(0), row(1)])];
		const errorItem: N8nItem = {
			json: {
				error: 'Marketo error 611',
				description: '...',
				submittedBatchIds: [1001],
				rowsNotSubmitted: { from: 3, to: null },
			},
		};
		const run = n8nRun({ imported: [batchItem(1001, 1), errorItem], failed: [] });
		const account = accountRun(evidence(ledger, run));
		expect(account).toMatchObject({ imported: 2, notSubmittedNamedInError: 2, lost: 0 });
		expect(account.errors).toEqual([
			{ where: IMPORT, kind: 'error item', message: 'Marketo error 611', description: '...' },
		]);
		expect(account.errorVerdict?.namedWhatWasSubmitted).toBe(true);
	});

	it('rows of a batch named by a Wait for Batch error count as named, failed or not', () => {
		const ledger = [batch(1001, [row(0), row(1, 'failed', 'Bad'), row(2), row(3)])];
		const run = n8nRun({
			imported: [batchItem(1001, 1)],
			error: {
				node: WAIT,
				message: 'Batch 1001 failed',
				description:
					'Nothing was output. Finished in Marketo: batch 1001: Failed, 3 rows processed, 1 failed, 0 with warning.',
			},
		});
		const account = accountRun(evidence(ledger, run));
		expect(account).toMatchObject({ imported: 3, failedNamedInError: 1, lost: 0 });
		expect(account.errorVerdict?.namedWhatWasSubmitted).toBe(true);
	});

	it('counts rows two batches imported at once apart from rows imported one after the other', () => {
		const ledger = [
			batch(1001, [row(0), row(1)], [0, 10]),
			batch(1002, [row(0), row(1)], [5, 15]),
			batch(1003, [row(2), row(3)], [0, 10]),
			batch(1004, [row(2), row(3)], [10, 20]),
		];
		const account = accountRun(
			evidence(ledger, n8nRun({ imported: [batchItem(1001, 1), batchItem(1003, 3)], failed: [] }), {
				concurrentDuplicates: [
					{
						batchIds: [1001, 1002],
						overlap: { from: 5, to: 10 },
						keys: [row(0).key!, row(1).key!],
					},
				],
			}),
		);
		expect(account).toMatchObject({
			importedTwiceAtOnce: 2,
			importedTwiceOneAfterTheOther: 2,
			batchesNotToldOf: [1002, 1004],
			lost: 0,
		});
	});

	it("a re-run after a killed execution: the killed attempt's batch is not asked of the re-run's error", () => {
		// Batch 1001 came from an execution n8n ended when its worker was killed; the re-run made
		// 1002 (rows 1-2) and stopped, calling rows 3-4 not submitted (1001 holds them too).
		const ledger = [
			batch(1001, [row(0), row(1), row(2), row(3)], [0, 5]),
			batch(1002, [row(0), row(1)], [20, 25]),
		];
		const run = n8nRun({
			error: {
				node: IMPORT,
				message: 'Marketo error 1003: Invalid data',
				description: 'Already in Marketo as batch 1002 (rows 1-2). Not submitted: rows 3-4.',
			},
		});
		const rerun = accountRun(evidence(ledger, run, { supersededBatchIds: [1001] }));
		expect(rerun.errorVerdict?.namedWhatWasSubmitted).toBe(true);
		expect(rerun).toMatchObject({ imported: 4, lost: 0, importedTwiceAtOnce: 0 });
		// Without it, the same evidence reads as an error that hid a batch.
		const plain = accountRun(evidence(ledger, run));
		expect(plain.errorVerdict?.namedWhatWasSubmitted).toBe(false);
		expect(plain.errorVerdict?.why.join('; ')).toMatch(/batch 1001 in Marketo but named nowhere/);
	});

	it('places a batch by content, using the batch item as a hint', () => {
		expect(locateBatchRows(SOURCE, [SOURCE[2].cells, SOURCE[3].cells])).toBe(2);
		expect(locateBatchRows(SOURCE, [SOURCE[2].cells, SOURCE[0].cells])).toBeNull();
		const repeated = [...SOURCE, ...SOURCE].map((source, index) => ({
			...source,
			rowNumber: index + 1,
		}));
		expect(locateBatchRows(repeated, [SOURCE[0].cells], 4)).toBe(4);
	});

	it('reads batch IDs, rows not submitted and uncertain rows from error texts', () => {
		expect(uncertainInText('Marketo may or may not have made a batch for rows 61-120: x')).toEqual([
			{ from: 61, to: 120 },
		]);
		expect(uncertainInText('Marketo may or may not have made a batch for row 7: x')).toEqual([
			{ from: 7, to: 7 },
		]);
		expect(batchIdsInText('already in Marketo as batches 1001, 1002 (rows 1-120)')).toEqual([
			1001, 1002,
		]);
		expect(batchIdsInText('Finished in Marketo: batch 1003: Complete; batch 1004: Failed')).toEqual(
			[1003, 1004],
		);
		expect(notSubmittedInText('Not submitted: rows 121-300. Import only those')).toEqual([
			{ from: 121, to: 300 },
		]);
		expect(notSubmittedInText('Not submitted: row 60.')).toEqual([{ from: 60, to: 60 }]);
		expect(notSubmittedInText('Not submitted: rows 41 to the end of the file.')).toEqual([
			{ from: 41, to: null },
		]);
	});
});
