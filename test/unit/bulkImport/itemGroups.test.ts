import type { IDataObject } from 'n8n-workflow';

import {
	firstItemDiffering,
	groupItems,
	holdsExpression,
	itemsOfRows,
	planKeyOf,
} from '../../../nodes/MarketoBulkImport/helpers/input/itemGroups';
import {
	autoMappedRecord,
	fieldIndex,
	manualRecord,
	withoutSettingFields,
} from '../../../nodes/MarketoBulkImport/helpers/input/itemRecords';
import {
	mapperFields,
	mapperFieldType,
} from '../../../nodes/MarketoBulkImport/methods/resourceMapping';
import {
	itemAtOffset,
	itemRangesFrom,
	itemsOfRanges,
	toItemRanges,
} from '../../../nodes/shared/itemRanges';

describe('grouping items by their settings', () => {
	const listOf = ['2001', '2003', '2001', '2001', '2003', '2005'];

	it('puts items with equal settings together, groups in first-seen order, items in input order', () => {
		const groups = groupItems(
			[0, 1, 2, 3, 4, 5],
			(i) => listOf[i],
			(list) => list,
		);
		expect(groups.map((g) => [g.settings, g.itemIndices])).toEqual([
			['2001', [0, 2, 3]],
			['2003', [1, 4]],
			['2005', [5]],
		]);
	});

	it('groups only the items it is given (an item whose settings failed is left out)', () => {
		const groups = groupItems(
			[0, 2, 5],
			(i) => listOf[i],
			(list) => list,
		);
		expect(groups.map((g) => g.itemIndices)).toEqual([[0, 2], [5]]);
	});

	it('keys a plan by its target and query, whatever the order of their fields', () => {
		const a = planKeyOf({
			target: { importType: 'leads' },
			query: { lookupField: 'email', listId: 2001 },
		});
		const b = planKeyOf({
			target: { importType: 'leads' },
			query: { listId: 2001, lookupField: 'email' },
		});
		const c = planKeyOf({
			target: { importType: 'leads' },
			query: { listId: 2003, lookupField: 'email' },
		});
		const d = planKeyOf({
			target: { importType: 'programMembers', programId: 1001 },
			query: { programMemberStatus: 'Attended' },
		});
		const e = planKeyOf({
			target: { importType: 'programMembers', programId: 1001 },
			query: { programMemberStatus: 'No Show' },
		});
		expect(a).toBe(b);
		expect(new Set([a, c, d, e]).size).toBe(4);
	});

	it("maps a part's rows to the group's items", () => {
		const group = [0, 2, 3, 9, 10];
		expect(itemsOfRows(group, 1, 2)).toEqual([0, 2]);
		expect(itemsOfRows(group, 3, 3)).toEqual([3, 9, 10]);
	});

	it('sees an expression anywhere in a raw parameter value', () => {
		expect(holdsExpression('={{ $json.listId }}')).toBe(true);
		expect(holdsExpression({ __rl: true, mode: 'id', value: '={{ $json.listId }}' })).toBe(true);
		expect(holdsExpression({ partSizeMb: 5, fileName: '=x-{{ $json.a }}.csv' })).toBe(true);
		expect(holdsExpression({ __rl: true, mode: 'id', value: '2001' })).toBe(false);
		expect(holdsExpression(['a', 3, null])).toBe(false);
	});

	it('finds the first item whose value differs from item 0', () => {
		expect(firstItemDiffering((i) => [5, 5, 5][i], 3)).toBeUndefined();
		expect(firstItemDiffering((i) => [5, 5, 2, 1][i], 4)).toBe(2);
		expect(firstItemDiffering((i) => [{ a: 1 }, { a: 1 }][i], 2)).toBeUndefined();
	});
});

describe('item ranges', () => {
	it('writes item indices as the fewest ranges and reads them back', () => {
		const items = [0, 1, 2, 7, 8, 12];
		const ranges = toItemRanges(items);
		expect(ranges).toEqual([
			{ from: 0, to: 2 },
			{ from: 7, to: 8 },
			{ from: 12, to: 12 },
		]);
		expect(itemsOfRanges(ranges)).toEqual(items);
		expect(items.map((_, offset) => itemAtOffset(ranges, offset))).toEqual(items);
		expect(itemAtOffset(ranges, 6)).toBeNull();
		expect(itemAtOffset(ranges, -1)).toBeNull();
	});

	it('accepts only well-formed ranges from an item', () => {
		expect(itemRangesFrom([{ from: 3, to: 5 }])).toEqual([{ from: 3, to: 5 }]);
		for (const bad of [
			undefined,
			[],
			[{ from: 5, to: 3 }],
			[{ from: '1', to: 2 }],
			[{ from: -1, to: 2 }],
			'x',
		]) {
			expect(itemRangesFrom(bad)).toBeUndefined();
		}
	});
});

