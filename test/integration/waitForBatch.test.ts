/**
 * Marketo Wait for Batch against the simulator, fed by Marketo Bulk Import (the
 * realistic chain): results per import type, failed batches, Define Below, split files.
 */
import type { IDataObject } from 'n8n-workflow';

import { readBinary } from '../harness';
import { holdableClock } from '../simulator';
import {
	bulkImportOutput,
	columnsOf,
	drainQueue,
	fileCalls,
	fileItem,
	LANNISTER_CSV,
	PROGRAM_1001_ON_LIST,
	marketoOf,
	statusCalls,
	useFakeClock,
	useSimulator,
	waitForBatches,
	type WaitRun,
} from './support';

// Marketo and the nodes share one fake clock that moves only while the nodes wait (between
// polls, mostly): every poll lands at the same moment of the import on every run.
const clock = useFakeClock();
const marketoClock = holdableClock(clock);
const sim = useSimulator({ rowsPerSecond: 1e6, clock: marketoClock });

beforeEach(() => {
	// A minute between tests: each starts with Marketo's 20 s rate window empty.
	clock.advance(60_000);
	clock.sleeps.splice(0);
});

describe('Marketo Wait for Batch: results', () => {
	it('a clean batch: one summary, no result-file calls, nothing on the row outputs', async () => {
		const batches = await bulkImportOutput(sim(), PROGRAM_1001_ON_LIST, [
			await fileItem(LANNISTER_CSV, 'Lead-House-Lannister.csv'),
		]);
		sim().state.clearCalls();

		const run = await waitForBatches(sim(), batches);

		expect(run.done).toHaveLength(1);
		const [summary] = run.done;
		expect(summary).toMatchObject({
			batchId: (batches[0].json as IDataObject).batchId,
			importType: 'programMembers',
			status: 'Complete',
			rowsProcessed: 8,
			rowsFailed: 0,
			rowsWithWarning: 0,
			message: 'Import succeeded, 8 records imported (8 members)',
			part: 1,
			partCount: 1,
			fileName: 'Lead-House-Lannister.csv',
			failedRowItems: 0,
			warningRowItems: 0,
			countsMatch: true,
		});
		const submittedAt = (batches[0].json as IDataObject).submittedAt as string;
		expect(summary.submittedAt).toBe(submittedAt);
		// The first poll comes a second after submission, and the 8-row batch is done by then:
		// the node slept once, for that second, and the batch ended when that poll read it.
		expect(clock.sleeps).toEqual([1000]);
		expect(statusCalls(sim()).map((call) => call.time)).toEqual([Date.parse(submittedAt) + 1000]);
		expect(summary.endedAt).toBe(new Date(Date.parse(submittedAt) + 1000).toISOString());
		expect(summary.durationSeconds).toBe(1);
		expect(summary).not.toHaveProperty('stillRunning');
		expect(run.outputs[0][0].pairedItem).toEqual({ item: 0 });
		expect(run.failedRows).toEqual([]);
		expect(run.warningRows).toEqual([]);
		expect(fileCalls(sim())).toHaveLength(0);
		expect(statusCalls(sim())).toHaveLength(1);
		expect(statusCalls(sim())[0].path).toMatch(
			/^\/bulk\/v1\/program\/members\/import\/\d+\/status\.json$/,
		);
	});

	it('leads with failures and warnings: rows as items, tied back, raw files attached', async () => {
		const csv =
			'email,firstName,lastName,leadScore\n' +
			'ok@example.com,Ok,One,10\n' +
			'not-an-email,Warn,Two,20\n' +
			'bad@example.com,Bad,Three,lots\n' +
			',NoEmail,Four,40\n';
		const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
			await fileItem(csv, 'leads.csv'),
		]);
		sim().state.clearCalls();

		const run = await waitForBatches(sim(), batches, { options: { attachResultFiles: true } });

		expect(run.done[0]).toMatchObject({
			status: 'Complete',
			rowsProcessed: 2,
			rowsFailed: 2,
			rowsWithWarning: 1,
			failedRowItems: 2,
			warningRowItems: 1,
			countsMatch: true,
		});
		expect(run.failedRows.map(columnsOf)).toEqual([
			// the failures file leaves out no column here: every column has a value in some failed row
			{ email: 'bad@example.com', firstName: 'Bad', lastName: 'Three', leadScore: 'lots' },
			{ email: '', firstName: 'NoEmail', lastName: 'Four', leadScore: '40' },
		]);
		expect(run.failedRows.map(marketoOf)).toEqual([
			{
				kind: 'failed',
				reason: 'Invalid data type in field Lead Score',
				batchId: (batches[0].json as IDataObject).batchId,
				importType: 'leads',
				rowNumber: 3,
				sourceItemIndex: null,
				tieBack: 'exact',
			},
			expect.objectContaining({
				reason: "Value for lookup field 'email' not found",
				rowNumber: 4,
				tieBack: 'exact',
			}),
		]);
		expect(run.warningRows).toEqual([
			{
				_marketoReason: 'Invalid email address',
				email: 'not-an-email',
				firstName: 'Warn',
				lastName: 'Two',
				leadScore: '20',
				_marketo: expect.objectContaining({
					kind: 'warning',
					reason: 'Invalid email address',
					rowNumber: 2,
				}),
			},
		]);
		for (const output of [1, 2]) {
			expect(
				run.outputs[output].every((item) => JSON.stringify(item.pairedItem) === '{"item":0}'),
			).toBe(true);
		}
		const binary = run.outputs[0][0].binary ?? {};
		expect(Object.keys(binary).sort()).toEqual(['failures', 'warnings']);
		expect((await readBinary(binary.failures)).toString()).toContain('Import Failure Reason');
		expect(binary.warnings.fileName).toMatch(/warnings\.csv$/);
		expect(
			fileCalls(sim())
				.map((call) => call.path.split('/').pop())
				.sort(),
		).toEqual(['failures.json', 'warnings.json']);
	});

	it('program members with failures and warnings', async () => {
		const csv =
			'email,firstName,lastName\n' +
			'pm1@example.com,One,Member\n' +
			',Two,NoEmail\n' +
			'pm-bad-email,Three,Warn\n';
		const batches = await bulkImportOutput(sim(), PROGRAM_1001_ON_LIST, [
			await fileItem(csv, 'members.csv'),
		]);

		const run = await waitForBatches(sim(), batches);

		expect(run.done[0]).toMatchObject({
			importType: 'programMembers',
			rowsFailed: 1,
			rowsWithWarning: 1,
		});
		expect(run.failedRows).toHaveLength(1);
		expect(marketoOf(run.failedRows[0])).toMatchObject({
			kind: 'failed',
			importType: 'programMembers',
			rowNumber: 2,
			tieBack: 'exact',
		});
		// email was empty in the only failed row, so the simulator's file leaves that column out
		expect(columnsOf(run.failedRows[0])).toEqual({ firstName: 'Two', lastName: 'NoEmail' });
		expect(marketoOf(run.warningRows[0])).toMatchObject({
			kind: 'warning',
			rowNumber: 3,
			tieBack: 'exact',
		});
		expect(
			fileCalls(sim()).every((call) => call.path.startsWith('/bulk/v1/program/members/import/')),
		).toBe(true);
	});

	it('custom objects with failures and warnings, and Count Warnings as Failed', async () => {
		const csv =
			'accountNumber,plan,seats,contactEmail\n' +
			'A-1,gold,10,owner@example.com\n' +
			'A-2,gold,many,owner@example.com\n' +
			'A-3,silver,5,not-an-email\n';
		const batches = await bulkImportOutput(
			sim(),
			{ operation: 'importCustomObjects', customObject: 'subscription_c' },
			[await fileItem(csv, 'subscriptions.csv')],
		);

		const run = await waitForBatches(sim(), batches, { options: { countWarningsAsFailed: true } });

		expect(run.done[0]).toMatchObject({
			importType: 'customObjects',
			objectApiName: 'subscription_c',
			rowsFailed: 1,
			rowsWithWarning: 1,
			failedRowItems: 2,
			warningRowItems: 0,
		});
		expect(run.warningRows).toEqual([]);
		expect(
			run.failedRows.map((row) => [
				row.accountNumber,
				marketoOf(row).kind,
				marketoOf(row).rowNumber,
			]),
		).toEqual([
			['A-2', 'failed', 2],
			['A-3', 'warning', 3],
		]);
		expect(marketoOf(run.failedRows[0])).toMatchObject({
			objectApiName: 'subscription_c',
			reason: 'Invalid data type in field Seats',
		});
		expect(fileCalls(sim()).map((call) => call.path)).toEqual([
			expect.stringMatching(
				/^\/bulk\/v1\/customobjects\/subscription_c\/import\/\d+\/failures\.json$/,
			),
			expect.stringMatching(
				/^\/bulk\/v1\/customobjects\/subscription_c\/import\/\d+\/warnings\.json$/,
			),
		]);
	});

	it("says so when Marketo's failures file and its counts disagree", async () => {
		const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
			await fileItem('email,leadScore\nmm1@example.com,bad\nmm2@example.com,2\n', 'mismatch.csv'),
		]);
		// Marketo answers the failures download with an empty body although it counted a failed row
		sim().state.scriptFault({
			path: /\/failures\.json$/,
			answer: { kind: 'http', status: 200, body: '' },
		});

		const run = await waitForBatches(sim(), batches);

		expect(run.done[0]).toMatchObject({
			rowsFailed: 1,
			failedRowItems: 0,
			countsMatch: false,
			countsNote: 'Marketo counted 1 failed row(s) but its failures file holds 0.',
		});
		expect(run.failedRows).toEqual([]);
	});
});

