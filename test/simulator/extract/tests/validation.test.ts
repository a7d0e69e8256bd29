import { assertRequestsMatchContract, contractProblems } from '../../contract';
import { createFakeClock, startSimulator, type RunningSimulator } from '../../index';
import { envelopeOf, firstResult, getToken } from '../../testkit';
import { apiPost, extractApi, isoRange, type ExtractPath } from './kit';

const DAY = 24 * 3600 * 1000;

describe('create bodies are checked as Marketo checks them', () => {
	const clock = createFakeClock();
	let sim: RunningSimulator;
	let token: string;
	const range = (days = 1) => isoRange(clock.now() - days * DAY, clock.now());
	const refusal = async (type: ExtractPath, body: unknown) =>
		envelopeOf(await extractApi(sim, token, type).create(body)).errors?.[0];

	beforeAll(async () => {
		sim = await startSimulator({ clock });
		token = await getToken(sim);
	});
	afterAll(async () => await sim.close());

	it('leads: fields required and known, exactly one filter, ranges of at most 31 days', async () => {
		expect(await refusal('leads', { filter: { createdAt: range() } })).toEqual({
			code: '1003',
			message: 'Invalid fields: a non-empty array of field names is required',
		});
		expect(
			await refusal('leads', { fields: ['email', 'shoeSize'], filter: { createdAt: range() } }),
		).toEqual({
			code: '1003',
			message: 'Invalid fields: shoeSize',
		});
		expect(await refusal('leads', { fields: ['email'] })).toEqual({
			code: '1003',
			message: 'A filter is required',
		});
		expect(await refusal('leads', { fields: ['email'], filter: {} })).toMatchObject({
			code: '1003',
		});
		expect(
			await refusal('leads', {
				fields: ['email'],
				filter: { createdAt: range(), staticListId: 2001 },
			}),
		).toEqual({ code: '1003', message: 'Only one filter type may be specified per export job' });
		expect(await refusal('leads', { fields: ['email'], filter: { programId: 1001 } })).toEqual({
			code: '1003',
			message: "Invalid filter type 'programId'",
		});
		expect(
			await refusal('leads', {
				fields: ['email'],
				filter: { createdAt: isoRange(Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1, 0, 0, 1)) },
			}),
		).toEqual({
			code: '1003',
			message: 'Invalid createdAt filter: the date range exceeds 31 days',
		});
		const exactly31 = { createdAt: isoRange(Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1)) };
		expect(
			envelopeOf(
				await extractApi(sim, token, 'leads').create({ fields: ['email'], filter: exactly31 }),
			).success,
		).toBe(true);
		expect(
			await refusal('leads', { fields: ['email'], format: 'XLS', filter: { createdAt: range() } }),
		).toMatchObject({
			code: '1003',
		});
		expect(
			await refusal('leads', {
				fields: ['email'],
				columnHeaderNames: { company: 'Co' },
				filter: { createdAt: range() },
			}),
		).toEqual({
			code: '1003',
			message: "Invalid columnHeaderNames: 'company' is not an exported field",
		});
		expect(await refusal('leads', { fields: ['email'], filter: { staticListId: 9999 } })).toEqual({
			code: '1013',
			message: 'Static list not found',
		});
		expect(
			envelopeOf(await apiPost(sim, '/bulk/v1/leads/export/create.json', token, '{"fields": ['))
				.errors?.[0],
		).toEqual({
			code: '609',
			message: 'Invalid JSON',
		});
	});

	it('activities: createdAt required; activity types known and not Delete Lead; primary attributes need types', async () => {
		expect(await refusal('activities', { filter: { activityTypeIds: [12] } })).toEqual({
			code: '1003',
			message: 'The createdAt filter is required',
		});
		expect(
			await refusal('activities', { filter: { createdAt: range(), activityTypeIds: [37] } }),
		).toEqual({
			code: '1003',
			message: 'Invalid activityTypeIds: 37',
		});
		expect(
			await refusal('activities', {
				filter: { createdAt: range(), primaryAttributeValueIds: [1] },
			}),
		).toEqual({
			code: '1003',
			message: 'primaryAttributeValueIds requires the activityTypeIds filter',
		});
		expect(
			await refusal('activities', {
				filter: {
					createdAt: range(),
					activityTypeIds: [24],
					primaryAttributeValueIds: Array.from({ length: 51 }, (_, i) => i),
				},
			}),
		).toMatchObject({ code: '1003' });
		expect(
			await refusal('activities', { fields: ['leadId', 'score'], filter: { createdAt: range() } }),
		).toEqual({
			code: '1003',
			message: 'Invalid fields: score',
		});
		expect(
			envelopeOf(
				await extractApi(sim, token, 'activities').create({ filter: { createdAt: range() } }),
			).success,
		).toBe(true);
	});

	it('program members: programId or up to 10 programIds; status names of those programs', async () => {
		const fields = ['email', 'statusName'];
		expect(
			await refusal('program/members', { fields, filter: { statusNames: ['Attended'] } }),
		).toEqual({
			code: '1003',
			message: 'The programId or programIds filter is required',
		});
		expect(
			await refusal('program/members', { fields, filter: { programId: 1001, programIds: [1002] } }),
		).toMatchObject({
			code: '1003',
		});
		const eleven = Array.from({ length: 11 }, (_, i) => 1001 + i);
		expect(await refusal('program/members', { fields, filter: { programIds: eleven } })).toEqual({
			code: '1003',
			message: 'Invalid programIds: at most 10 programs are allowed',
		});
		expect(
			await refusal('program/members', {
				fields,
				filter: { programId: 1001, statusNames: ['Attended'] },
			}),
		).toEqual({
			code: '1003',
			message: 'Invalid Data',
		});
		expect(
			await refusal('program/members', {
				fields: ['webinarUrl', 'nope'],
				filter: { programId: 1002 },
			}),
		).toEqual({
			code: '1003',
			message: 'Invalid fields: nope',
		});
	});

	it('custom objects: only objects linked to leads, one of updatedAt or the list filters', async () => {
		expect(
			await refusal('customobjects/subscription_c', {
				fields: ['plan'],
				filter: { staticListId: 2001 },
			}),
		).toMatchObject({
			code: '1003',
		});
		expect(
			await refusal('customobjects/boat_c', { fields: ['vin'], filter: { staticListId: 2001 } }),
		).toEqual({
			code: '1013',
			message: "Custom object 'boat_c' not found",
		});
		expect(
			await refusal('customobjects/car_c', { fields: ['vin'], filter: { createdAt: range() } }),
		).toEqual({
			code: '1003',
			message: "Invalid filter type 'createdAt'",
		});
	});

	it('the requests of a whole extract match the contract; unknown body members are named', async () => {
		sim.state.clearCalls();
		const api = extractApi(sim, token, 'leads');
		const id = await api.start({
			fields: ['email'],
			format: 'CSV',
			columnHeaderNames: { email: 'E' },
			filter: { createdAt: range() },
		});
		await api.status(id);
		await api.file(id, { Range: 'bytes=0-9' });
		await api.list('?status=queued&batchSize=10');
		await api.cancel(id);
		expect(() => assertRequestsMatchContract(sim.state.calls)).not.toThrow();
		await api.create({ fields: ['email'], filter: { createdAt: range(), listId: 1 }, limit: 5 });
		expect(contractProblems(sim.state.calls.at(-1) as (typeof sim.state.calls)[number])).toEqual([
			"POST /bulk/v1/leads/export/create.json: body member 'limit' is not in the contract (createExportLeadsUsingPOST)",
			"POST /bulk/v1/leads/export/create.json: filter member 'listId' is not in the contract (createExportLeadsUsingPOST)",
		]);
	});
});

