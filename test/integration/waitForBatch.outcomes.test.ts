/**
 * Issue 10: a batch that ends Failed, or the time limit, must not throw away the results
 * of the batches that finished. On Failed Batch "Output It on Done" outputs everything;
 * "Stop With an Error" (and the time-limit error) names every finished batch, so Check
 * Once can fetch their rows. The simulator runs on a clock the test moves by hand, so a
 * batch is finished or still running exactly as the test wants; the node polls the oldest
 * unfinished batch first, so which batches it has seen end when it stops is fixed too. The
 * node runs on a fake clock of its own, so its waits (the time limit too) take no real time.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { FakeClock } from '../simulator';
import { createFakeClock } from '../simulator';
import {
	bulkImportOutput,
	failureOf,
	fileItem,
	marketoOf,
	useSimulator,
	waitForBatches,
	type WaitRun,
} from './support';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';

const clock = createFakeClock();
// 10 rows per simulated second: a batch of 100 rows takes 10 s of the hand-moved clock
const sim = useSimulator({ clock, rowsPerSecond: 10 });

// The file makes more than 50 calls within 20 s (the client-side limit); the simulator allows 100.
beforeAll(() => configurePacing({ throttle: { maxCallsPerWindow: 90 } }));
afterAll(() => resetPacing());

const FAILURE = 'Import failed: file could not be read';

async function submitLeads(csv: string, fileName: string): Promise<INodeExecutionData[]> {
	return await bulkImportOutput(sim(), { operation: 'importLeads' }, [
		await fileItem(csv, fileName),
	]);
}

/** Wait for Batch on a fake clock started at Marketo's time; Marketo's clock stands still meanwhile. */
async function waitForBatchesNow(
	input: INodeExecutionData[],
	parameters: Parameters<typeof waitForBatches>[2] = {},
	extra: { continueOnFail?: boolean; nodeClock?: FakeClock } = {},
): Promise<WaitRun> {
	const { nodeClock = createFakeClock(clock.now()), ...options } = extra;
	return await waitForBatches(sim(), input, parameters, { ...options, clock: nodeClock });
}

function idOf(items: INodeExecutionData[]): number {
	return (items[0].json as IDataObject).batchId as number;
}

