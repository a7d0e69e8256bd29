/**
 * Issue 11: a create-import whose outcome is unknown (docs/DECISIONS.md "A create whose outcome
 * is unknown") and the same-key guard between parts. The simulator's scripted faults make a
 * create's answer get lost after the batch was made (`when: 'after'`) or before (`'before'`);
 * its job ledger says when each batch ran and which records it wrote, so "never the same rows
 * twice at the same time" is checked on what Marketo did, not on what the node says.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import {
	forgetKnownBatchIds,
	SETTLE_MS,
} from '../../nodes/MarketoBulkImport/helpers/upload/uncertainCreate';
import type { BatchDescriptor } from '../../nodes/shared/batch';
import { assertRequestsMatchContract } from '../simulator/contract';
import {
	createFakeClock,
	startSimulator,
	type FakeClock,
	type FaultAnswer,
	type RunningSimulator,
} from '../simulator';
import { runNode, simulatorCredentials } from '../harness';
import { bulkImportNode, failureOf, fileItem, runBulkImport, uploadCalls } from './support';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';

/** About 37 bytes a row: 60 rows make 3 parts with a 1,000-byte part limit. */
const TINY_PARTS = { partSizeMb: 0.001 };

function leadFile(rows: number, email: (i: number) => string): string {
	const lines = Array.from(
		{ length: rows },
		(_, i) => `${email(i + 1)},First${i + 1},Last${i + 1}`,
	);
	return ['email,firstName,lastName', ...lines].join('\n') + '\n';
}

const distinctEmails = (prefix: string) => (i: number) => `${prefix}${i}@resend.example.com`;

let sim: RunningSimulator;
let clock: FakeClock;
let sleeps: number[];

