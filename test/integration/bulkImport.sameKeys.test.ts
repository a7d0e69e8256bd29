/**
 * The same-key guard over the whole file (issue 23): rows of a record an earlier part holds are
 * held back and uploaded, in file order, once that part's batch has finished; the other rows
 * are not held. The simulator's job ledger says when each batch ran and which records it
 * wrote, and its lead store which row won, so the checks are on what Marketo did.
 *
 * The files: part 1 is 50 short rows (0.5 s at 100 rows/s), parts 2 and 3 four long rows each
 * (0.04 s): Marketo's second lane runs part 2, then part 3 while part 1 still imports. So
 * parts k and k+2 run at the same time because part k+1 ended first.
 */
import type { IDataObject } from 'n8n-workflow';

import type { BatchDescriptor } from '../../nodes/shared/batch';
import { forgetKnownBatchIds } from '../../nodes/MarketoBulkImport/helpers/upload/uncertainCreate';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';
import { assertRequestsMatchContract } from '../simulator/contract';
import {
	createFakeClock,
	startSimulator,
	type FakeClock,
	type RunningSimulator,
} from '../simulator';
import {
	descriptorsOf,
	marketoOf,
	runBulkImport,
	fileItem,
	submittedOnSimulatorClock,
	waitForBatches,
} from './support';

const TINY_PARTS = { partSizeMb: 0.001 };
/** A long row's last name: 230 bytes a row, four to a part of 1,000 bytes. */
const PAD = 'x'.repeat(213);

interface Row {
	/** 8 characters, as every email of the file, so that the parts are cut the same */
	email: string;
	/** 4 characters */
	firstName: string;
	leadScore?: string;
}

/**
 * 50 short rows (18 bytes: rows 1-50, part 1), then 8 long ones (51-58: parts 2 and 3);
 * `at` puts rows at row numbers.
 */
function file(at: Record<number, Row>): string {
	const lines: string[] = [];
	for (let n = 1; n <= 58; n++) {
		const nn = String(n).padStart(2, '0');
		const row = at[n] ?? { email: `s${nn}@k.co`, firstName: `F-${nn}` };
		lines.push(`${row.email},${row.firstName},${n <= 50 ? 'L' : PAD},${row.leadScore ?? '1'}`);
	}
	return ['email,firstName,lastName,leadScore', ...lines].join('\n') + '\n';
}

let sim: RunningSimulator;
let clock: FakeClock;

beforeEach(async () => {
	clock = createFakeClock();
	configurePacing({
		clock: {
			now: () => clock.now(),
			sleep: async (ms) => {
				clock.advance(ms);
				await new Promise((resolve) => setImmediate(resolve));
			},
		},
	});
	sim = await startSimulator({ rowsPerSecond: 100, clock });
	forgetKnownBatchIds();
});

afterEach(async () => {
	resetPacing();
	try {
		assertRequestsMatchContract(sim.state.calls);
	} finally {
		await sim.close();
	}
});

function drain(): void {
	for (let moved = 0; sim.state.queue.some((job) => !job.finishedAt); moved += 10) {
		if (moved > 600_000) throw new Error('queue did not drain');
		clock.advance(10);
	}
}

async function importFile(text: string) {
	const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
		await fileItem(text, 'keys.csv'),
	]);
	drain();
	const batches = descriptorsOf(result);
	const jobs = new Map(sim.state.jobLedger().map((job) => [job.batchId, job]));
	return { result, batches, jobOf: (d: BatchDescriptor) => jobs.get(d.batchId)! };
}

/** Row numbers a batch item says its part holds. */
function rowsOf(batch: BatchDescriptor): number[] {
	const ranges = batch.submittedFile?.rowNumbers;
	if (!ranges) return Array.from({ length: batch.rows }, (_, k) => batch.firstRowNumber + k);
	return ranges.flatMap(({ from, to }) =>
		Array.from({ length: to - from + 1 }, (_, k) => from + k),
	);
}

