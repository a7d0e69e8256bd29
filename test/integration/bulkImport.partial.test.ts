/**
 * Issue 10, "Nothing submitted is ever dropped": an import that stops after some parts were
 * submitted still hands those batches on (Continue On Fail) or names them (otherwise), and
 * says which rows were not submitted. The simulator's scripted faults make the create call of
 * a later part fail with an error no retry can fix.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { BatchDescriptor } from '../../nodes/shared/batch';
import type { FaultAnswer } from '../simulator';
import {
	drainQueue,
	failureOf,
	fileItem,
	runBulkImport,
	submittedOnSimulatorClock,
	uploadCalls,
	useFakeClock,
	useSimulator,
	waitForBatches,
} from './support';

// Marketo and the node's waits share one fake clock: the queue drains when the test moves it.
const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e6, clock });

afterEach(() => {
	sim().state.clearScriptedFaults();
});

/** About 37 bytes a row: 60 rows make 3 parts with a 1,000-byte part limit. */
const TINY_PARTS = { partSizeMb: 0.001 };

function people(rows: number, prefix: string): IDataObject[] {
	return Array.from({ length: rows }, (_, i) => ({
		email: `${prefix}${i + 1}@partial.example.com`,
		firstName: `First${i + 1}`,
		lastName: `Last${i + 1}`,
	}));
}

function leadFile(rows: number, prefix: string): string {
	const lines = people(rows, prefix).map((p) => `${p.email},${p.firstName},${p.lastName}`);
	return ['email,firstName,lastName', ...lines].join('\n') + '\n';
}

/** The create call of part `failingPart` (1-based) answers `answer`; the ones before it go through. */
function failCreateOfPart(failingPart: number, answer: FaultAnswer): void {
	if (failingPart > 1) {
		sim().state.scriptFault({
			route: 'importLeads',
			times: failingPart - 1,
			answer: { kind: 'delay', ms: 0 },
		});
	}
	sim().state.scriptFault({ route: 'importLeads', answer });
}

const INVALID_DATA: FaultAnswer = { kind: 'envelope', code: '1003', message: 'Invalid data' };

function batchItemsOf(output: INodeExecutionData[]): INodeExecutionData[] {
	return output.filter((item) => item.json.batchId !== undefined);
}

function errorItemsOf(output: INodeExecutionData[]): INodeExecutionData[] {
	return output.filter((item) => item.json.error !== undefined);
}

function simulatorBatchIds(): number[] {
	return sim().state.queue.map((job) => job.batchId);
}