beforeEach(async () => {
	// One fake clock for the simulator's queue and the node's waits, moved only by those waits:
	// batches run while (and only while) the node waits, the same way on every run.
	clock = createFakeClock();
	sleeps = [];
	configurePacing({
		clock: {
			now: () => clock.now(),
			sleep: async (ms) => {
				sleeps.push(ms);
				clock.advance(ms);
				await new Promise((resolve) => setImmediate(resolve));
			},
		},
	});
	// 100 rows/s: a 20-row part runs 0.2 s of the fake clock, long enough to overlap another.
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

/** The create call of part `part` (1-based) answers `answer`, before or after the batch is made. */
function loseCreateOfPart(
	part: number,
	answer: FaultAnswer,
	when: 'before' | 'after',
	times = 1,
): void {
	if (part > 1)
		sim.state.scriptFault({
			route: 'importLeads',
			times: part - 1,
			answer: { kind: 'delay', ms: 0 },
		});
	sim.state.scriptFault({ route: 'importLeads', times, answer, when });
}

function descriptors(output: INodeExecutionData[]): BatchDescriptor[] {
	return output
		.filter((item) => item.json.batchId !== undefined)
		.map((item) => item.json as unknown as BatchDescriptor);
}

/** Lets every queued batch finish on the fake clock (Bulk Import itself does not wait for them). */
function drain(): void {
	clock.advance(60_000);
	// Reading the ledger replays the queue up to the clock's time.
	expect(sim.state.jobLedger().every((job) => job.status === 'Complete')).toBe(true);
}

const GATEWAY_502: FaultAnswer = { kind: 'gateway502' };
const RESET: FaultAnswer = { kind: 'reset' };
const TIMED_OUT_604: FaultAnswer = { kind: 'envelope', code: '604', message: 'Request timed out' };

describe('Marketo Bulk Import: a create whose answer was lost', () => {
	it.each([
		['HTTP 502', GATEWAY_502],
		['a connection reset', RESET],
		['604 (request timed out)', TIMED_OUT_604],
	])(
		'after %s on part 2 of 3, with the batch made: waits for that batch to finish, sends the part again, and says a duplicate batch may exist',
		async (_label, answer) => {
			// Other integrations' jobs hold both lanes for 20 s: the lost upload's batch is still
			// queued when the node has waited SETTLE_MS, so the node must watch it to the end.
			sim.state.addForeignJobs(2, 2_000);
			loseCreateOfPart(2, answer, 'after');
			const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
				await fileItem(leadFile(60, distinctEmails('lost')), 'lost.csv'),
			]);

			const batches = descriptors(result.outputs[0]);
			expect(batches.map((d) => d.part)).toEqual([1, 2, 3]);
			const jobs = sim.state.jobLedger();
			// Four batches in Marketo: part 1, the one made from the lost upload, its resend, part 3.
			expect(jobs.map((job) => job.batchId)).toEqual([1001, 1002, 1003, 1004, 1005, 1006]);
			const lost = jobs[3];
			const resent = jobs[4];
			expect(batches[1].batchId).toBe(resent.batchId);
			expect(batches[1].possibleDuplicateBatchIds).toEqual([lost.batchId]);
			expect(lost.finishedAt! - lost.createdAt).toBeGreaterThan(SETTLE_MS);
			const part2 = `rows ${batches[1].firstRowNumber}-${batches[1].firstRowNumber + batches[1].rows - 1}`;
			expect(batches[1].notice).toContain(`first upload of ${part2} was lost`);
			expect(batches[1].notice).toMatch(
				/batch 1004 .*imported twice, one after the other, never at the same time/,
			);
			// The resend was made only once the lost upload's batch had finished.
			expect(lost.finishedAt).toBeDefined();
			expect(resent.createdAt).toBeGreaterThanOrEqual(lost.finishedAt!);
			expect(sleeps[0]).toBe(SETTLE_MS);
			drain();
			expect(sim.state.concurrentDuplicates()).toEqual([]);
			// Every row of the file is in Marketo once, as a lead.
			for (let i = 1; i <= 60; i++)
				expect(sim.state.findLead('email', `lost${i}@resend.example.com`)).toBeDefined();
			expect(
				sim.state.leads.filter((lead) => String(lead.fields.email).startsWith('lost')),
			).toHaveLength(60);
			expect(batches.map((d) => d.partCount)).toEqual([3, 3, 3]);
		},
	);

	it('after a 502 that made no batch: sends the part again after looking, and says no batch was made', async () => {
		loseCreateOfPart(2, GATEWAY_502, 'before');
		const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
			await fileItem(leadFile(60, distinctEmails('none')), 'none.csv'),
		]);

		const batches = descriptors(result.outputs[0]);
		expect(batches.map((d) => d.batchId)).toEqual([1001, 1002, 1003]);
		expect(batches[1].possibleDuplicateBatchIds).toEqual([]);
		expect(batches[1].notice).toMatch(/no batch had been made from it/);
		expect(batches[0].possibleDuplicateBatchIds).toBeUndefined();
		expect(uploadCalls(sim)).toHaveLength(4);
		drain();
		expect(
			sim.state.leads.filter((lead) => String(lead.fields.email).startsWith('none')),
		).toHaveLength(60);
	});

	it('on the first upload with no batch id known: uploads part 2 first, finds the lost batch below its id, then sends part 1 again', async () => {
		sim.state.addForeignJobs(2, 2_000);
		loseCreateOfPart(1, GATEWAY_502, 'after');
		const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
			await fileItem(leadFile(60, distinctEmails('first')), 'first.csv'),
		]);

		const batches = descriptors(result.outputs[0]);
		// Output in file order, whatever the upload order.
		expect(batches.map((d) => d.part)).toEqual([1, 2, 3]);
		const [lost, part2, resent, part3] = sim.state.jobLedger().slice(2);
		expect([part2.batchId, resent.batchId, part3.batchId]).toEqual([
			batches[1].batchId,
			batches[0].batchId,
			batches[2].batchId,
		]);
		expect(batches[0].possibleDuplicateBatchIds).toEqual([lost.batchId]);
		expect(resent.createdAt).toBeGreaterThanOrEqual(lost.finishedAt!);
		drain();
		expect(sim.state.concurrentDuplicates()).toEqual([]);
		expect(
			sim.state.leads.filter((lead) => String(lead.fields.email).startsWith('first')),
		).toHaveLength(60);
	});

	it('on the first upload of a later execution in a new n8n process: finds the lost batch from the id the workflow saved', async () => {
		// Execution 1 imports a file; n8n keeps the workflow's static data; the process restarts.
		const staticData: IDataObject = {};
		const credentials = { marketoApi: simulatorCredentials(sim) };
		const run = async (content: string, name: string) =>
			await runNode({
				node: bulkImportNode,
				parameters: { operation: 'importLeads' },
				input: [await fileItem(content, name)],
				credentials,
				staticData,
			});
		await run(leadFile(5, distinctEmails('earlier')), 'earlier.csv');
		forgetKnownBatchIds();
		sim.state.addForeignJobs(2, 2_000);
		loseCreateOfPart(1, GATEWAY_502, 'after');

		const result = await run(leadFile(10, distinctEmails('later')), 'later.csv');

		const [batch] = descriptors(result.outputs[0]);
		const jobs = sim.state.jobLedger();
		const lost = jobs.find(
			(job) => job.owner === 'own' && job.batchId > 1001 && job.batchId !== batch.batchId,
		)!;
		expect(batch.possibleDuplicateBatchIds).toEqual([lost.batchId]);
		expect(jobs.find((job) => job.batchId === batch.batchId)!.createdAt).toBeGreaterThanOrEqual(
			lost.finishedAt!,
		);
		drain();
		expect(sim.state.concurrentDuplicates()).toEqual([]);
	});

	it("when part 2's answer is lost too, before any batch id is known: stops and names both parts' rows as possibly in Marketo", async () => {
		loseCreateOfPart(1, GATEWAY_502, 'after', 2);
		const failure = await failureOf(
			runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
				await fileItem(leadFile(60, distinctEmails('both')), 'both.csv'),
			]),
		);
		const [, from2, to2] = /^Marketo may or may not have made a batch for rows (\d+)-(\d+)/.exec(
			failure.message,
		)!;
		expect(Number(from2)).toBeGreaterThan(1);
		expect(failure.description).toContain(
			`Marketo may or may not have made a batch for rows 1-${Number(from2) - 1}: the answer to their upload was lost.`,
		);
		expect(failure.description).toContain(`did not send rows ${from2}-${to2} again`);
		expect(uploadCalls(sim)).toHaveLength(2);
	});

	it('on the first upload of a one-part file with no batch id known: does not send it again, and says the rows may be in Marketo', async () => {
		loseCreateOfPart(1, GATEWAY_502, 'after');
		const failure = await failureOf(
			runBulkImport(sim, { operation: 'importLeads' }, [
				await fileItem(leadFile(10, distinctEmails('single')), 'single.csv'),
			]),
		);
		expect(failure.message).toMatch(
			/^Marketo may or may not have made a batch for rows 1-10: Marketo error 502/,
		);
		expect(failure.description).toMatch(
			/did not send rows 1-10 again, so they cannot be imported twice at the same time/,
		);
		expect(uploadCalls(sim)).toHaveLength(1);
	});

	it('on the first upload with no batch id known, when part 2 shares emails with part 1: holds those rows back, uploads part 2 first, then part 1 again, then the held rows once part 1 has finished', async () => {
		loseCreateOfPart(1, RESET, 'after');
		const email = (i: number) =>
			i >= 30 && i <= 35 ? `overlap${i - 25}@resend.example.com` : `overlap${i}@resend.example.com`;
		const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
			await fileItem(leadFile(60, email), 'overlap.csv'),
		]);
		const batches = descriptors(result.outputs[0]);
		const heldBack = batches[batches.length - 1];
		expect(heldBack.submittedFile?.rowNumbers).toEqual([{ from: 30, to: 35 }]);
		expect(heldBack.rows).toBe(6);
		expect(heldBack.firstRowNumber).toBe(30);
		const part1 = batches[0];
		expect(part1.possibleDuplicateBatchIds).toBeDefined();
		expect(heldBack.waitedForBatchIds).toEqual([part1.batchId]);
		const jobs = new Map(sim.state.jobLedger().map((job) => [job.batchId, job]));
		// Part 2 went up before part 1 was sent again; the held rows after part 1 had finished.
		expect(jobs.get(batches[1].batchId)!.createdAt).toBeLessThanOrEqual(
			jobs.get(part1.batchId)!.createdAt,
		);
		expect(jobs.get(heldBack.batchId)!.createdAt).toBeGreaterThanOrEqual(
			jobs.get(part1.batchId)!.finishedAt!,
		);
		drain();
		expect(sim.state.concurrentDuplicates()).toEqual([]);
	});

	it('after four lost answers for one part (three resends): stops, names the batches submitted and the rows that may be in Marketo', async () => {
		loseCreateOfPart(2, GATEWAY_502, 'before', 4);
		const failure = await failureOf(
			runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
				await fileItem(leadFile(60, distinctEmails('many')), 'many.csv'),
			]),
		);
		const [, from] = /^Marketo may or may not have made a batch for rows (\d+)-(\d+)/.exec(
			failure.message,
		)!;
		expect(failure.description).toMatch(/answers to 4 uploads of these rows were lost in a row/);
		expect(failure.description).toContain(
			`already in Marketo as batch 1001 (rows 1-${Number(from) - 1})`,
		);
		expect(failure.description).toContain(`Not submitted: rows ${from}-60`);
		// Part 1, then part 2 sent once and again three times; part 3 never.
		expect(uploadCalls(sim)).toHaveLength(5);
	});

	it('with Continue On Fail: outputs an error item that says the rows may be in Marketo', async () => {
		loseCreateOfPart(1, GATEWAY_502, 'before');
		const result = await runBulkImport(
			sim,
			{ operation: 'importLeads' },
			[await fileItem(leadFile(10, distinctEmails('cof')), 'cof.csv')],
			true,
		);
		const [error] = result.outputs[0].map((item) => item.json as IDataObject);
		expect(error.error).toMatch(/may or may not have made a batch for rows 1-10/);
		expect(sim.state.jobLedger()).toHaveLength(0);
	});
});

