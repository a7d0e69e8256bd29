import {
	checkHeader,
	formatHeaderProblems,
	toKnownFields,
	type HeaderRules,
} from '../../../nodes/MarketoBulkImport/helpers/plan/preflight';

const rules: HeaderRules = {
	fields: toKnownFields({
		fields: [
			{ name: 'email', displayName: 'Email Address' },
			{ name: 'firstName', displayName: 'First Name' },
			{ name: 'lastName', displayName: 'Last Name' },
			{ name: 'company', displayName: 'Company Name' },
		],
	}),
	required: [{ anyOf: ['email'], why: 'Marketo finds existing leads by the lookup field' }],
};

describe('checkHeader', () => {
	it('accepts a header of exact REST names', () => {
		const check = checkHeader(['email', 'firstName', 'company'], rules);
		expect(check).toEqual({ unknown: [], missing: [] });
		expect(formatHeaderProblems(check, 'The file')).toBeUndefined();
	});

	it('lists every unknown column with its position and suggestion', () => {
		const check = checkHeader(['email', 'First Name', 'LastName', ' company', 'shoeSize'], rules);
		expect(check.unknown).toEqual([
			{ column: 'First Name', position: 2, suggestion: 'firstName' },
			{ column: 'LastName', position: 3, suggestion: 'lastName' },
			{ column: ' company', position: 4, suggestion: 'company' },
			{ column: 'shoeSize', position: 5, suggestion: undefined },
		]);
		expect(check.missing).toEqual([]);
	});

	it('reports a missing required column', () => {
		const check = checkHeader(['firstName', 'lastName'], rules);
		expect(check.unknown).toEqual([]);
		expect(check.missing.map((m) => m.anyOf)).toEqual([['email']]);
	});

	it('treats a required column satisfied by any of its alternatives', () => {
		const withAlternatives: HeaderRules = {
			fields: [{ name: 'vin' }, { name: 'marketoGUID' }, { name: 'make' }],
			required: [{ anyOf: ['vin', 'marketoGUID'], why: 'dedupe' }],
		};
		expect(checkHeader(['marketoGUID', 'make'], withAlternatives).missing).toEqual([]);
		expect(checkHeader(['make'], withAlternatives).missing).toHaveLength(1);
	});

	it('does not call every column unknown when describe returned no fields', () => {
		const check = checkHeader(['anything', 'email'], { fields: [], required: [] });
		expect(check.unknown).toEqual([]);
	});
});

describe('formatHeaderProblems', () => {
	it('names the columns in the message and the suggestions and the fix in the description', () => {
		const problems = formatHeaderProblems(
			checkHeader(['emial', 'First Name'], rules),
			"Item 0's file",
		);
		expect(problems?.message).toBe(
			"Item 0's file has columns Marketo does not know: 'emial', 'First Name'",
		);
		expect(problems?.description).toContain("'emial' (did you mean 'email'?)");
		expect(problems?.description).toContain("'First Name' (did you mean 'firstName'?)");
		expect(problems?.description).toContain("Missing column 'email'");
		expect(problems?.description).toContain('Preflight Check');
	});

	it('describes an empty header cell by its position', () => {
		const problems = formatHeaderProblems(checkHeader(['email', ''], rules), 'The file');
		expect(problems?.message).toContain('a column');
		expect(problems?.description).toContain('(empty name, column 2)');
	});

	it('explains a missing column alone', () => {
		const problems = formatHeaderProblems(checkHeader(['firstName'], rules), 'The file');
		expect(problems?.message).toBe('The file is missing a required column');
		expect(problems?.description).toContain(
			"Missing column 'email': Marketo finds existing leads by the lookup field.",
		);
	});
});