describe('Marketo Bulk Import: an import that stops after some parts were submitted', () => {
	it('Binary File input, Continue On Fail: outputs the submitted batches and an error item naming the rows not submitted', async () => {
		failCreateOfPart(3, INVALID_DATA);
		const stopped = await fileItem(leadFile(60, 'bin'), 'stopped.csv');
		const next = await fileItem(leadFile(2, 'next'), 'next.csv');

		const result = await runBulkImport(
			sim(),
			{ operation: 'importLeads', options: TINY_PARTS },
			[stopped, next],
			true,
		);

		const output = result.outputs[0];
		// Two batches of item 0, its error item, then item 1's batch: Continue On Fail goes on.
		expect(
			output.map((item) => [item.json.error === undefined ? 'batch' : 'error', item.pairedItem]),
		).toEqual([
			['batch', { item: 0 }],
			['batch', { item: 0 }],
			['error', { item: 0 }],
			['batch', { item: 1 }],
		]);
		const submitted = batchItemsOf(output).slice(0, 2);
		const descriptors = submitted.map((item) => item.json as unknown as BatchDescriptor);
		const uploads = uploadCalls(sim());
		expect(uploads).toHaveLength(4);
		expect(uploads[2].marketoCode).toBe('1003');

		// The same items a finished import gives: Wait for Batch can follow them.
		for (const [index, descriptor] of descriptors.entries()) {
			expect(simulatorBatchIds()).toContain(descriptor.batchId);
			expect(descriptor).toMatchObject({
				importType: 'leads',
				fileName: 'stopped.csv',
				part: index + 1,
				partCount: 2,
				format: 'csv',
			});
			expect(descriptor.submittedFile).toMatchObject({ binaryProperty: 'data' });
			expect(submitted[index].binary?.data).toBe(stopped.binary?.data);
		}
		const [first, second] = descriptors;
		expect(second.firstRowNumber).toBe(first.firstRowNumber + first.rows);
		const notSubmittedFrom = second.firstRowNumber + second.rows;
		expect(notSubmittedFrom).toBeLessThanOrEqual(60);

		const [errorItem] = errorItemsOf(output);
		expect(errorItem.json).toMatchObject({
			error: expect.stringContaining('Invalid data'),
			fileName: 'stopped.csv',
			submittedBatchIds: [first.batchId, second.batchId],
			rowsNotSubmitted: { from: notSubmittedFrom, to: 60 },
		});
		expect(errorItem.json.description).toContain(`Not submitted: rows ${notSubmittedFrom}-60`);

		// Exactly the submitted rows reach Marketo.
		drainQueue(sim(), clock);
		expect(
			sim().state.findLead('email', `bin${notSubmittedFrom - 1}@partial.example.com`),
		).toBeDefined();
		expect(
			sim().state.findLead('email', `bin${notSubmittedFrom}@partial.example.com`),
		).toBeUndefined();
	});

	it('Binary File input without Continue On Fail: the error names the submitted batch and the rows not submitted', async () => {
		failCreateOfPart(2, { kind: 'http', status: 400, body: 'Bad Request' });

		const error = await failureOf(
			runBulkImport(sim(), { operation: 'importLeads', options: TINY_PARTS }, [
				await fileItem(leadFile(60, 'nocof'), 'nocof.csv'),
			]),
		);

		const [created, refused] = uploadCalls(sim());
		expect(refused.httpStatus).toBe(400);
		const batchId = sim().state.queue.at(-1)!.batchId;
		expect(created.httpStatus).toBe(200);
		const firstPartRows = sim().state.queue.at(-1)!.rows;
		expect(error.description).toContain(
			`already in Marketo as batch ${batchId} (rows 1-${firstPartRows})`,
		);
		expect(error.description).toContain(`Not submitted: rows ${firstPartRows + 1}-60`);
	});

	it('Items input, Continue On Fail: outputs the submitted batch with its part file and an error item paired to the items not submitted', async () => {
		failCreateOfPart(2, { kind: 'envelope', code: '1013', message: 'List not found' });
		const input = people(60, 'items').map((json) => ({ json }));

		const result = await runBulkImport(
			sim(),
			{ operation: 'importLeads', inputSource: 'items', options: TINY_PARTS },
			input,
			true,
		);

		const output = result.outputs[0];
		expect(output).toHaveLength(2);
		const [batchItem, errorItem] = output;
		const descriptor = batchItem.json as unknown as BatchDescriptor;
		expect(simulatorBatchIds()).toContain(descriptor.batchId);
		expect(descriptor).toMatchObject({
			part: 1,
			partCount: 1,
			firstRowNumber: 1,
			firstSourceItemIndex: 0,
		});
		expect(descriptor.submittedFile).toMatchObject({ binaryProperty: 'data' });
		expect(batchItem.binary?.data).toBeDefined();
		expect(batchItem.pairedItem).toEqual(
			Array.from({ length: descriptor.rows }, (_, item) => ({ item })),
		);

		const from = descriptor.rows + 1;
		expect(errorItem.json).toMatchObject({
			error: expect.stringContaining('List not found'),
			submittedBatchIds: [descriptor.batchId],
			rowsNotSubmitted: { from, to: 60 },
		});
		expect(errorItem.json.description).toContain(`Not submitted: rows ${from}-60`);
		expect(errorItem.pairedItem).toEqual(
			Array.from({ length: 60 - from + 1 }, (_, k) => ({ item: from - 1 + k })),
		);
	});

	it('Items input without Continue On Fail: the error names the submitted batch and the rows not submitted', async () => {
		failCreateOfPart(3, INVALID_DATA);

		const error = await failureOf(
			runBulkImport(
				sim(),
				{ operation: 'importLeads', inputSource: 'items', options: TINY_PARTS },
				people(60, 'itemsnocof').map((json) => ({ json })),
			),
		);

		const jobs = sim().state.queue.slice(-2);
		const submittedRows = jobs[0].rows + jobs[1].rows;
		expect(error.description).toContain(
			`already in Marketo as batches ${jobs[0].batchId}, ${jobs[1].batchId} (rows 1-${submittedRows})`,
		);
		expect(error.description).toContain(`Not submitted: rows ${submittedRows + 1}-60`);
	});

	it('Wait for Batch follows the submitted batches and passes the error item through', async () => {
		failCreateOfPart(2, INVALID_DATA);
		const imported = await runBulkImport(
			sim(),
			{ operation: 'importLeads', options: TINY_PARTS },
			[await fileItem(leadFile(60, 'wait'), 'wait.csv')],
			true,
		);
		const output = imported.outputs[0];
		const [batchItem] = batchItemsOf(output);
		const [errorItem] = errorItemsOf(output);
		expect(output).toEqual([batchItem, errorItem]);

		// Without Continue On Fail on Wait for Batch: the error item is no reason to fail.
		const run = await waitForBatches(sim(), submittedOnSimulatorClock(sim(), output));

		expect(run.done).toHaveLength(2);
		expect(run.done[0]).toMatchObject({
			batchId: batchItem.json.batchId,
			status: 'Complete',
			rowsFailed: 0,
		});
		expect(run.done[1]).toEqual({
			...errorItem.json,
			note: expect.stringContaining('error item from an earlier node'),
		});
		expect(run.outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(run.failedRows).toEqual([]);
	});
});