describe('item records', () => {
	const known = fieldIndex([
		{ name: 'email', displayName: 'Email Address' },
		{ name: 'firstName', displayName: 'First Name' },
	]);

	it('Map Automatically writes the Marketo fields and leaves the others out', () => {
		const mapped = autoMappedRecord(
			{ email: 'a@example.com', firstName: 'A', listId: 2001 },
			known.fields,
			known.byNormalizedName,
		);
		expect(mapped).toEqual({
			record: { email: 'a@example.com', firstName: 'A' },
			leftOut: ['listId'],
			misspelled: [],
		});
	});

	it('Map Automatically reports a field spelled like a Marketo field, instead of dropping its values', () => {
		const mapped = autoMappedRecord(
			{ email: 'a@example.com', FirstName: 'A', 'first name': 'B' },
			known.fields,
			known.byNormalizedName,
		);
		expect(mapped.misspelled).toEqual([
			{ field: 'FirstName', meant: 'firstName' },
			{ field: 'first name', meant: 'firstName' },
		]);
	});

	it('Map Automatically writes every field when the instance described none', () => {
		const none = fieldIndex([]);
		expect(autoMappedRecord({ anything: 1 }, none.fields, none.byNormalizedName).record).toEqual({
			anything: 1,
		});
	});

	it("reads an item's fields once each, and no property descriptor (n8n 1.x hands a Code node's items as vm2 proxies, whose every read costs)", () => {
		const reads: string[] = [];
		const item = new Proxy(
			{ email: 'a@example.com', firstName: 'A', listId: 2001, [Symbol('tag')]: 'x' } as object,
			{
				ownKeys: (target) => (reads.push('ownKeys'), Reflect.ownKeys(target)),
				get: (target, key) => (reads.push(`get ${String(key)}`), Reflect.get(target, key)),
				getOwnPropertyDescriptor: (target, key) => (
					reads.push(`descriptor ${String(key)}`),
					Reflect.getOwnPropertyDescriptor(target, key)
				),
			},
		);

		const mapped = autoMappedRecord(
			withoutSettingFields(item as IDataObject, new Set(['listId'])),
			known.fields,
			known.byNormalizedName,
		);

		expect(mapped).toEqual({
			record: { email: 'a@example.com', firstName: 'A' },
			leftOut: [],
			misspelled: [],
		});
		expect(reads).toEqual(['ownKeys', 'get email', 'get firstName']);
	});

	it('leaves out setting fields and empty manual values', () => {
		expect(withoutSettingFields({ email: 'a', status: 'Attended' }, new Set(['status']))).toEqual({
			email: 'a',
		});
		expect(manualRecord({ email: 'a', firstName: null, lastName: '', score: 0 })).toEqual({
			email: 'a',
			score: 0,
		});
		expect(manualRecord(null)).toEqual({});
	});
});

describe('resource mapper fields', () => {
	it('gives each field its type, marks the required ones and lists them first', () => {
		const fields = mapperFields(
			[
				[
					{ name: 'id', displayName: 'Id', dataType: 'integer', updateable: false },
					{ name: 'createdAt', displayName: 'Created At', dataType: 'datetime', updateable: false },
					{ name: 'firstName', displayName: 'First Name', dataType: 'string', updateable: true },
					{ name: 'email', displayName: 'Email Address', dataType: 'email', updateable: true },
					{ name: 'leadScore', displayName: 'Lead Score', dataType: 'integer', updateable: true },
					{
						name: 'unsubscribed',
						displayName: 'Unsubscribed',
						dataType: 'boolean',
						updateable: true,
					},
				],
				[{ name: 'email', displayName: 'Duplicate', dataType: 'string' }],
			],
			['email'],
		);
		expect(fields.map((f) => [f.id, f.displayName, f.type, f.required])).toEqual([
			['email', 'Email Address (email)', 'string', true],
			['firstName', 'First Name', 'string', false],
			['leadScore', 'Lead Score', 'number', false],
			['unsubscribed', 'Unsubscribed', 'boolean', false],
		]);
	});

	it('offers a read-only field when it is required (the lead id as lookup field)', () => {
		const fields = mapperFields(
			[[{ name: 'id', displayName: 'Id', dataType: 'integer', updateable: false }]],
			['id'],
		);
		expect(fields).toEqual([expect.objectContaining({ id: 'id', type: 'number', required: true })]);
	});

	it('maps Marketo data types to the editor types', () => {
		expect(
			['integer', 'float', 'currency', 'boolean', 'date', 'string', undefined].map(mapperFieldType),
		).toEqual(['number', 'number', 'number', 'boolean', 'string', 'string', 'string']);
	});
});
