import {
	checkValue,
	fieldTypesOf,
	isIsoDate,
	isIsoDateTime,
	isPlausibleEmail,
	mapColumns,
	predictRow,
	type FieldType,
	type RowRules,
} from '../../../nodes/MarketoBulkImport/helpers/validate/rowChecks';
import {
	columnNotes,
	countReasons,
} from '../../../nodes/MarketoBulkImport/helpers/validate/validateOnly';

function field(
	name: string,
	displayName: string,
	dataType: string,
	extra: Partial<FieldType> = {},
): FieldType {
	return { name, displayName, dataType, updateable: true, ...extra };
}

const LEAD_FIELDS: FieldType[] = [
	field('id', 'Id', 'integer', { updateable: false }),
	field('email', 'Email Address', 'email', { length: 255 }),
	field('firstName', 'First Name', 'string', { length: 255 }),
	field('tier', 'Customer Tier', 'string', { length: 5 }),
	field('leadScore', 'Lead Score', 'integer'),
	field('billingEmail', 'Billing Email', 'email', { length: 255 }),
	field('createdAt', 'Created At', 'datetime', { updateable: false }),
];
const MEMBER_FIELDS: FieldType[] = [field('seats', 'Seats Reserved', 'integer')];
const LEADS: RowRules = { fieldSets: [LEAD_FIELDS], keyFields: ['email'], keyLabel: 'lookup' };

describe('checkValue: the formats of the types Marketo describes', () => {
	const cases: Array<[string, string, string, 'ok' | 'fail' | 'warn']> = [
		['integer', '42', 'plain', 'ok'],
		['integer', '-7', 'signed', 'ok'],
		['integer', '2147483647', 'the largest 32-bit value', 'ok'],
		['integer', '2147483648', 'over 32 bits', 'fail'],
		['integer', '4.0', 'a decimal point', 'fail'],
		['integer', 'ten', 'text', 'fail'],
		['float', '1.5', 'plain', 'ok'],
		['float', '-3e2', 'exponent', 'ok'],
		['float', '.5', 'no leading digit', 'ok'],
		['float', '1,5', 'a comma', 'fail'],
		['currency', '19.99', 'currency as float', 'ok'],
		['currency', '$19.99', 'a currency sign', 'fail'],
		['boolean', 'TRUE', 'any case', 'ok'],
		['boolean', '0', 'zero', 'ok'],
		['boolean', 'yes', 'yes', 'ok'],
		['boolean', 'maybe', 'another word', 'fail'],
		['date', '2024-02-29', 'a leap day', 'ok'],
		['date', '2023-02-29', 'no leap day that year', 'fail'],
		['date', '01/02/2024', 'a local format', 'fail'],
		['date', '2024-02-01T00:00:00Z', 'a date and time', 'fail'],
		['datetime', '2024-02-01T10:00:00Z', 'UTC', 'ok'],
		['datetime', '2024-02-01T10:00:00.123+01:00', 'fraction and offset', 'ok'],
		['datetime', '2024-02-01T10:00', 'no seconds', 'ok'],
		['datetime', '2024-02-01 10:00:00', 'a space instead of T', 'fail'],
		['datetime', '2024-02-01', 'only a date', 'fail'],
		['datetime', '2024-02-01T24:00:00Z', 'hour 24', 'fail'],
	];
	it.each(cases)('%s %j (%s): %s', (dataType, value, _label, expected) => {
		const check = checkValue(field('f', 'My Field', dataType), value);
		expect(check.kind).toBe(expected);
		if (check.kind === 'fail') expect(check.reason).toBe('Invalid data type in field My Field');
	});

	it('a string over its length fails naming the field and the limit; up to it is fine', () => {
		const tier = LEAD_FIELDS[3];
		expect(checkValue(tier, 'Gold!')).toEqual({ kind: 'ok' });
		expect(checkValue(tier, 'Golden')).toEqual({
			kind: 'fail',
			reason: 'Value too long for field Customer Tier (max 5 characters)',
		});
	});

	it('an invalid email is a warning (Marketo imports the row); an over-long one fails', () => {
		const email = field('email', 'Email Address', 'email', { length: 20 });
		expect(checkValue(email, 'not-an-email')).toEqual({
			kind: 'warn',
			reason: 'Invalid email address',
		});
		expect(checkValue(email, 'a@b.co')).toEqual({ kind: 'ok' });
		expect(checkValue(email, 'someone.long@example.com').kind).toBe('fail');
	});

	it('types without a format (text, url, phone, reference) only have their length checked', () => {
		expect(checkValue(field('a', 'A', 'text'), 'x'.repeat(70000))).toEqual({ kind: 'ok' });
		expect(checkValue(field('u', 'U', 'url', { length: 3 }), 'http://').kind).toBe('fail');
	});

	it('date helpers', () => {
		expect(isIsoDate('2000-02-29')).toBe(true);
		expect(isIsoDate('1900-02-29')).toBe(false);
		expect(isIsoDateTime('2024-12-31T23:59:59-0500')).toBe(true);
		expect(isPlausibleEmail('a b@example.com')).toBe(false);
	});
});