describe('Marketo Wait for Batch: failed batches and bad input', () => {
	it("a batch that ends Failed raises an error with Marketo's message", async () => {
		const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
			await fileItem('email\nf@example.com\n', 'f.csv'),
		]);
		sim().state.failNextBatch('Import failed: file could not be read');
		// failNextBatch applies to the next batch created: submit one more and wait for that one
		const failing = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
			await fileItem('email\ng@example.com\n', 'g.csv'),
		]);

		await expect(waitForBatches(sim(), failing)).rejects.toMatchObject({
			message: expect.stringContaining('Import failed: file could not be read'),
		});

		// Continue On Fail: the failed batch becomes an error item, the other batch still completes
		const run = await waitForBatches(sim(), [...failing, ...batches], {}, { continueOnFail: true });
		expect(run.done).toHaveLength(2);
		expect(run.done[0]).toMatchObject({
			error: expect.stringContaining('Import failed: file could not be read'),
			batchId: (failing[0].json as IDataObject).batchId,
			status: 'Failed',
		});
		expect(run.done[1]).toMatchObject({
			batchId: (batches[0].json as IDataObject).batchId,
			status: 'Complete',
		});
		expect(run.outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it('an input item without a batch is a clear error, or an error item under Continue On Fail', async () => {
		await expect(waitForBatches(sim(), [{ json: { hello: 'world' } }])).rejects.toMatchObject({
			message: expect.stringContaining('Item 0 carries no Marketo batch'),
		});
		const run = await waitForBatches(
			sim(),
			[{ json: { hello: 'world' } }],
			{},
			{ continueOnFail: true },
		);
		expect(run.done).toEqual([
			{ error: expect.stringContaining('Item 0 carries no Marketo batch') },
		]);
		expect(statusCalls(sim())).toHaveLength(0);
	});

	it("passes an earlier node's error item through on Done with a note, without failing", async () => {
		const run = await waitForBatches(sim(), [
			{ json: { error: 'upstream', rowsNotSubmitted: { from: 5, to: 9 } } },
		]);
		expect(run.done).toEqual([
			{
				error: 'upstream',
				rowsNotSubmitted: { from: 5, to: 9 },
				note: expect.stringContaining('error item from an earlier node'),
			},
		]);
		expect(run.outputs[0][0].pairedItem).toEqual({ item: 0 });
		expect(statusCalls(sim())).toHaveLength(0);
	});
});

