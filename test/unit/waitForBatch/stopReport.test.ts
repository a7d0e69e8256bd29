import { MarketoWaitForBatch } from '../../../nodes/MarketoWaitForBatch/MarketoWaitForBatch.node';
import { batchFromItemJson } from '../../../nodes/MarketoWaitForBatch/helpers/input/batchSource';
import {
	describeFinished,
	stopReport,
	type LastStatus,
} from '../../../nodes/MarketoWaitForBatch/helpers/output/summary';

function batch(batchId: number, itemIndex = 0) {
	return batchFromItemJson(
		{ batchId, importType: 'leads', rows: 100, fileName: 'leads.csv' },
		itemIndex,
	);
}

function status(
	status: LastStatus['status'],
	rowsProcessed = 0,
	rowsFailed = 0,
	rowsWithWarning = 0,
): LastStatus {
	return { status, rowsProcessed, rowsFailed, rowsWithWarning, message: '' };
}

describe('describeFinished', () => {
	it("gives the batch ID, the status and Marketo's three counts", () => {
		expect(describeFinished(batch(12), status('Complete', 98, 2, 1))).toBe(
			'batch 12: Complete, 98 rows processed, 2 failed, 1 with warning',
		);
		expect(describeFinished(batch(13), status('Failed'))).toBe(
			'batch 13: Failed, 0 rows processed, 0 failed, 0 with warning',
		);
	});
});

describe('stopReport', () => {
	it('names every finished batch, every running one, and the Complete ones Check Once can re-read', () => {
		expect(
			stopReport([
				{ batch: batch(12, 0), last: status('Complete', 98, 2, 1) },
				{ batch: batch(13, 1), last: status('Failed', 0, 0, 0) },
				{ batch: batch(14, 2), last: status('Importing', 30, 5, 0) },
				{ batch: batch(15, 3), last: status('Complete', 100, 0, 0) },
				{ batch: batch(16, 4), last: status('Queued') },
			]),
		).toBe(
			'Nothing was output. Finished in Marketo: batch 12: Complete, 98 rows processed, 2 failed, 1 with warning; ' +
				'batch 13: Failed, 0 rows processed, 0 failed, 0 with warning; batch 15: Complete, 100 rows processed, 0 failed, 0 with warning. ' +
				'Still running in Marketo: batch 14: Importing, 35 of 100 rows done; batch 16: Queued. ' +
				'To get the results and the failed and warning rows of batches 12, 15, run Mode "Check Once" with Batch Source ' +
				'"Define Below" (Batch IDs 12, 15, one input item each), or on the same input with On Failed Batch set to "Output It on Done".',
		);
	});

	it('with no Failed batch among them, the same input needs no other setting', () => {
		expect(
			stopReport([
				{ batch: batch(12), last: status('Complete', 10) },
				{ batch: batch(14), last: status('Queued') },
			]),
		).toBe(
			'Nothing was output. Finished in Marketo: batch 12: Complete, 10 rows processed, 0 failed, 0 with warning. ' +
				'Still running in Marketo: batch 14: Queued. ' +
				'To get the results and the failed and warning rows of batch 12, run Mode "Check Once" with Batch Source ' +
				'"Define Below" (Batch ID 12), or on the same input.',
		);
	});

	it('says when no batch had finished, and leaves out what does not apply', () => {
		expect(stopReport([{ batch: batch(14), last: status('Queued') }])).toBe(
			'Nothing was output; no batch had finished. Still running in Marketo: batch 14: Queued.',
		);
		// only the Failed batch ended: nothing to re-read
		expect(stopReport([{ batch: batch(13), last: status('Failed') }])).toBe(
			'Nothing was output. Finished in Marketo: batch 13: Failed, 0 rows processed, 0 failed, 0 with warning.',
		);
		expect(stopReport([])).toBe('Nothing was output; no batch had finished.');
	});
});

describe('On Failed Batch parameter', () => {
	it('defaults to "Stop With an Error", sits after On Time Limit and shows in both modes', () => {
		const { properties } = new MarketoWaitForBatch().description;
		const names = properties.map((p) => p.name);
		expect(names.indexOf('onFailedBatch')).toBe(names.indexOf('onTimeLimit') + 1);
		const parameter = properties.find((p) => p.name === 'onFailedBatch');
		expect(parameter).toMatchObject({
			displayName: 'On Failed Batch',
			type: 'options',
			default: 'error',
		});
		expect(parameter?.displayOptions).toBeUndefined();
		expect(
			parameter?.options?.map((option) => ('value' in option ? [option.name, option.value] : null)),
		).toEqual([
			['Stop With an Error', 'error'],
			['Output It on Done', 'outputOnDone'],
		]);
	});
});
