/**
 * Each filter Marketo defines, through the Bulk Extract node against the simulator: the records
 * out are exactly those the filter selects from what imports left in the instance, not more, not
 * fewer. The data goes in with Marketo's own bulk import endpoints (the simulator's testkit), on
 * one fake clock; the node outputs Records as Items so each record is compared field by field.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { MarketoBulkExtract } from '../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { runNode, simulatorCredentials } from '../harness';
import { firstResult, getToken, upload } from '../simulator/testkit';
import { useFakeClock, useSimulator } from './support';

const node = new MarketoBulkExtract();
const MINUTE = 60_000;

const clock = useFakeClock(Date.UTC(2026, 3, 10, 12, 0, 0));
const simulator = useSimulator({
	clock,
	rowsPerSecond: 1e6,
	extract: { statusRefreshMs: 1_000, recordsPerSecond: 500 },
});

/** Moments of the fixture: leads created at T0, some updated at T1, the rest after. */
const T0 = Date.UTC(2026, 3, 10, 12, 0, 0);
const T1 = T0 + 10 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();

async function importCsv(path: string, csv: string): Promise<void> {
	const sim = simulator();
	firstResult(await upload(sim, path, csv, await getToken(sim)));
	clock.advance(1_000);
}

async function records(parameters: INodeParameters): Promise<IDataObject[]> {
	const sim = simulator();
	const result = await runNode({
		node,
		parameters: { output: 'items', ...parameters },
		input: [{ json: {} }],
		credentials: { marketoApi: simulatorCredentials(sim) },
	});
	return result.outputs[0].map((item) => item.json);
}

const rl = (value: number) => ({ __rl: true, mode: 'id', value: String(value) });
const emails = (rows: IDataObject[]) => rows.map((row) => row.email).sort();

beforeAll(async () => {
	clock.set(T0);
	await importCsv(
		'/bulk/v1/leads.json?format=csv&listId=2001',
		'email,firstName,customerTier,isPartner\nann@filters.example.com,Ann,Gold,false\nbob@filters.example.com,Bob,Silver,true\n',
	);
	await importCsv(
		'/bulk/v1/leads.json?format=csv',
		'email,firstName,customerTier\ncid@filters.example.com,Cid,Platinum\ndee@filters.example.com,Dee,Bronze\n',
	);
	clock.set(T1);
	await importCsv(
		'/bulk/v1/leads.json?format=csv',
		'email,firstName\ndee@filters.example.com,Deirdre\n',
	);
	clock.set(T1 + 10 * MINUTE);
	await importCsv(
		'/bulk/v1/leads.json?format=csv&listId=2002',
		'email,firstName\neve@filters.example.com,Eve\n',
	);
	const sim = simulator();
	const eve = sim.state.findLead('email', 'eve@filters.example.com')!;
	await importCsv(
		'/bulk/v1/customobjects/car_c/import.json?format=csv',
		`vin,make,customerId\nVIN-EVE,Saab,${eve.id}\nVIN-NOBODY,Volvo,999999\n`,
	);
	const program = (status: string, csv: string) =>
		importCsv(
			`/bulk/v1/program/1002/members/import.json?format=csv&programMemberStatus=${status}`,
			csv,
		);
	await program('Registered', 'email\nann@filters.example.com\n');
	await program('Attended', 'email\nbob@filters.example.com\ncid@filters.example.com\n');
	clock.advance(MINUTE);
});

