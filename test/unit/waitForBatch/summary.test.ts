import { MarketoWaitForBatch } from '../../../nodes/MarketoWaitForBatch/MarketoWaitForBatch.node';
import {
	BatchInputError,
	batchFromItemJson,
	batchFromParameters,
	finalStatusOf,
	toBatchId,
} from '../../../nodes/MarketoWaitForBatch/helpers/input/batchSource';
import {
	checkCounts,
	describeRunning,
	durationSeconds,
	errorJson,
	stillRunningJson,
	summaryJson,
} from '../../../nodes/MarketoWaitForBatch/helpers/output/summary';

const descriptor = {
	batchId: 1042,
	importId: '1042',
	status: 'Queued',
	importType: 'customObjects',
	objectApiName: 'car_c',
	format: 'ssv',
	fileEncoding: 'windows-1252',
	fileName: 'cars.csv',
	part: 2,
	partCount: 3,
	rows: 500,
	bytes: 9000,
	firstRowNumber: 501,
	firstSourceItemIndex: 500,
	submittedFile: { binaryProperty: 'data', dataStart: 9100, dataEnd: 18000 },
	submittedAt: '2025-01-15T12:00:00.000Z',
};

describe('batchFromItemJson', () => {
	it("reads Marketo Bulk Import's output as it is", () => {
		expect(batchFromItemJson(descriptor, 4)).toEqual({
			itemIndex: 4,
			batchId: 1042,
			importId: '1042',
			importType: 'customObjects',
			objectApiName: 'car_c',
			format: 'ssv',
			fileEncoding: 'windows-1252',
			fileName: 'cars.csv',
			part: 2,
			partCount: 3,
			rows: 500,
			firstRowNumber: 501,
			firstSourceItemIndex: 500,
			submittedFile: { binaryProperty: 'data', dataStart: 9100, dataEnd: 18000 },
			submittedAt: '2025-01-15T12:00:00.000Z',
			initialStatus: 'Queued',
			finalStatus: undefined,
		});
		// A batch item from before File Encoding existed was read as UTF-8.
		expect(batchFromItemJson({ ...descriptor, fileEncoding: undefined }, 4).fileEncoding).toBe(
			'utf-8',
		);
	});

	it("takes Bulk Import's handed-over final status, and ignores a malformed one", () => {
		const finalStatus = {
			status: 'Complete',
			rowsProcessed: 498,
			rowsFailed: 2,
			rowsWithWarning: 0,
			message: 'Import completed with errors',
			seenAt: '2025-01-15T12:00:09.000Z',
		};
		expect(
			batchFromItemJson({ ...descriptor, status: 'Complete', finalStatus }, 0).finalStatus,
		).toEqual(finalStatus);
		expect(finalStatusOf({ ...finalStatus, status: 'Importing' })).toBeUndefined();
		expect(finalStatusOf({ ...finalStatus, rowsFailed: '2' })).toBeUndefined();
		expect(finalStatusOf({ ...finalStatus, seenAt: 'yesterday' })).toBeUndefined();
		expect(finalStatusOf('Complete')).toBeUndefined();
	});

	it('rejects items that carry no usable batch, saying what to do', () => {
		expect(() => batchFromItemJson({ email: 'a' }, 2)).toThrow(
			'Item 2 carries no Marketo batch: it has no "batchId" field. Connect the output of Marketo Bulk Import, or set Batch Source to "Define Below".',
		);
		expect(() => batchFromItemJson({ batchId: 5, importType: 'accounts' }, 0)).toThrow(
			BatchInputError,
		);
		expect(() => batchFromItemJson({ batchId: 5, importType: 'customObjects' }, 0)).toThrow(
			'Item 0 (batch 5) is a custom object import without "objectApiName".',
		);
	});

	it('tolerates a partial descriptor: defaults for format and numbering, no submitted file', () => {
		const batch = batchFromItemJson(
			{ batchId: '77', importType: 'leads', submittedAt: 'not a date' },
			0,
		);
		expect(batch).toMatchObject({
			batchId: 77,
			format: 'csv',
			firstRowNumber: 1,
			rows: null,
			submittedAt: null,
		});
		expect(batch.submittedFile).toBeUndefined();
	});
});