describe('Marketo Bulk Import: the same lookup value in two parts', () => {
	it('holds back the rows of part 2 whose emails part 1 holds until part 1 has finished; the rest of part 2 goes at once', async () => {
		// Rows 15-25 repeat rows 1-11 (same emails, other case): they fall in part 2.
		const email = (i: number) =>
			i >= 15 && i <= 25 ? `Shared${i - 14}@Resend.Example.com` : `shared${i}@resend.example.com`;
		const result = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
			await fileItem(leadFile(60, email), 'shared.csv'),
		]);

		const batches = descriptors(result.outputs[0]);
		expect(batches.length).toBe(4);
		expect(batches[1].rowsHeldBack).toBeGreaterThan(0);
		expect(batches.map((d) => d.waitedForBatchIds)).toEqual([
			undefined,
			undefined,
			undefined,
			[batches[0].batchId],
		]);
		expect(batches[3].rows).toBe(batches[1].rowsHeldBack);
		const jobs = sim.state.jobLedger();
		// Parts 1-3 went up at once; the held-back rows once part 1 had finished.
		expect(jobs[1].createdAt).toBe(jobs[0].createdAt);
		expect(jobs[2].createdAt).toBe(jobs[0].createdAt);
		expect(jobs[3].createdAt).toBeGreaterThanOrEqual(jobs[0].finishedAt!);
		drain();
		expect(sim.state.concurrentDuplicates()).toEqual([]);
	});

	it('without the guard the same file runs the shared emails in both lanes at once (what the guard prevents)', async () => {
		// A control: the simulator does see such overlaps, so the assertion above is not empty.
		const email = (i: number) =>
			i >= 15 && i <= 25 ? `Shared${i - 14}@Resend.Example.com` : `shared${i}@resend.example.com`;
		const file = leadFile(60, email);
		const lines = file.trimEnd().split('\n');
		const header = lines[0];
		const partA = [header, ...lines.slice(1, 15)].join('\n') + '\n';
		const partB = [header, ...lines.slice(15, 30)].join('\n') + '\n';
		await runBulkImport(sim, { operation: 'importLeads' }, [
			await fileItem(partA, 'a.csv'),
			await fileItem(partB, 'b.csv'),
		]);
		drain();
		expect(sim.state.concurrentDuplicates().length).toBeGreaterThan(0);
	});
});