describe('1035 where the subscription lacks the updatedAt and smart list filters', () => {
	it('answers 1035 for those filters only, on each type that has them', async () => {
		const clock = createFakeClock();
		const sim = await startSimulator({ clock, extract: { advancedFilters: false } });
		try {
			const token = await getToken(sim);
			const unsupported = {
				code: '1035',
				message: 'Unsupported filter type for target subscription',
			};
			const range = isoRange(clock.now() - DAY, clock.now());
			const errorOf = async (type: ExtractPath, body: unknown) =>
				envelopeOf(await extractApi(sim, token, type).create(body)).errors?.[0];
			expect(await errorOf('leads', { fields: ['email'], filter: { updatedAt: range } })).toEqual(
				unsupported,
			);
			expect(
				await errorOf('leads', { fields: ['email'], filter: { smartListName: 'Partners' } }),
			).toEqual(unsupported);
			expect(
				await errorOf('program/members', {
					fields: ['email'],
					filter: { programId: 1001, updatedAt: range },
				}),
			).toEqual(unsupported);
			expect(
				await errorOf('customobjects/car_c', { fields: ['vin'], filter: { smartListId: 3001 } }),
			).toEqual(unsupported);
			expect(
				firstResult(
					await extractApi(sim, token, 'leads').create({
						fields: ['email'],
						filter: { createdAt: range },
					}),
				).status,
			).toBe('Created');
		} finally {
			await sim.close();
		}
	});
});
