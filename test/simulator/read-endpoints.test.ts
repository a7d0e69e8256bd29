import { startSimulator, type RunningSimulator } from './index';
import { apiGet, envelopeOf, errorCode, getToken } from './testkit';

interface Listed {
	result?: Array<Record<string, unknown>>;
	nextPageToken?: string;
	success: boolean;
}

describe('read endpoints the node UI needs', () => {
	let sim: RunningSimulator;
	let token: string;
	beforeAll(async () => {
		sim = await startSimulator({
			schema: {
				extraLeadFields: [
					{ name: 'shoeSize', displayName: 'Shoe Size', dataType: 'integer', updateable: true },
				],
			},
		});
		token = await getToken(sim);
	});
	afterAll(async () => await sim.close());
	const get = async (path: string) => (await apiGet(sim, path, token)).json<Listed>();

	it('describe2 serves the lead schema imports validate against (overrides included)', async () => {
		const [lead] = (await get('/rest/v1/leads/describe2.json')).result ?? [];
		expect(lead.name).toBe('API Lead');
		const fields = lead.fields as Array<Record<string, unknown>>;
		expect(fields.find((f) => f.name === 'leadScore')).toEqual({
			name: 'leadScore',
			displayName: 'Lead Score',
			dataType: 'integer',
			updateable: true,
			crmManaged: false,
		});
		expect(fields.find((f) => f.name === 'customerTier')).toMatchObject({
			dataType: 'string',
			length: 20,
		});
		expect(fields.find((f) => f.name === 'createdAt')).toMatchObject({
			dataType: 'datetime',
			updateable: false,
		});
		expect(fields.find((f) => f.name === 'shoeSize')).toMatchObject({ dataType: 'integer' });
		expect(lead.searchableFields).toContainEqual(['email']);
		for (const type of [
			'integer',
			'float',
			'currency',
			'boolean',
			'date',
			'datetime',
			'email',
			'url',
		]) {
			expect(fields.some((f) => f.dataType === type)).toBe(true);
		}
	});

	it('partitions: Default (1) and one more', async () => {
		expect((await get('/rest/v1/leads/partitions.json')).result).toEqual([
			{ id: 1, name: 'Default', description: expect.any(String) },
			{ id: 2, name: 'EMEA', description: expect.any(String) },
		]);
	});

	it('lists.json pages with nextPageToken and filters by id and name', async () => {
		const first = await get('/rest/v1/lists.json?batchSize=2');
		expect(first.result).toHaveLength(2);
		const seen = [...(first.result ?? [])];
		let token2 = first.nextPageToken;
		while (token2) {
			const page = await get(
				`/rest/v1/lists.json?batchSize=2&nextPageToken=${encodeURIComponent(token2)}`,
			);
			seen.push(...(page.result ?? []));
			token2 = page.nextPageToken;
		}
		expect(seen.map((l) => l.id)).toEqual([2001, 2002, 2003, 2004, 2005]);
		expect((await get('/rest/v1/lists.json?id=2003,2005')).result?.map((l) => l.name)).toEqual([
			'VIP Customers',
			'EMEA Prospects',
		]);
		expect(
			(await get('/rest/v1/lists.json?name=VIP%20Customers')).result?.map((l) => l.id),
		).toEqual([2003]);
		expect(errorCode(await apiGet(sim, '/rest/v1/lists.json?batchSize=301', token))).toBe('1003');
	});

	it('programs.json pages with offset/maxReturn (<= 200) and answers 702 past the end', async () => {
		const page1 = await get('/rest/asset/v1/programs.json?maxReturn=20&offset=0');
		const page2 = await get('/rest/asset/v1/programs.json?maxReturn=20&offset=20');
		expect(page1.result).toHaveLength(20);
		expect((page2.result ?? []).length).toBeGreaterThanOrEqual(5);
		const past = await apiGet(sim, '/rest/asset/v1/programs.json?maxReturn=20&offset=200', token);
		expect(envelopeOf(past)).toMatchObject({ success: false, errors: [{ code: '702' }] });
		expect(errorCode(await apiGet(sim, '/rest/asset/v1/programs.json?maxReturn=201', token))).toBe(
			'1003',
		);
		expect(page1.result?.[0]).toMatchObject({
			id: 1001,
			name: 'House Lannister Import',
			channel: 'List Import',
			folder: { type: 'Folder' },
		});
	});

	it('program by id, channels and channel by name (name and Name) give the progression statuses', async () => {
		const program = (await get('/rest/asset/v1/program/1002.json')).result?.[0];
		expect(program).toMatchObject({ id: 1002, channel: 'Webinar', tags: [], costs: [] });
		expect(errorCode(await apiGet(sim, '/rest/asset/v1/program/9.json', token))).toBe('702');
		const channels = (await get('/rest/asset/v1/channels.json')).result ?? [];
		expect(channels.map((c) => c.name)).toEqual(expect.arrayContaining(['Webinar', 'List Import']));
		for (const param of ['name', 'Name']) {
			const webinar = (await get(`/rest/asset/v1/channel/byName.json?${param}=Webinar`))
				.result?.[0];
			const names = (webinar?.progressionStatuses as Array<{ name: string }>).map((s) => s.name);
			expect(names).toEqual(
				expect.arrayContaining(['Invited', 'Registered', 'Attended', 'No Show']),
			);
		}
		const listImport = (await get('/rest/asset/v1/channel/byName.json?name=List%20Import'))
			.result?.[0];
		expect(
			(listImport?.progressionStatuses as Array<{ name: string }>).map((s) => s.name),
		).toContain('On List');
		expect(
			errorCode(await apiGet(sim, '/rest/asset/v1/channel/byName.json?name=Nope', token)),
		).toBe('702');
	});

	it('static lists (asset API), program member describe, custom objects, usage', async () => {
		expect((await get('/rest/asset/v1/staticLists.json?maxReturn=3')).result).toHaveLength(3);
		const pm = (await get('/rest/v1/programs/members/describe.json')).result?.[0];
		expect((pm?.fields as Array<{ name: string }>).map((f) => f.name)).toEqual(
			expect.arrayContaining(['registrationCode', 'seatsReserved']),
		);
		const objects = (await get('/rest/v1/customobjects.json')).result ?? [];
		expect(objects.map((o) => o.name)).toEqual(['car_c', 'subscription_c']);
		expect((await get('/rest/v1/customobjects.json?names=car_c')).result).toHaveLength(1);
		const car = (await get('/rest/v1/customobjects/car_c/describe.json')).result?.[0];
		expect(car).toMatchObject({ name: 'car_c', dedupeFields: ['vin'], idField: 'marketoGUID' });
		expect(errorCode(await apiGet(sim, '/rest/v1/customobjects/boat_c/describe.json', token))).toBe(
			'1013',
		);
		const usage = (await get('/rest/v1/stats/usage.json')).result?.[0];
		expect(usage).toMatchObject({
			date: expect.any(String),
			total: expect.any(Number),
			users: [{ userId: expect.any(String), count: expect.any(Number) }],
		});
		expect(usage?.total).toBeGreaterThan(5);
	});
});