describe('Extract Leads filters', () => {
	const leads = (parameters: INodeParameters) =>
		records({
			operation: 'extractLeads',
			fieldsSource: 'selected',
			fields: ['id', 'email', 'firstName'],
			...parameters,
		});

	it('Created in a Date Range: the leads created in it, both ends included', async () => {
		const rows = await leads({ leadFilter: 'createdAt', rangeStart: iso(T0), rangeEnd: iso(T1) });
		expect(emails(rows)).toEqual([
			'ann@filters.example.com',
			'bob@filters.example.com',
			'cid@filters.example.com',
			'dee@filters.example.com',
		]);
	});

	it('Updated in a Date Range: only the leads changed in it, as they are now', async () => {
		const rows = await leads({
			leadFilter: 'updatedAt',
			rangeStart: iso(T1 - MINUTE),
			rangeEnd: iso(T1 + MINUTE),
		});
		expect(rows).toEqual([
			{
				id: String(simulator().state.findLead('email', 'dee@filters.example.com')!.id),
				email: 'dee@filters.example.com',
				firstName: 'Deirdre',
			},
		]);
	});

	it('In a Static List: its members only', async () => {
		const rows = await leads({ leadFilter: 'staticListId', staticList: rl(2001) });
		expect(emails(rows)).toEqual(['ann@filters.example.com', 'bob@filters.example.com']);
		expect(emails(rows)).toEqual(
			simulator()
				.state.listMembers(2001)
				.map((lead) => lead.fields.email)
				.sort(),
		);
	});

	it('In a Smart List: the leads its conditions match (3002 Gold and Platinum Customers)', async () => {
		const rows = await leads({ leadFilter: 'smartListId', smartList: rl(3002) });
		expect(emails(rows)).toEqual(['ann@filters.example.com', 'cid@filters.example.com']);
		const partners = await leads({ leadFilter: 'smartListId', smartList: rl(3001) });
		expect(emails(partners)).toEqual(['bob@filters.example.com']);
	});
});

describe('Extract Activities filters', () => {
	const range = { rangeStart: iso(T0 - MINUTE), rangeEnd: iso(clock.now() + 60 * MINUTE) };

	it('Activity Types: only the types chosen', async () => {
		const all = await records({ operation: 'extractActivities', ...range });
		const types = new Set(all.map((row) => String(row.activityTypeId)));
		expect(types.size).toBeGreaterThan(1);
		const changes = await records({
			operation: 'extractActivities',
			...range,
			activityTypeIds: [13],
		});
		expect(changes).toHaveLength(all.filter((row) => String(row.activityTypeId) === '13').length);
		expect(changes.map((row) => String(row.activityTypeId))).toEqual(changes.map(() => '13'));
		expect(changes).toEqual(
			expect.arrayContaining([
				expect.objectContaining({
					leadId: String(simulator().state.findLead('email', 'dee@filters.example.com')!.id),
					attributes: expect.objectContaining({ 'Old Value': 'Dee', 'New Value': 'Deirdre' }),
				}),
			]),
		);
	});
});

describe('Extract Program Members filters', () => {
	const members = (statusNames: string) =>
		records({
			operation: 'extractProgramMembers',
			program: rl(1002),
			statusNames,
			fieldsSource: 'selected',
			fields: ['email', 'statusName'],
		});

	it('Member Statuses: only members with those statuses; none given: every member', async () => {
		expect(await members('Attended')).toEqual([
			{ email: 'bob@filters.example.com', statusName: 'Attended' },
			{ email: 'cid@filters.example.com', statusName: 'Attended' },
		]);
		const everyone = await members('');
		expect(emails(everyone)).toEqual([
			'ann@filters.example.com',
			'bob@filters.example.com',
			'cid@filters.example.com',
		]);
		expect(await members('Registered, Attended')).toHaveLength(3);
	});
});

describe('Extract Custom Objects filters', () => {
	const cars = (parameters: INodeParameters) =>
		records({
			operation: 'extractCustomObjects',
			customObject: 'car_c',
			fieldsSource: 'selected',
			fields: ['vin', 'make'],
			...parameters,
		});

	it('Of Leads in a Static List: the records linked to its leads only', async () => {
		expect(await cars({ customObjectFilter: 'staticListId', staticList: rl(2002) })).toEqual([
			{ vin: 'VIN-EVE', make: 'Saab' },
		]);
	});

	it('Updated in a Date Range: every record updated in it, linked or not', async () => {
		const rows = await cars({
			customObjectFilter: 'updatedAt',
			rangeStart: iso(T1),
			rangeEnd: iso(clock.now()),
		});
		expect(rows.map((row) => row.vin).sort()).toEqual(['VIN-EVE', 'VIN-NOBODY']);
		const before = await cars({
			customObjectFilter: 'updatedAt',
			rangeStart: iso(T0 - 60 * MINUTE),
			rangeEnd: iso(T0 - MINUTE),
		});
		expect(before).toEqual([]);
	});
});
