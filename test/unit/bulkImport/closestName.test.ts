import {
	closestFieldName,
	editDistance,
	normalizeFieldName,
} from '../../../nodes/MarketoBulkImport/helpers/plan/closestName';

const LEAD_FIELDS = [
	{ name: 'email', displayName: 'Email Address' },
	{ name: 'firstName', displayName: 'First Name' },
	{ name: 'lastName', displayName: 'Last Name' },
	{ name: 'company', displayName: 'Company Name' },
	{ name: 'title', displayName: 'Job Title' },
	{ name: 'leadScore', displayName: 'Lead Score' },
	{ name: 'sfdcLeadId', displayName: 'SFDC Lead ID' },
];

describe('closestFieldName', () => {
	it.each([
		['FirstName', 'firstName'], // case slip
		['firstname', 'firstName'],
		['First Name', 'firstName'], // display name
		['Email Address', 'email'],
		['Job Title', 'title'],
		[' email', 'email'], // stray space
		['lastName ', 'lastName'],
		['first_name', 'firstName'],
		['frstName', 'firstName'], // typo
		['emial', 'email'],
		['compnay', 'company'],
		['leadscore', 'leadScore'],
	])('suggests %j -> %j', (header, expected) => {
		expect(closestFieldName(header, LEAD_FIELDS)).toBe(expected);
	});

	it('suggests nothing for a column unlike any field', () => {
		expect(closestFieldName('favouriteColour', LEAD_FIELDS)).toBeUndefined();
		expect(closestFieldName('', LEAD_FIELDS)).toBeUndefined();
		expect(closestFieldName('   ', LEAD_FIELDS)).toBeUndefined();
	});

	it('prefers an exact normalized match over a closer-looking typo', () => {
		const fields = [{ name: 'titles' }, { name: 'title', displayName: 'Job Title' }];
		expect(closestFieldName('JOB TITLE', fields)).toBe('title');
	});
});

describe('editDistance / normalizeFieldName', () => {
	it('counts insertions, deletions and substitutions', () => {
		expect(editDistance('kitten', 'sitting')).toBe(3);
		expect(editDistance('', 'abc')).toBe(3);
		expect(editDistance('abc', 'abc')).toBe(0);
	});

	it('drops case, spaces, underscores, hyphens and dots', () => {
		expect(normalizeFieldName(' First_Name-x.y ')).toBe('firstnamexy');
	});
});
