/**
 * Items input with per-item settings (items grouped by what their expressions give), settings
 * read from an item field, and the resource mapper of node version 2.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { resourceMapping, readBinary, simulatorCredentials } from '../harness';
import {
	bulkImportNode,
	bulkImportOutput,
	descriptorsOf,
	drainQueue,
	failureOf,
	marketoOf,
	runBulkImport,
	uploadCalls,
	useFakeClock,
	useSimulator,
	waitForBatches,
} from './support';

const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e6, clock });

const PER_ITEM_LIST: INodeParameters = {
	operation: 'importLeads',
	inputSource: 'items',
	list: { __rl: true, mode: 'id', value: '={{ $json.listId }}' },
};

function itemsOf(records: IDataObject[]): INodeExecutionData[] {
	return records.map((json) => ({ json }));
}

describe('Items input: per-item settings', () => {
	it('groups items by their list into one file per list, in first-seen order, each paired to its items', async () => {
		const people = [
			{ email: 'grp0@example.com', firstName: 'Zero', listId: 2003 },
			{ email: 'grp1@example.com', firstName: 'One', listId: 2001 },
			{ email: 'grp2@example.com', firstName: 'Two', listId: 2003 },
			{ email: 'grp3@example.com', firstName: 'Three', listId: 2001 },
			{ email: 'grp4@example.com', firstName: 'Four', listId: 2003 },
		];
		const result = await runBulkImport(sim(), PER_ITEM_LIST, itemsOf(people));

		const outputs = result.outputs[0];
		expect(outputs).toHaveLength(2);
		expect(
			descriptorsOf(result).map((d) => [
				d.listId,
				d.rows,
				d.firstSourceItemIndex,
				d.sourceItemRanges,
			]),
		).toEqual([
			[
				2003,
				3,
				0,
				[
					{ from: 0, to: 0 },
					{ from: 2, to: 2 },
					{ from: 4, to: 4 },
				],
			],
			[
				2001,
				2,
				1,
				[
					{ from: 1, to: 1 },
					{ from: 3, to: 3 },
				],
			],
		]);
		expect(outputs.map((item) => item.pairedItem)).toEqual([
			[{ item: 0 }, { item: 2 }, { item: 4 }],
			[{ item: 1 }, { item: 3 }],
		]);
		// listId is a setting, not a lead field: Map Automatically leaves it out and says so.
		expect(descriptorsOf(result)[0].itemFieldsNotMapped).toEqual(['listId']);
		const file = (await readBinary(outputs[1].binary!.data)).toString('utf8');
		expect(file).toBe('email,firstName\ngrp1@example.com,One\ngrp3@example.com,Three\n');
		expect(uploadCalls(sim()).map((call) => call.query?.listId)).toEqual(['2003', '2001']);

		drainQueue(sim(), clock);
		expect(
			sim()
				.state.listMembers(2003)
				.map((lead) => lead.fields.email)
				.sort(),
		).toEqual(['grp0@example.com', 'grp2@example.com', 'grp4@example.com']);
		expect(
			sim()
				.state.listMembers(2001)
				.map((lead) => lead.fields.email)
				.sort(),
		).toEqual(['grp1@example.com', 'grp3@example.com']);
	});

	it('ties each failed row back to its own input item across groups (Wait for Batch)', async () => {
		const people = [
			{ email: 'tie0@example.com', leadScore: 1, listId: 2001 },
			{ email: 'tie1@example.com', leadScore: 'bad-one', listId: 2003 },
			{ email: 'tie2@example.com', leadScore: 2, listId: 2001 },
			{ email: 'tie3@example.com', leadScore: 'bad-three', listId: 2001 },
			{ email: 'tie4@example.com', leadScore: 'bad-four', listId: 2003 },
		];
		const batches = await bulkImportOutput(sim(), PER_ITEM_LIST, itemsOf(people));
		expect(batches).toHaveLength(2);

		const run = await waitForBatches(sim(), batches);

		const bySource = run.failedRows.map((row) => [
			marketoOf(row).sourceItemIndex,
			row.email,
			marketoOf(row).rowNumber,
		]);
		expect(bySource).toEqual([
			[3, 'tie3@example.com', 3],
			[1, 'tie1@example.com', 1],
			[4, 'tie4@example.com', 2],
		]);
	});

	it('splits parts of a group by size and keeps every part paired to its own items', async () => {
		const people = Array.from({ length: 12 }, (_, i) => ({
			email: `part${i}@example.com`,
			company: 'x'.repeat(40),
			listId: i % 3 === 0 ? 2005 : 2004,
		}));
		const result = await runBulkImport(
			sim(),
			{ ...PER_ITEM_LIST, options: { partSizeMb: 0.0002 } },
			itemsOf(people),
		);
		const descriptors = descriptorsOf(result);
		const list2004 = result.outputs[0].filter((_, i) => descriptors[i].listId === 2004);
		expect(list2004.length).toBeGreaterThan(1);
		const paired = list2004.flatMap((item) =>
			(item.pairedItem as Array<{ item: number }>).map((p) => p.item),
		);
		expect(paired).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);
		for (const item of list2004) {
			const d = item.json as IDataObject;
			expect(d.firstSourceItemIndex).toBe((item.pairedItem as Array<{ item: number }>)[0].item);
		}
	});

	it('under Continue On Fail, an item with a bad setting becomes an error item and the others are imported', async () => {
		const result = await runBulkImport(
			sim(),
			PER_ITEM_LIST,
			itemsOf([
				{ email: 'cof0@example.com', listId: 2001 },
				{ email: 'cof1@example.com', listId: 'not-a-list' },
				{ email: 'cof2@example.com', listId: 2001 },
			]),
			true,
		);
		const [errorItem, batch] = result.outputs[0];
		expect(errorItem.json.error).toBe("Choose your static list: 'not-a-list' is not a list ID");
		expect(errorItem.pairedItem).toEqual({ item: 1 });
		expect(batch.json).toMatchObject({ listId: 2001, rows: 2 });
		expect(batch.pairedItem).toEqual([{ item: 0 }, { item: 2 }]);
	});

	it('stops before uploading when an option that shapes the file differs between items, naming the item', async () => {
		const error = await failureOf(
			runBulkImport(sim(), { ...PER_ITEM_LIST, options: { partSizeMb: '={{ $json.size }}' } }, [
				{ json: { email: 'a@example.com', listId: 2001, size: 5 } },
				{ json: { email: 'b@example.com', listId: 2001, size: 5 } },
				{ json: { email: 'c@example.com', listId: 2003, size: 2 } },
			]),
		);
		expect(error.message).toBe(
			"'Options > Part Size Limit (MB)' must be the same for every item, but item 2 gives 2 and item 0 gives 5",
		);
		expect(error.description).toContain(
			'Only Program, Member Status, Static List, Lookup Field, Partition and Custom Object may differ',
		);
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it('checks every group before uploading any: a bad item in the second group uploads nothing', async () => {
		const error = await failureOf(
			runBulkImport(sim(), { ...PER_ITEM_LIST, lookupField: '={{ $json.lookup }}' }, [
				{ json: { email: 'ok@example.com', lookup: 'email' } },
				{ json: { email: 'x@example.com', lookup: 'sfdcLeadId' } },
			]),
		);
		expect(error.message).toContain('missing a required column');
		expect(error.description).toContain("Missing column 'sfdcLeadId'");
		expect(uploadCalls(sim())).toHaveLength(0);
	});
});

describe('Items input: member status and program from an item field', () => {
	it('makes one batch per program and status and does not upload the setting fields', async () => {
		const people = [
			{ email: 'web0@example.com', status: 'Attended', programId: 1002 },
			{ email: 'web1@example.com', status: 'No Show', programId: 1002 },
			{ email: 'web2@example.com', status: 'Attended', programId: 1002 },
			{ email: 'web3@example.com', status: 'Registered', programId: 1002 },
		];
		const result = await runBulkImport(
			sim(),
			{
				operation: 'importProgramMembers',
				inputSource: 'items',
				memberStatusSource: 'column',
				programSource: 'column',
			},
			itemsOf(people),
		);
		expect(descriptorsOf(result).map((d) => [d.programId, d.programMemberStatus, d.rows])).toEqual([
			[1002, 'Attended', 2],
			[1002, 'No Show', 1],
			[1002, 'Registered', 1],
		]);
		expect(result.outputs[0][0].pairedItem).toEqual([{ item: 0 }, { item: 2 }]);
		const file = (await readBinary(result.outputs[0][0].binary!.data)).toString('utf8');
		expect(file).toBe('email\nweb0@example.com\nweb2@example.com\n');
		expect(descriptorsOf(result)[0].itemFieldsNotMapped).toBeUndefined();

		drainQueue(sim(), clock);
		const members = sim().state.programMembers(1002);
		for (const person of people) {
			expect(members.find((m) => m.email === person.email)?.status).toBe(person.status);
		}
	});

	it('names the item and the field when an item has no status', async () => {
		const error = await failureOf(
			runBulkImport(
				sim(),
				{
					operation: 'importProgramMembers',
					inputSource: 'items',
					program: { __rl: true, mode: 'id', value: '1002' },
					memberStatusSource: 'column',
				},
				itemsOf([
					{ email: 'a@example.com', status: 'Attended' },
					{ email: 'b@example.com', status: '  ' },
				]),
			),
		);
		expect(error.message).toBe("Item 1 has no member status in field 'status'");
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it("checks every item's status and program with Marketo before uploading any group, naming the items", async () => {
		const error = await failureOf(
			runBulkImport(
				sim(),
				{
					operation: 'importProgramMembers',
					inputSource: 'items',
					memberStatusSource: 'column',
					programSource: 'column',
				},
				itemsOf([
					{ email: 'ok0@example.com', programId: 1002, status: 'Attended' },
					{ email: 'ok1@example.com', programId: 1002, status: 'Atended' },
					{ email: 'ok2@example.com', programId: 999999, status: 'Attended' },
					{ email: 'ok3@example.com', programId: 1002, status: 'Atended' },
				]),
			),
		);
		expect(error.message).toContain("program 999999 in field 'programId' was not found (item 2)");
		expect(error.message).toContain("'Atended' (items 1 and 3), did you mean 'Attended'?");
		expect(error.description).toContain("in field 'status' of every item");
		expect(error.description).toContain('Nothing was uploaded.');
		expect(uploadCalls(sim())).toHaveLength(0);
	});
});

describe('Items input: the resource mapper (node version 2)', () => {
	it('Map Each Column Manually writes the mapped values into the chosen Marketo fields', async () => {
		const people = [
			{ mail: 'map0@example.com', given: 'Ada', points: '7', org: 'Analytical' },
			{ mail: 'map1@example.com', given: 'Grace', points: 9, org: 'Navy' },
		];
		const result = await runBulkImport(
			sim(),
			{
				operation: 'importLeads',
				inputSource: 'items',
				columnMapping: {
					mappingMode: 'defineBelow',
					value: {
						email: '={{ $json.mail }}',
						firstName: '={{ $json.given }}',
						loyaltyPoints: '={{ $json.points }}',
						company: '={{ $json.org }}',
					},
					matchingColumns: [],
					schema: [
						{
							id: 'email',
							displayName: 'Email Address (email)',
							required: true,
							defaultMatch: false,
							display: true,
							type: 'string',
						},
						{
							id: 'firstName',
							displayName: 'First Name',
							required: false,
							defaultMatch: false,
							display: true,
							type: 'string',
						},
						{
							id: 'loyaltyPoints',
							displayName: 'Loyalty Points',
							required: false,
							defaultMatch: false,
							display: true,
							type: 'number',
						},
						{
							id: 'company',
							displayName: 'Company Name',
							required: false,
							defaultMatch: false,
							display: true,
							type: 'string',
						},
					],
					attemptToConvertTypes: false,
					convertFieldsToString: false,
				},
			},
			itemsOf(people),
		);
		const file = (await readBinary(result.outputs[0][0].binary!.data)).toString('utf8');
		expect(file).toBe(
			'email,firstName,loyaltyPoints,company\nmap0@example.com,Ada,7,Analytical\nmap1@example.com,Grace,9,Navy\n',
		);

		drainQueue(sim(), clock);
		expect(sim().state.findLead('email', 'map0@example.com')?.fields).toMatchObject({
			firstName: 'Ada',
			loyaltyPoints: '7',
			company: 'Analytical',
		});
		expect(sim().state.findLead('email', 'map1@example.com')?.fields).toMatchObject({
			firstName: 'Grace',
			company: 'Navy',
		});
	});

	it('Map Automatically stops on a field spelled like a Marketo field instead of dropping it', async () => {
		const error = await failureOf(
			runBulkImport(
				sim(),
				{ operation: 'importLeads', inputSource: 'items' },
				itemsOf([
					{ email: 'a@example.com', firstName: 'A' },
					{ email: 'b@example.com', FirstName: 'B' },
				]),
			),
		);
		expect(error.message).toBe(
			"Item 1, field 'FirstName' is not a Marketo field; did you mean 'firstName'?",
		);
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it('Map Automatically with Preflight Check off writes every field and asks Marketo nothing', async () => {
		const result = await runBulkImport(
			sim(),
			{ operation: 'importLeads', inputSource: 'items', options: { preflightCheck: false } },
			itemsOf([{ email: 'nopre@example.com', notAField: 'x' }]),
		);
		const file = (await readBinary(result.outputs[0][0].binary!.data)).toString('utf8');
		expect(file).toBe('email,notAField\nnopre@example.com,x\n');
		expect(sim().state.calls.some((call) => call.path.endsWith('/describe2.json'))).toBe(false);
	});

	it("offers the instance's fields with their types, the required ones first", async () => {
		const credentials = { marketoApi: simulatorCredentials(sim()) };
		const leads = await resourceMapping({
			node: bulkImportNode,
			methodName: 'getMappingColumns',
			parameters: { operation: 'importLeads', lookupField: 'sfdcLeadId', inputSource: 'items' },
			credentials,
		});
		expect(leads.fields[0]).toMatchObject({ id: 'sfdcLeadId', required: true });
		expect(leads.fields.filter((f) => f.required)).toHaveLength(1);
		expect(leads.fields.find((f) => f.id === 'loyaltyPoints')).toMatchObject({
			type: 'number',
			required: false,
		});
		expect(leads.fields.find((f) => f.id === 'externalCompanyId')).toBeDefined();

		const members = await resourceMapping({
			node: bulkImportNode,
			methodName: 'getMappingColumns',
			parameters: { operation: 'importProgramMembers', inputSource: 'items' },
			credentials,
		});
		expect(members.fields[0]).toMatchObject({ id: 'email', required: true });
		expect(members.fields.find((f) => f.id === 'seatsReserved')).toMatchObject({ type: 'number' });
		// read-only membership fields are not offered
		expect(members.fields.find((f) => f.id === 'statusName')).toBeUndefined();

		const cars = await resourceMapping({
			node: bulkImportNode,
			methodName: 'getMappingColumns',
			parameters: { operation: 'importCustomObjects', customObject: 'car_c', inputSource: 'items' },
			credentials,
		});
		expect(cars.fields.filter((f) => f.required).map((f) => f.id)).toEqual(['vin']);
	});
});