describe('mapColumns', () => {
	it('exact names win, then names that differ only in case; spaces are not trimmed; earlier field sets first', () => {
		const columns = mapColumns(
			['email', 'FirstName', ' email', 'seats', 'nope'],
			[LEAD_FIELDS, MEMBER_FIELDS],
		);
		expect(columns.map((c) => [c.header, c.field?.name, c.caseDiffers])).toEqual([
			['email', 'email', false],
			['FirstName', 'firstName', true],
			[' email', undefined, false],
			['seats', 'seats', false],
			['nope', undefined, false],
		]);
	});
});

describe('predictRow: one reason per row, in the order Marketo decides', () => {
	const columns = mapColumns(
		['email', 'firstName', 'leadScore', 'billingEmail', 'tier', 'id', 'createdAt'],
		[LEAD_FIELDS],
	);

	it('a good row, and missing trailing cells, import', () => {
		expect(predictRow(columns, ['a@example.com', 'Ann', '5', '', 'Gold', '', ''], LEADS)).toEqual({
			outcome: 'imported',
		});
		expect(predictRow(columns, ['a@example.com'], LEADS)).toEqual({ outcome: 'imported' });
	});

	it('more values than the header fails before anything else', () => {
		expect(predictRow(columns, ['', '', 'x', '', '', '', '', 'extra'], LEADS)).toEqual({
			outcome: 'failed',
			reason: 'Row has 8 values but the header has 7 columns',
		});
	});

	it('an empty lookup value fails before a bad value', () => {
		expect(predictRow(columns, ['', 'Ann', 'x'], LEADS)).toEqual({
			outcome: 'failed',
			reason: "Value for lookup field 'email' not found",
		});
	});

	it('a key column missing from the header fails every row, with the dedupe wording for custom objects', () => {
		const rules: RowRules = {
			fieldSets: [[field('vin', 'VIN', 'string')]],
			keyFields: ['vin'],
			keyLabel: 'dedupe',
		};
		expect(predictRow(mapColumns(['make'], rules.fieldSets), ['Ford'], rules)).toEqual({
			outcome: 'failed',
			reason: "Value for dedupe field 'vin' not found",
		});
	});

	it('the first bad value from the left gives the reason; a failure hides warnings', () => {
		expect(predictRow(columns, ['bad-email', 'Ann', 'x', '', 'Platinum'], LEADS)).toEqual({
			outcome: 'failed',
			reason: 'Invalid data type in field Lead Score',
		});
	});

	it('warnings are collected once each', () => {
		expect(predictRow(columns, ['bad-email', '', '', 'also-bad'], LEADS)).toEqual({
			outcome: 'warning',
			reason: 'Invalid email address',
		});
	});

	it('read-only fields are ignored, unless they are the key (an id lookup checks the id)', () => {
		expect(
			predictRow(columns, ['a@example.com', '', '', '', '', 'abc', 'yesterday'], LEADS),
		).toEqual({ outcome: 'imported' });
		const byId: RowRules = { ...LEADS, keyFields: ['id'] };
		expect(predictRow(columns, ['', '', '', '', '', 'abc'], byId)).toEqual({
			outcome: 'failed',
			reason: 'Invalid data type in field Id',
		});
	});
});

describe('fieldTypesOf', () => {
	it('reads a describe answer: names, display names, types, lengths, read-only flags', () => {
		expect(
			fieldTypesOf({
				fields: [
					{
						name: 'email',
						displayName: 'Email Address',
						dataType: 'email',
						length: 255,
						updateable: true,
					},
					{ name: 'id', dataType: 'integer', updateable: false },
					{ displayName: 'no name' },
				],
			}),
		).toEqual([
			{
				name: 'email',
				displayName: 'Email Address',
				dataType: 'email',
				length: 255,
				updateable: true,
			},
			{ name: 'id', displayName: 'id', dataType: 'integer', updateable: false },
		]);
	});
});

describe('the summary', () => {
	it('counts reasons, most frequent first', () => {
		expect(
			countReasons([
				{ kind: 'warning', reason: 'Invalid email address' },
				{ kind: 'failed', reason: 'Invalid data type in field Lead Score' },
				{ kind: 'failed', reason: 'Invalid data type in field Lead Score' },
				{ kind: 'failed', reason: "Value for lookup field 'email' not found" },
			]),
		).toEqual([
			{ kind: 'failed', reason: 'Invalid data type in field Lead Score', rows: 2 },
			{ kind: 'failed', reason: "Value for lookup field 'email' not found", rows: 1 },
			{ kind: 'warning', reason: 'Invalid email address', rows: 1 },
		]);
	});

	it('names columns it does not check and columns matched ignoring case', () => {
		const notes = columnNotes(mapColumns(['Email', 'shoeSize'], [LEAD_FIELDS]));
		expect(notes).toEqual([
			expect.stringContaining("'shoeSize'"),
			expect.stringContaining("'Email' for 'email'"),
		]);
	});
});
