import { listSearch, loadOptions, simulatorCredentials } from '../harness';
import { bulkImportNode as node, useSimulator } from './support';

const sim = useSimulator();

function credentials() {
	return { marketoApi: simulatorCredentials(sim()) };
}

describe('Marketo Bulk Import dropdowns against the simulator', () => {
	it('offers the documented lookup fields, then custom string/email/integer fields only', async () => {
		const options = await loadOptions({
			node,
			methodName: 'getLookupFields',
			parameters: { operation: 'importLeads' },
			credentials: credentials(),
		});
		const values = options.map((o) => o.value);
		expect(values.slice(0, 2)).toEqual(['email', 'id']);
		expect(values).toEqual(expect.arrayContaining(['sfdcLeadId', 'twitterId', 'cookies']));
		// the seeded custom fields of those types...
		expect(values).toEqual(
			expect.arrayContaining(['customerTier', 'loyaltyPoints', 'billingEmail', 'crmAccountNumber']),
		);
		// ...but no standard field and no custom field of another type
		for (const excluded of ['firstName', 'company', 'discountRate', 'isPartner', 'renewalDate']) {
			expect(values).not.toContain(excluded);
		}
		expect(options.find((o) => o.value === 'id')?.name).toMatch(/Update Only/);
	});

	it('lists partitions after a "no partition" choice, named so that none reads like another', async () => {
		const options = await loadOptions({
			node,
			methodName: 'getPartitions',
			parameters: {},
			credentials: credentials(),
		});
		expect(options.map((o) => o.value)).toEqual(['', 'Default', 'EMEA']);
		expect(options.map((o) => o.name)).toEqual([
			'No Partition (Marketo Decides)',
			'Partition: Default',
			'Partition: EMEA',
		]);
	});

	it('lists custom objects by API name', async () => {
		const options = await loadOptions({
			node,
			methodName: 'getCustomObjects',
			parameters: {},
			credentials: credentials(),
		});
		expect(options.map((o) => o.value)).toEqual(['car_c', 'subscription_c']);
		expect(options[0].name).toBe('Car (car_c)');
	});

	it("lists the member statuses of the program's channel", async () => {
		const options = await loadOptions({
			node,
			methodName: 'getProgramMemberStatuses',
			parameters: {
				operation: 'importProgramMembers',
				program: { __rl: true, mode: 'id', value: '1002' },
			},
			credentials: credentials(),
		});
		expect(options.map((o) => o.value)).toEqual([
			'Not in Program',
			'Invited',
			'Registered',
			'Attended',
			'No Show',
			'Attended On-demand',
		]);
		// program -> channels list; channel/byName is avoided
		expect(sim().state.calls.some((c) => c.route === 'programById')).toBe(true);
		expect(sim().state.calls.some((c) => c.route === 'channels')).toBe(true);
		expect(sim().state.calls.some((c) => c.route === 'channelByName')).toBe(false);
	});

	it('says to choose the program first, with no call, before a program is chosen', async () => {
		sim().state.clearCalls();
		const options = await loadOptions({
			node,
			methodName: 'getProgramMemberStatuses',
			parameters: {
				operation: 'importProgramMembers',
				program: { __rl: true, mode: 'list', value: '' },
			},
			credentials: credentials(),
		});
		// One entry whose value is the field's default, so the editor shows it instead of "not supported".
		expect(options).toEqual([
			expect.objectContaining({ name: 'Choose a Program First', value: '' }),
		]);
		expect(sim().state.calls.filter((c) => c.route !== 'identity')).toEqual([]);
	});

	it('searches static lists by part of their name', async () => {
		const all = await listSearch({
			node,
			methodName: 'searchStaticLists',
			parameters: {},
			credentials: credentials(),
		});
		expect(all.results.map((r) => r.value).sort()).toEqual([
			'2001',
			'2002',
			'2003',
			'2004',
			'2005',
		]);
		const vip = await listSearch({
			node,
			methodName: 'searchStaticLists',
			parameters: {},
			credentials: credentials(),
			filter: 'vip',
		});
		expect(vip.results).toEqual([{ name: 'VIP Customers (Default)', value: '2003' }]);
	});

	it('searches programs across pages and filters by name', async () => {
		const all = await listSearch({
			node,
			methodName: 'searchPrograms',
			parameters: {},
			credentials: credentials(),
		});
		expect(all.results).toHaveLength(30);
		expect(all.paginationToken).toBeUndefined();
		const lannister = await listSearch({
			node,
			methodName: 'searchPrograms',
			parameters: {},
			credentials: credentials(),
			filter: 'lannister',
		});
		expect(lannister.results).toEqual([{ name: 'House Lannister Import', value: '1001' }]);
	});
});
