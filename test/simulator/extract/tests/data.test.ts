import { parseDelimited } from '../../delimited';
import { createFakeClock, startSimulator, type RunningSimulator } from '../../index';
import { apiGet, envelopeOf, firstResult, getToken, upload } from '../../testkit';
import { extractApi, isoRange, type ExtractPath } from './kit';

const DAY = 24 * 3600 * 1000;

describe('what an extract holds: the data imports left (fake clock)', () => {
	const clock = createFakeClock();
	let sim: RunningSimulator;
	let token: string;
	const today = () => isoRange(clock.now() - DAY, clock.now() + DAY);

	beforeEach(async () => {
		clock.set(Date.UTC(2025, 0, 15, 12, 0, 0));
		sim = await startSimulator({
			clock,
			rowsPerSecond: 1e6,
			tokenLifetimeSeconds: 60 * 24 * 3600,
			extract: { recordsPerSecond: 1e6, statusRefreshMs: 1000 },
		});
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	const importCsv = async (query: string, csv: string) => {
		firstResult(await upload(sim, `/bulk/v1/leads.json?format=csv${query}`, csv, token));
		clock.advance(1000);
	};

	/** Runs an extract to completion and returns its file as rows. */
	const extractRows = async (type: ExtractPath, body: Record<string, unknown>, delimiter = ',') => {
		const api = extractApi(sim, token, type);
		const id = await api.start(body);
		clock.advance(2000);
		expect(firstResult(await api.status(id)).status).toBe('Completed');
		const file = await api.file(id);
		return parseDelimited(file.body.toString('utf8'), delimiter);
	};

	it('a lead imported into a static list is a lead extracted, with null for empty fields', async () => {
		await importCsv(
			'&listId=2001',
			'email,firstName,company\nada@example.com,Ada,"Lovelace, Ltd"\nbob@example.com,Bob,\n',
		);
		sim.state.seedLead({ email: 'not-in-list@example.com' });
		const rows = await extractRows('leads', {
			fields: ['id', 'email', 'company', 'createdAt'],
			filter: { staticListId: 2001 },
		});
		const ada = sim.state.findLead('email', 'ada@example.com');
		expect(rows).toEqual([
			['id', 'email', 'company', 'createdAt'],
			[String(ada?.id), 'ada@example.com', 'Lovelace, Ltd', '2025-01-15T12:00:00Z'],
			[String((ada?.id ?? 0) + 1), 'bob@example.com', 'null', '2025-01-15T12:00:00Z'],
		]);
		const byName = await extractRows('leads', {
			fields: ['email'],
			filter: { staticListName: 'Newsletter Subscribers' },
		});
		expect(byName.slice(1)).toEqual([['ada@example.com'], ['bob@example.com']]);
	});

	it('createdAt and updatedAt ranges are inclusive, to the second', async () => {
		await importCsv('', 'email\nfirst@example.com\n');
		clock.advance(60_000);
		await importCsv('', 'email,firstName\nsecond@example.com,S\nfirst@example.com,Changed\n');
		const created = Date.UTC(2025, 0, 15, 12, 0, 0);
		const rows = await extractRows('leads', {
			fields: ['email'],
			filter: { createdAt: isoRange(created, created) },
		});
		expect(rows.slice(1)).toEqual([['first@example.com']]);
		const later = created + 61_000;
		const updated = await extractRows('leads', {
			fields: ['email'],
			filter: { updatedAt: isoRange(later, later + 1000) },
		});
		expect(updated.slice(1)).toEqual([['first@example.com'], ['second@example.com']]);
	});

	it('smart lists select the leads whose fields match', async () => {
		await importCsv(
			'',
			'email,customerTier,isPartner\ng@example.com,Gold,false\np@example.com,Silver,true\nx@example.com,Bronze,\n',
		);
		expect(
			(await extractRows('leads', { fields: ['email'], filter: { smartListId: 3002 } })).slice(1),
		).toEqual([['g@example.com']]);
		expect(
			(
				await extractRows('leads', { fields: ['email'], filter: { smartListName: 'Partners' } })
			).slice(1),
		).toEqual([['p@example.com']]);
	});

	it('activities: New Lead, Change Data Value, Add to List and Change Status in Progression, attributes as JSON', async () => {
		await importCsv('&listId=2003', 'email,firstName\nann@example.com,Ann\n');
		await importCsv('', 'email,firstName\nann@example.com,Anne\n');
		firstResult(
			await upload(
				sim,
				'/bulk/v1/program/1002/members/import.json?format=csv&programMemberStatus=Registered',
				'email\nann@example.com\n',
				token,
			),
		);
		clock.advance(1000);
		const ann = sim.state.findLead('email', 'ann@example.com');
		const rows = await extractRows('activities', { filter: { createdAt: today() } });
		expect(rows[0]).toEqual([
			'marketoGUID',
			'leadId',
			'activityDate',
			'activityTypeId',
			'campaignId',
			'primaryAttributeValueId',
			'primaryAttributeValue',
			'attributes',
		]);
		const body = rows.slice(1);
		expect(body.map((r) => [r[1], r[3], r[6]])).toEqual([
			[String(ann?.id), '12', 'null'],
			[String(ann?.id), '24', 'VIP Customers'],
			[String(ann?.id), '13', 'First Name'],
			[String(ann?.id), '104', '2025 Spring Product Webinar'],
		]);
		expect(JSON.parse(body[2][7])).toMatchObject({ 'Old Value': 'Ann', 'New Value': 'Anne' });
		expect(JSON.parse(body[3][7])).toMatchObject({
			'Old Status': 'Not in Program',
			'New Status': 'Registered',
			'Acquired By': true,
		});
		const onlyStatus = await extractRows('activities', {
			fields: ['leadId', 'activityTypeId', 'actionResult'],
			filter: { createdAt: today(), activityTypeIds: [104], primaryAttributeValueIds: [1002] },
		});
		expect(onlyStatus).toEqual([
			['leadId', 'activityTypeId', 'actionResult'],
			[String(ann?.id), '104', 'succeeded'],
		]);
		const types =
			envelopeOf(await apiGet(sim, '/rest/v1/activities/types.json', token)).result ?? [];
		expect(types.map((t) => t.id)).toEqual(expect.arrayContaining([12, 13, 24, 104]));
	});

	it('program members: statuses, programIds with its leading programId column', async () => {
		const members = (status: string, csv: string, program = 1002) =>
			upload(
				sim,
				`/bulk/v1/program/${program}/members/import.json?format=csv&programMemberStatus=${status}`,
				csv,
				token,
			);
		firstResult(await members('Registered', 'email,firstName\nr@example.com,R\n'));
		firstResult(await members('Attended', 'email,firstName\na@example.com,A\n'));
		firstResult(await members('On%20List', 'email\no@example.com\n', 1001));
		clock.advance(1000);
		const attended = await extractRows('program/members', {
			fields: ['email', 'firstName', 'statusName', 'reachedSuccess', 'program'],
			filter: { programId: 1002, statusNames: ['Attended'] },
		});
		expect(attended).toEqual([
			['email', 'firstName', 'statusName', 'reachedSuccess', 'program'],
			['a@example.com', 'A', 'Attended', 'true', '2025 Spring Product Webinar'],
		]);
		const both = await extractRows('program/members', {
			fields: ['email', 'leadId'],
			columnHeaderNames: { email: 'Email Address' },
			filter: { programIds: [1001, 1002] },
		});
		expect(both.map((r) => [r[0], r[1]])).toEqual([
			['programId', 'Email Address'],
			['1001', 'o@example.com'],
			['1002', 'r@example.com'],
			['1002', 'a@example.com'],
		]);
	});

	it('custom objects: the records linked to the leads of a list, or updated in a range', async () => {
		await importCsv('&listId=2002', 'email\nowner@example.com\n');
		const owner = sim.state.findLead('email', 'owner@example.com');
		firstResult(
			await upload(
				sim,
				'/bulk/v1/customobjects/car_c/import.json?format=csv',
				`vin,make,customerId\nV1,Saab,${owner?.id}\nV2,Volvo,999999\n`,
				token,
			),
		);
		clock.advance(1000);
		const byList = await extractRows('customobjects/car_c', {
			fields: ['vin', 'make', 'model'],
			filter: { staticListId: 2002 },
		});
		expect(byList).toEqual([
			['vin', 'make', 'model'],
			['V1', 'Saab', 'null'],
		]);
		const byUpdate = await extractRows('customobjects/car_c', {
			fields: ['vin'],
			filter: { updatedAt: today() },
		});
		expect(byUpdate.slice(1)).toEqual([['V1'], ['V2']]);
	});

	it('TSV and SSV files with renamed columns, quoted by the project writer', async () => {
		await importCsv('', 'email,company\nt@example.com,"Tab\tand;semi"\n');
		const fields = ['email', 'company'];
		const columnHeaderNames = { email: 'E-mail', company: 'Company Name' };
		const tsv = await extractRows(
			'leads',
			{ format: 'TSV', fields, columnHeaderNames, filter: { createdAt: today() } },
			'\t',
		);
		expect(tsv).toEqual([
			['E-mail', 'Company Name'],
			['t@example.com', 'Tab\tand;semi'],
		]);
		const api = extractApi(sim, token, 'leads');
		const id = await api.start({ format: 'ssv', fields, filter: { createdAt: today() } });
		clock.advance(1000);
		expect(firstResult(await api.status(id)).format).toBe('SSV');
		expect((await api.file(id)).body.toString()).toBe(
			'email;company\nt@example.com;"Tab\tand;semi"\n',
		);
	});
});