describe('Marketo Wait for Batch: batch sources', () => {
	it('Define Below awaits a batch started elsewhere (no submitted file to tie rows back to)', async () => {
		const csv = 'email,leadScore\nx1@example.com,1\nx2@example.com,oops\n';
		const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
			await fileItem(csv, 'x.csv'),
		]);
		const batchId = (batches[0].json as IDataObject).batchId;

		const run = await waitForBatches(sim(), [{ json: { started: String(batchId) } }], {
			batchSource: 'define',
			batchId: '={{ $json.started }}',
			importType: 'leads',
		});

		expect(run.done[0]).toMatchObject({
			batchId,
			status: 'Complete',
			submittedAt: null,
			durationSeconds: null,
		});
		expect(run.failedRows).toEqual([
			{
				_marketoReason: 'Invalid data type in field Lead Score',
				email: 'x2@example.com',
				leadScore: 'oops',
				_marketo: expect.objectContaining({ rowNumber: null, tieBack: 'no-submitted-file' }),
			},
		]);
	});

	it('three batches from one split file are awaited together and rows keep whole-file numbers', async () => {
		const lines = ['email,firstName,leadScore'];
		for (let i = 1; i <= 60; i++) {
			const score = i % 25 === 0 ? 'not-a-number' : String(i);
			lines.push(`split${i}@example.com,"Person, number ${i}",${score}`);
		}
		const csv = lines.join('\n') + '\n';
		expect(Buffer.byteLength(csv)).toBeGreaterThan(2 * 1000);
		const batches = await bulkImportOutput(
			sim(),
			{ operation: 'importLeads', options: { partSizeMb: 0.001 } },
			[await fileItem(csv, 'split.csv')],
		);
		expect(batches.length).toBeGreaterThanOrEqual(3);
		sim().state.clearCalls();

		const run = await waitForBatches(sim(), batches);

		expect(run.done.map((d) => d.part)).toEqual(batches.map((_, i) => i + 1));
		expect(run.done.every((d) => d.status === 'Complete' && d.partCount === batches.length)).toBe(
			true,
		);
		expect(
			run.done.reduce((sum, d) => sum + (d.rowsProcessed as number) + (d.rowsFailed as number), 0),
		).toBe(60);
		expect(
			run.failedRows.map((row) => [row.email, marketoOf(row).rowNumber, marketoOf(row).tieBack]),
		).toEqual([
			['split25@example.com', 25, 'exact'],
			['split50@example.com', 50, 'exact'],
		]);
		// each failed row is paired to the batch item of its own part
		const partOf = (rowNumber: number) =>
			batches.findIndex((b) => {
				const json = b.json as IDataObject;
				const first = json.firstRowNumber as number;
				return rowNumber >= first && rowNumber < first + (json.rows as number);
			});
		expect(run.outputs[1].map((item) => item.pairedItem)).toEqual([
			{ item: partOf(25) },
			{ item: partOf(50) },
		]);
		// one status call per batch is enough for fast batches; never more than a handful
		expect(statusCalls(sim()).length).toBeLessThanOrEqual(batches.length * 2);
	});

	it('batches that already ended are all found while the first one is still fetching its result files', async () => {
		const lines = ['email,leadScore'];
		for (let i = 1; i <= 40; i++)
			lines.push(`slow${i}@example.com,${i % 10 === 0 ? 'not-a-number' : i}`);
		const batches = await bulkImportOutput(
			sim(),
			{ operation: 'importLeads', options: { partSizeMb: 0.0003 } },
			[await fileItem(lines.join('\n') + '\n', 'slow.csv')],
		);
		expect(batches.length).toBeGreaterThanOrEqual(3);
		drainQueue(sim(), clock);
		sim().state.clearCalls();
		// Marketo serves the first batch's failures file only once the node has asked for every
		// batch's status. Done in line, the next status call would wait for that download, and
		// the download for it: the fallback then ends the hold, and the test fails below.
		let releasedBy: 'every batch polled' | 'fallback' | undefined;
		let release!: (by: 'every batch polled' | 'fallback') => void;
		marketoClock.holdDelaysUntil(
			new Promise<void>((resolve) => {
				release = (by) => {
					releasedBy ??= by;
					resolve();
				};
			}),
		);
		sim().state.scriptFault({ path: /\/failures\.json$/, answer: { kind: 'delay', ms: 1 } });
		const stopWatching = sim().state.onCall(() => {
			if (statusCalls(sim()).length === batches.length) release('every batch polled');
		});
		// Only ends a broken run sooner than jest's timeout; a passing run never gets there.
		const fallback = setTimeout(() => release('fallback'), 30_000);

		let run: WaitRun;
		try {
			run = await waitForBatches(sim(), batches);
		} finally {
			clearTimeout(fallback);
			stopWatching();
		}

		expect(releasedBy).toBe('every batch polled');
		expect(statusCalls(sim())).toHaveLength(batches.length);
		// The download had arrived (and was held) before the last status call.
		const calls = sim().state.calls;
		expect(calls.indexOf(fileCalls(sim())[0])).toBeLessThan(
			calls.indexOf(statusCalls(sim())[batches.length - 1]),
		);
		// and the outputs still follow the input order
		expect(run.done.map((d) => d.batchId)).toEqual(
			batches.map((b) => (b.json as IDataObject).batchId),
		);
		expect(run.failedRows.map((row) => marketoOf(row).rowNumber)).toEqual([10, 20, 30, 40]);
	});
});