function uniqueEmail(prefix: string): string {
	return `${prefix}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Row 1 imports, row 2 imports with a warning (bad email), row 3 fails (lead score not a number). */
function rowsWithProblems(): string {
	return `email,firstName,leadScore\n${uniqueEmail('ok')},Ok,10\nnot-an-email,Warn,20\n${uniqueEmail('bad')},Bad,lots\n`;
}

function cleanRows(count: number): string {
	const lines = ['email,leadScore'];
	for (let i = 1; i <= count; i++) lines.push(`${uniqueEmail(`c${i}`)},${i}`);
	return lines.join('\n') + '\n';
}

/** The next batch created ends Failed in Marketo (after it ran). */
async function submitFailing(): Promise<INodeExecutionData[]> {
	sim().state.failNextBatch(FAILURE);
	return await submitLeads(cleanRows(2), 'failing.csv');
}

/** [batch ID, row number] of row items. */
function rowsOf(rows: IDataObject[]): Array<[unknown, unknown]> {
	return rows.map((row) => [marketoOf(row).batchId, marketoOf(row).rowNumber]);
}

describe('On Failed Batch "Output It on Done"', () => {
	it('outputs the Failed batch on Done and every row of the batches that finished, in both modes', async () => {
		const first = await submitLeads(rowsWithProblems(), 'first.csv');
		const failing = await submitFailing();
		const last = await submitLeads(
			`email,firstName\n${uniqueEmail('l')},Last\n,NoEmail\n`,
			'last.csv',
		);
		clock.advance(5000); // every batch has ended
		const input = [...first, ...failing, ...last];

		for (const mode of ['waitUntilDone', 'checkOnce']) {
			const run = await waitForBatchesNow(input, { mode, onFailedBatch: 'outputOnDone' });

			expect(run.done).toEqual([
				expect.objectContaining({
					batchId: idOf(first),
					status: 'Complete',
					rowsFailed: 1,
					rowsWithWarning: 1,
					failedRowItems: 1,
					warningRowItems: 1,
				}),
				expect.objectContaining({
					batchId: idOf(failing),
					status: 'Failed',
					message: FAILURE,
					rowsProcessed: 2,
					rowsFailed: 0,
					rowsWithWarning: 0,
					failedRowItems: 0,
					warningRowItems: 0,
					fileName: 'failing.csv',
				}),
				expect.objectContaining({
					batchId: idOf(last),
					status: 'Complete',
					rowsFailed: 1,
					failedRowItems: 1,
				}),
			]);
			expect(run.done[1]).not.toHaveProperty('error');
			expect(run.done[1]).not.toHaveProperty('stillRunning');
			expect(run.outputs[0].map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);
			expect(rowsOf(run.failedRows)).toEqual([
				[idOf(first), 3],
				[idOf(last), 2],
			]);
			expect(rowsOf(run.warningRows)).toEqual([[idOf(first), 2]]);
		}
	});
});

describe('On Failed Batch "Stop With an Error"', () => {
	it('names every finished batch with its counts and every running one, and which batch IDs Check Once can re-read', async () => {
		const first = await submitLeads(rowsWithProblems(), 'first.csv');
		const failing = await submitFailing();
		const running = await submitLeads(cleanRows(100), 'big.csv');
		// The first two have ended (two lanes); the big one imports and, the clock standing still, never ends.
		clock.advance(1000);
		const input = [...first, ...failing, ...running];
		const finishedFirst = `batch ${idOf(first)}: Complete, 2 rows processed, 1 failed, 1 with warning`;
		const finishedFailing = `batch ${idOf(failing)}: Failed, 2 rows processed, 0 failed, 0 with warning`;

		const error = await failureOf(waitForBatchesNow(input));

		expect(error.message).toBe(
			`Marketo ended batch ${idOf(failing)} (failing.csv) as Failed: ${FAILURE}`,
		);
		expect(error.description).toContain('Nothing was output.');
		expect(error.description).toContain(
			`Finished in Marketo: ${finishedFirst}; ${finishedFailing}.`,
		);
		expect(error.description).toMatch(
			new RegExp(`Still running in Marketo: batch ${idOf(running)}: (Queued|Importing)`),
		);
		expect(error.description).toContain(
			`To get the results and the failed and warning rows of batch ${idOf(first)}, run Mode "Check Once" with Batch Source "Define Below" (Batch ID ${idOf(first)}), or on the same input with On Failed Batch set to "Output It on Done".`,
		);

		// Check Once stops the same way by default...
		const checkError = await failureOf(waitForBatchesNow(input, { mode: 'checkOnce' }));
		expect(checkError.description).toContain(
			`Finished in Marketo: ${finishedFirst}; ${finishedFailing}.`,
		);
		expect(checkError.description).toContain(
			`Still running in Marketo: batch ${idOf(running)}: Importing, 8 of 100 rows done.`,
		);

		// ...and, as the error says, fetches the finished batch's rows on the same input with "Output It on Done".
		const check = await waitForBatchesNow(input, {
			mode: 'checkOnce',
			onFailedBatch: 'outputOnDone',
		});
		expect(
			check.done.map((summary) => [summary.batchId, summary.status, summary.stillRunning ?? false]),
		).toEqual([
			[idOf(first), 'Complete', false],
			[idOf(failing), 'Failed', false],
			[idOf(running), 'Importing', true],
		]);
		expect(rowsOf(check.failedRows)).toEqual([[idOf(first), 3]]);
		expect(rowsOf(check.warningRows)).toEqual([[idOf(first), 2]]);

		// Continue On Fail still turns the Failed batch into an error item and goes on with the others.
		clock.advance(60_000);
		const run = await waitForBatchesNow(input, {}, { continueOnFail: true });
		expect(run.done).toEqual([
			expect.objectContaining({ batchId: idOf(first), status: 'Complete' }),
			expect.objectContaining({
				error: expect.stringContaining(FAILURE),
				batchId: idOf(failing),
				status: 'Failed',
			}),
			expect.objectContaining({ batchId: idOf(running), status: 'Complete', rowsProcessed: 100 }),
		]);
		expect(rowsOf(run.failedRows)).toEqual([[idOf(first), 3]]);
	});
});

describe('time limit', () => {
	it('the error names the batches that finished, whose rows Check Once then fetches by batch ID', async () => {
		const first = await submitLeads(rowsWithProblems(), 'first.csv');
		const running = await submitLeads(cleanRows(100), 'big.csv');
		clock.advance(1000); // the first has ended, the second imports; the clock then stands still
		// Define Below: batches whose submission time is unknown are polled at once, so both
		// answers are in long before the time limit.
		const defineBelow = { batchSource: 'define', batchId: '={{ $json.id }}', importType: 'leads' };
		const ids = [idOf(first), idOf(running)].map((id) => ({ json: { id } }));

		const started = clock.now();
		const nodeClock = createFakeClock(started);
		const error = await failureOf(
			waitForBatchesNow(ids, { ...defineBelow, timeLimit: 0.05 }, { nodeClock }),
		); // 3 s
		expect(nodeClock.now() - started).toBe(3000);

		expect(error.message).toBe(
			`Time limit of 0.05 minutes reached; still running in Marketo: batch ${idOf(running)}: Importing`,
		);
		expect(error.description).toContain(
			`Nothing was output. Finished in Marketo: batch ${idOf(first)}: Complete, 2 rows processed, 1 failed, 1 with warning.`,
		);
		expect(error.description).toContain(
			`Still running in Marketo: batch ${idOf(running)}: Importing.`,
		);
		const named = /Batch ID (\d+)\)/.exec(error.description);
		expect(named?.[1]).toBe(String(idOf(first)));

		const check = await waitForBatchesNow([{ json: { id: Number(named?.[1]) } }], {
			...defineBelow,
			mode: 'checkOnce',
		});
		expect(check.done).toEqual([
			expect.objectContaining({
				batchId: idOf(first),
				status: 'Complete',
				failedRowItems: 1,
				warningRowItems: 1,
			}),
		]);
		expect(check.failedRows.map((row) => [row.firstName, marketoOf(row).kind])).toEqual([
			['Bad', 'failed'],
		]);
		expect(check.warningRows.map((row) => [row.firstName, marketoOf(row).kind])).toEqual([
			['Warn', 'warning'],
		]);
		clock.advance(60_000); // let the big batch finish so it frees its lane
	});
});