describe('Marketo Bulk Import: the same record in parts that may run at once', () => {
	it('parts k and k+2 share a lead and k+1 ends first: the shared row waits for part k, the rest does not', async () => {
		const shared = { email: 'sh@k.com', firstName: 'Erly' };
		const { batches, jobOf } = await importFile(
			file({ 40: shared, 56: { ...shared, firstName: 'Late' } }),
		);

		// Parts 1-3 as cut, then a held-back part with row 56 alone.
		expect(batches.map((b) => b.firstRowNumber)).toEqual([1, 51, 55, 56]);
		expect(batches.map(rowsOf)).toEqual([
			Array.from({ length: 50 }, (_, k) => k + 1),
			[51, 52, 53, 54],
			[55, 57, 58],
			[56],
		]);
		expect(batches[2].rowsHeldBack).toBe(1);
		expect(batches[3].waitedForBatchIds).toEqual([batches[0].batchId]);

		const [part1, , part3, heldBack] = batches.map(jobOf);
		// Part 3 did run beside part 1 (k+1 ended first) ...
		expect(part3.startedAt!).toBeLessThan(part1.finishedAt!);
		// ... but not with the shared lead, which went up once part 1 had finished.
		expect(heldBack.createdAt).toBeGreaterThanOrEqual(part1.finishedAt!);
		expect(sim.state.concurrentDuplicates()).toEqual([]);
		expect(sim.state.findLead('email', 'sh@k.com')?.fields.firstName).toBe('Late');
	});

	it('three rows of one lead in three parts: its later rows go together, in file order, after part 1; the last row wins', async () => {
		const lead = 'th@k.com';
		const { batches, jobOf } = await importFile(
			file({
				40: { email: lead, firstName: 'One1' },
				52: { email: lead.toUpperCase(), firstName: 'Two2' },
				57: { email: lead, firstName: 'Thr3' },
			}),
		);
		expect(batches).toHaveLength(4);
		expect(rowsOf(batches[3])).toEqual([52, 57]);
		expect(batches[3].waitedForBatchIds).toEqual([batches[0].batchId]);
		expect(jobOf(batches[3]).rows.map((row) => row.cells[1])).toEqual(['Two2', 'Thr3']);
		expect(jobOf(batches[3]).createdAt).toBeGreaterThanOrEqual(jobOf(batches[0]).finishedAt!);
		expect(sim.state.concurrentDuplicates()).toEqual([]);
		// Part 1 applies row 40 late (0.4 s in); the held-back rows come after it.
		expect(sim.state.findLead('email', lead)?.fields.firstName).toBe('Thr3');
		// Every row submitted once.
		expect(batches.flatMap(rowsOf).sort((a, b) => a - b)).toEqual(
			Array.from({ length: 58 }, (_, k) => k + 1),
		);
	});

	it('Wait for Batch names each failed row by its row number in the file, held back or not', async () => {
		// Lead a@: rows 40 and 52, so the held-back part's range starts at row 52. Lead b@: rows
		// 54 (part 2, its first) and 57 (held back), the same failing values: row 54 lies in the
		// held-back part's range but is not its row, so only row 57 is a candidate there.
		const bad = { email: 'bb@k.com', firstName: 'Bad1', leadScore: 'abc' };
		const { result, batches } = await importFile(
			file({
				40: { email: 'aa@k.com', firstName: 'Ok-1' },
				52: { email: 'aa@k.com', firstName: 'Ok-2' },
				54: bad,
				57: bad,
			}),
		);
		expect(rowsOf(batches[3])).toEqual([52, 57]);
		expect(batches[3].waitedForBatchIds).toEqual([batches[0].batchId, batches[1].batchId]);
		const run = await waitForBatches(sim, submittedOnSimulatorClock(sim, result.outputs[0]));
		const failed = run.failedRows.map((row) => ({
			batchId: marketoOf(row).batchId,
			firstName: (row as IDataObject).firstName,
			rowNumber: marketoOf(row).rowNumber,
			tieBack: marketoOf(row).tieBack,
		}));
		expect(failed).toEqual([
			{ batchId: batches[1].batchId, firstName: 'Bad1', rowNumber: 54, tieBack: 'exact' },
			{ batchId: batches[3].batchId, firstName: 'Bad1', rowNumber: 57, tieBack: 'exact' },
		]);
	});

	it.each([
		[
			3,
			{ from: 55, to: 58, heldBack: [{ from: 52, to: 52 }] },
			'row 52 (held back for a later part: their records have rows in an earlier part), and rows 55-58',
		],
		[
			4,
			{ from: 59, to: 58, heldBack: [{ from: 52, to: 52 }] },
			'row 52 (held back for a later part: their records have rows in an earlier part)',
		],
	])(
		'an import that stops at upload %i names the held-back rows among the rows not submitted',
		async (failingUpload, rowsNotSubmitted, named) => {
			sim.state.scriptFault({
				route: 'importLeads',
				times: failingUpload - 1,
				answer: { kind: 'delay', ms: 0 },
			});
			sim.state.scriptFault({
				route: 'importLeads',
				answer: { kind: 'envelope', code: '1003', message: 'Invalid data' },
			});
			const text = file({
				40: { email: 'aa@k.com', firstName: 'Ok-1' },
				52: { email: 'aa@k.com', firstName: 'Ok-2' },
			});
			const result = await runBulkImport(
				sim,
				{ operation: 'importLeads', options: TINY_PARTS },
				[await fileItem(text, 'keys.csv')],
				true,
			);
			const [error] = result.outputs[0].filter((item) => item.json.error !== undefined);
			expect(error.json.rowsNotSubmitted).toEqual(rowsNotSubmitted);
			expect(error.json.description).toContain(`Not submitted: ${named}.`);
			expect(error.json.submittedBatchIds).toHaveLength(failingUpload - 1);
		},
	);
});
