import { Readable } from 'node:stream';
import { request } from 'undici';
import { createFakeClock, holdableClock, startSimulator, type RunningSimulator } from './index';
import { apiGet, envelopeOf, errorCode, getToken, upload } from './testkit';

describe('envelope, HTTP 413, permissions and API limits', () => {
	const clock = createFakeClock();
	const marketoClock = holdableClock(clock);
	let sim: RunningSimulator;
	let token: string;
	beforeEach(async () => {
		sim = await startSimulator({
			clock: marketoClock,
			maxUploadBytes: 2000,
			limits: { callsPerWindow: 5, windowSeconds: 20, dailyQuota: 8, maxConcurrent: 2 },
		});
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	it("uses Marketo's envelope: string codes, HTTP 200 for API errors, no empty arrays on the lead API", async () => {
		const okAnswer = await apiGet(sim, '/rest/v1/leads/partitions.json', token);
		expect(Object.keys(okAnswer.json()).sort()).toEqual(['requestId', 'result', 'success']);
		const unknown = await apiGet(sim, '/rest/v1/nothing-here.json', token);
		expect(unknown.status).toBe(200);
		expect(unknown.json()).toEqual({
			requestId: expect.stringMatching(/^[0-9a-f]{4}#[0-9a-f]+$/),
			success: false,
			errors: [{ code: '610', message: 'Requested resource not found' }],
		});
		const asset = await apiGet(sim, '/rest/asset/v1/channels.json', token);
		expect(asset.json()).toMatchObject({ success: true, errors: [], warnings: [] });
	});

	it('answers HTTP 413 for an upload over maxUploadBytes (declared or streamed)', async () => {
		const big = 'email\n' + 'x@example.com\n'.repeat(200);
		const declared = await upload(sim, '/bulk/v1/leads.json?format=csv', big, token);
		expect(declared.status).toBe(413);
		expect(declared.text).toContain('413');
		async function* chunks() {
			yield Buffer.from(
				'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n',
			);
			yield Buffer.from(big);
			yield Buffer.from('\r\n--B--\r\n');
		}
		const streamed = await request(`${sim.baseUrl}/bulk/v1/leads.json?format=csv`, {
			method: 'POST',
			headers: {
				authorization: `Bearer ${token}`,
				'content-type': 'multipart/form-data; boundary=B',
			},
			body: Readable.from(chunks()),
		});
		expect(streamed.statusCode).toBe(413);
		await streamed.body.text();
		expect(sim.state.queue).toHaveLength(0);
		const small = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv',
			'email\na@example.com\n',
			token,
		);
		expect(envelopeOf(small).success).toBe(true);
	});

	it('answers 603 Access denied for a role without the permission', async () => {
		sim.state.setPermissions({ readAssets: false, writeCustomObjects: false });
		expect(
			envelopeOf(await apiGet(sim, '/rest/asset/v1/programs.json', token)).errors?.[0],
		).toEqual({ code: '603', message: 'Access denied' });
		expect(
			errorCode(
				await upload(sim, '/bulk/v1/customobjects/car_c/import.json?format=csv', 'vin\n1\n', token),
			),
		).toBe('603');
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/describe2.json', token))).toBeUndefined();
	});

	it('606 past the sliding window, again after it; error answers are not counted', async () => {
		for (let i = 0; i < 3; i++)
			expect(errorCode(await apiGet(sim, '/bulk/v1/leads/batch/1.json', token))).toBe('1003');
		for (let i = 0; i < 5; i++)
			expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', token))).toBeUndefined();
		const limited = await apiGet(sim, '/rest/v1/leads/partitions.json', token);
		expect(envelopeOf(limited).errors?.[0]).toEqual({
			code: '606',
			message: "Max rate limit '5' exceeded with in '20' secs",
		});
		clock.advance(20_001);
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', token))).toBeUndefined();
	});

	it('607 when the daily quota is used up, until the next US Central day', async () => {
		sim.state.setLimits({ callsPerWindow: 100 });
		for (let i = 0; i < 8; i++)
			expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', token))).toBeUndefined();
		expect(
			envelopeOf(await apiGet(sim, '/rest/v1/leads/partitions.json', token)).errors?.[0],
		).toEqual({ code: '607', message: 'Daily quota reached' });
		expect(sim.state.dailyCallCount).toBe(8);
		clock.advance(24 * 3600 * 1000);
		expect(
			errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', await getToken(sim))),
		).toBeUndefined();
	});

	it('615 when more calls than maxConcurrent are in flight', async () => {
		// The first two calls stay in flight until the third has arrived.
		let thirdArrived!: () => void;
		marketoClock.holdDelaysUntil(new Promise<void>((resolve) => (thirdArrived = resolve)));
		const stopWatching = sim.state.onCall(() => {
			if (sim.state.callsTo('leadPartitions').length === 3) thirdArrived();
		});
		sim.state.scriptFault({
			route: 'leadPartitions',
			times: 2,
			answer: { kind: 'delay', ms: 150 },
		});
		const answers = await Promise.all(
			[0, 1, 2].map(() => apiGet(sim, '/rest/v1/leads/partitions.json', token)),
		);
		stopWatching();
		const codes = answers.map((a) => errorCode(a));
		expect(codes.filter((c) => c === '615')).toHaveLength(1);
		expect(answers.map((a) => envelopeOf(a).errors?.[0]?.message).find(Boolean)).toBe(
			"Concurrent access limit '2' reached",
		);
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', token))).toBeUndefined();
	});
});