describe('batchFromParameters', () => {
	it('builds a batch from Define Below parameters', () => {
		expect(
			batchFromParameters({ batchId: '12', importType: 'programMembers', fileFormat: 'tsv' }, 1),
		).toMatchObject({
			itemIndex: 1,
			batchId: 12,
			importType: 'programMembers',
			format: 'tsv',
			submittedAt: null,
		});
		expect(() => batchFromParameters({ batchId: 0, importType: 'leads' }, 0)).toThrow(
			'Batch ID must be a positive whole number (item 0 gave 0).',
		);
		expect(() =>
			batchFromParameters({ batchId: 3, importType: 'customObjects', objectApiName: ' ' }, 0),
		).toThrow('A custom object batch needs the Custom Object API Name.');
	});

	it('accepts only positive whole batch IDs', () => {
		expect([1, '2', ' 3 ', 0, -1, 1.5, '', 'x', null].map(toBatchId)).toEqual([
			1,
			2,
			3,
			null,
			null,
			null,
			null,
			null,
			null,
		]);
	});
});

describe('checkCounts', () => {
	it("agrees when the files hold Marketo's counts, or were not needed", () => {
		expect(
			checkCounts({ rowsFailed: 2, rowsWithWarning: 0 }, { failed: 2, warning: null }),
		).toEqual({
			countsMatch: true,
		});
	});

	it('says so when a file and its count disagree', () => {
		expect(checkCounts({ rowsFailed: 3, rowsWithWarning: 1 }, { failed: 0, warning: 1 })).toEqual({
			countsMatch: false,
			countsNote: 'Marketo counted 3 failed row(s) but its failures file holds 0.',
		});
	});
});

describe('summaryJson', () => {
	const batch = batchFromItemJson(descriptor, 0);
	const last = {
		status: 'Complete' as const,
		rowsProcessed: 498,
		rowsFailed: 2,
		rowsWithWarning: 0,
		message: 'm',
	};

	it('describes a finished batch', () => {
		const endedAt = Date.parse('2025-01-15T12:01:05.250Z');
		expect(
			summaryJson({
				batch,
				last,
				endedAt,
				failedRowItems: 2,
				warningRowItems: 0,
				counts: { countsMatch: false, countsNote: 'n' },
				stillRunning: false,
			}),
		).toEqual({
			batchId: 1042,
			importType: 'customObjects',
			objectApiName: 'car_c',
			importId: '1042',
			status: 'Complete',
			rowsProcessed: 498,
			rowsFailed: 2,
			rowsWithWarning: 0,
			message: 'm',
			submittedAt: '2025-01-15T12:00:00.000Z',
			endedAt: '2025-01-15T12:01:05.250Z',
			durationSeconds: 65.3,
			part: 2,
			partCount: 3,
			fileName: 'cars.csv',
			failedRowItems: 2,
			warningRowItems: 0,
			countsMatch: false,
			countsNote: 'n',
		});
	});

	it('marks still-running batches and keeps batch fields on error items', () => {
		const running = stillRunningJson(batch, { ...last, status: 'Importing' });
		expect(running).toMatchObject({
			status: 'Importing',
			stillRunning: true,
			endedAt: null,
			durationSeconds: null,
		});
		expect(errorJson(batch, 'boom', last)).toEqual({
			error: 'boom',
			batchId: 1042,
			importType: 'customObjects',
			objectApiName: 'car_c',
			importId: '1042',
			part: 2,
			partCount: 3,
			fileName: 'cars.csv',
			status: 'Complete',
			message: 'm',
		});
		expect(
			describeRunning(batch, { ...last, status: 'Importing', rowsProcessed: 100, rowsFailed: 5 }),
		).toBe('batch 1042: Importing, 105 of 500 rows done');
		expect(durationSeconds(null, 5)).toBeNull();
	});
});

describe('node description', () => {
	it('has three named outputs, the credential and the tool flag', () => {
		const { description } = new MarketoWaitForBatch();
		expect(description.name).toBe('marketoWaitForBatch');
		expect(description.outputs).toHaveLength(3);
		expect(description.outputNames).toEqual(['Done', 'Failed Rows', 'Warning Rows']);
		expect(description.credentials).toEqual([{ name: 'marketoApi', required: true }]);
		expect(description.usableAsTool).toBe(true);
		const names = description.properties.map((p) => p.name);
		for (const name of [
			'mode',
			'batchSource',
			'batchId',
			'importType',
			'maxPollInterval',
			'timeLimit',
			'onTimeLimit',
			'options',
		]) {
			expect(names).toContain(name);
		}
		const wait = description.properties.find((p) => p.name === 'maxPollInterval');
		expect(wait?.default).toBe(30);
		expect(description.properties.find((p) => p.name === 'timeLimit')?.default).toBe(60);
	});
});
