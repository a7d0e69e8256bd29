import {
	parseResultFile,
	reasonColumnIndex,
} from '../../../nodes/MarketoWaitForBatch/helpers/rows/resultRows';
import { toRowJson } from '../../../nodes/shared/rowItems';

describe('reasonColumnIndex', () => {
	it('finds the reason column by name, else takes the last column', () => {
		expect(reasonColumnIndex(['email', 'Import Failure Reason', 'x'])).toBe(1);
		expect(reasonColumnIndex(['email', 'import warning reason'])).toBe(1);
		expect(reasonColumnIndex(['email', 'company', 'Why'])).toBe(2);
	});
});

describe('parseResultFile', () => {
	it('reads a semicolon file with semicolons, quotes and newlines inside quoted values', () => {
		const text =
			'email;company;Import Failure Reason\n' +
			'a@x.com;"Smith; Sons";"Invalid data type in field Lead Score"\n' +
			'"b@x.com";"Say ""hi""\nsecond line";Value for lookup field \'email\' not found\n';
		const file = parseResultFile(text, ';');
		expect(file.columns).toEqual(['email', 'company']);
		expect(file.reasonColumn).toBe('Import Failure Reason');
		expect(file.rows).toEqual([
			{
				values: { email: 'a@x.com', company: 'Smith; Sons' },
				reason: 'Invalid data type in field Lead Score',
			},
			{
				values: { email: 'b@x.com', company: 'Say "hi"\nsecond line' },
				reason: "Value for lookup field 'email' not found",
			},
		]);
	});

	it('reads a tab file with CRLF line endings and commas in values', () => {
		const text = 'email\tcompany\tImport Warning Reason\r\nc@x\tA, B\tInvalid email address\r\n';
		const file = parseResultFile(text, '\t');
		expect(file.rows).toEqual([
			{ values: { email: 'c@x', company: 'A, B' }, reason: 'Invalid email address' },
		]);
	});

	it('keeps the columns the file has when its header lacks one of the input columns', () => {
		// the input had email,firstName,company; firstName was empty in the failed row
		const text =
			'email,company,Import Failure Reason\nd@x.com,Acme,Invalid data type in field Lead Score\n';
		const file = parseResultFile(text, ',');
		expect(file.columns).toEqual(['email', 'company']);
		expect(Object.keys(file.rows[0].values)).toEqual(['email', 'company']);
	});

	it('gives no rows for an empty body, a whitespace body or a header only', () => {
		for (const text of ['', '\n', 'email,Import Failure Reason\n']) {
			const file = parseResultFile(text, ',');
			expect(file.rows).toEqual([]);
		}
		expect(parseResultFile('', ',').reasonColumn).toBeNull();
	});

	it('strips a byte order mark from the first column name', () => {
		const file = parseResultFile('\ufeffemail,Import Failure Reason\ne@x.com,bad\n', ',');
		expect(file.columns).toEqual(['email']);
		expect(file.rows[0].values).toEqual({ email: 'e@x.com' });
	});

	it('fills short rows with empty values and counts long rows', () => {
		const file = parseResultFile(
			'email,company,Import Failure Reason\nf@x.com\ng@x.com,A,r,extra\n',
			',',
		);
		expect(file.rows[0]).toEqual({ values: { email: 'f@x.com', company: '' }, reason: '' });
		expect(file.longRowCount).toBe(1);
	});
});

describe('toRowJson', () => {
	it('leads with the reason, puts the file columns at the top level and the origin under _marketo', () => {
		const json = toRowJson(
			{ values: { email: 'a@x.com', _other: '1' }, reason: 'bad' },
			{ kind: 'failed', batchId: 7, importType: 'customObjects', objectApiName: 'car_c' },
			{ rowNumber: 3, sourceItemIndex: null, tieBack: 'exact' },
		);
		expect(Object.keys(json)[0]).toBe('_marketoReason');
		expect(json).toEqual({
			_marketoReason: 'bad',
			email: 'a@x.com',
			_other: '1',
			_marketo: {
				kind: 'failed',
				reason: 'bad',
				batchId: 7,
				importType: 'customObjects',
				objectApiName: 'car_c',
				rowNumber: 3,
				sourceItemIndex: null,
				tieBack: 'exact',
			},
		});
		const lead = toRowJson(
			{ values: {}, reason: 'r' },
			{ kind: 'warning', batchId: 1, importType: 'leads' },
			{ rowNumber: null, sourceItemIndex: null, tieBack: 'not-found' },
		);
		expect(lead._marketo).not.toHaveProperty('objectApiName');
	});
});
