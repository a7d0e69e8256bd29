import { createFakeClock, startSimulator, type FakeClock, type RunningSimulator } from './index';
import { apiGet, envelopeOf, errorCode, firstResult, getToken, upload } from './testkit';

describe('fault injection', () => {
	let sim: RunningSimulator;
	let token: string;
	// Delays sleep on this clock: they move it instead of taking real time.
	let clock: FakeClock;
	beforeEach(async () => {
		clock = createFakeClock();
		sim = await startSimulator({ rowsPerSecond: 1e9, seed: 7, clock });
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	const partitions = () => apiGet(sim, '/rest/v1/leads/partitions.json', token);

	it('scripted envelope errors answer the next N calls to a route, then normal answers', async () => {
		sim.state.scriptFault({
			route: 'leadPartitions',
			times: 2,
			answer: { kind: 'envelope', code: '611' },
		});
		expect(envelopeOf(await partitions()).errors?.[0]).toEqual({
			code: '611',
			message: 'System error',
		});
		expect(errorCode(await partitions())).toBe('611');
		expect(errorCode(await partitions())).toBeUndefined();
		expect(sim.state.callsTo('leadPartitions').map((c) => c.fault)).toEqual([
			'scripted:envelope',
			'scripted:envelope',
			undefined,
		]);
	});

	it('scripted HTTP errors, 502 gateway pages and connection resets by path', async () => {
		sim.state.scriptFault({
			path: '/rest/v1/leads/partitions.json',
			answer: { kind: 'http', status: 503 },
		});
		sim.state.scriptFault({ path: /partitions/, answer: { kind: 'gateway502' } });
		sim.state.scriptFault({ method: 'GET', path: /partitions/, answer: { kind: 'reset' } });
		expect((await partitions()).status).toBe(503);
		const gateway = await partitions();
		expect(gateway.status).toBe(502);
		expect(gateway.contentType).toBe('text/html');
		expect(gateway.text).toContain('<title>502 Bad Gateway</title>');
		await expect(partitions()).rejects.toMatchObject({
			message: 'fetch failed',
			cause: { code: 'UND_ERR_SOCKET' },
		});
		expect(sim.state.calls.at(-1)?.httpStatus).toBe(0);
		expect(errorCode(await partitions())).toBeUndefined();
	});

	it("'after' faults lose the answer although the import was really created", async () => {
		sim.state.scriptFault({ route: 'importLeads', when: 'after', answer: { kind: 'gateway502' } });
		const lost = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv',
			'email\na@example.com\n',
			token,
		);
		expect(lost.status).toBe(502);
		expect(sim.state.queue).toHaveLength(1);
		expect(sim.state.leads).toHaveLength(1);
		sim.state.scriptFault({ route: 'importLeads', answer: { kind: 'http', status: 500 } });
		expect(
			(await upload(sim, '/bulk/v1/leads.json?format=csv', 'email\nb@example.com\n', token)).status,
		).toBe(500);
		expect(sim.state.queue).toHaveLength(1);
	});

	it('slow responses are delayed by the configured time', async () => {
		sim.state.scriptFault({ route: 'leadPartitions', answer: { kind: 'delay', ms: 120 } });
		const started = clock.now();
		expect(errorCode(await partitions())).toBeUndefined();
		expect(clock.sleeps).toEqual([120]);
		// Only the scripted call waited: the next one arrives when the delay is over.
		expect(errorCode(await partitions())).toBeUndefined();
		expect(clock.sleeps).toEqual([120]);
		expect(sim.state.callsTo('leadPartitions').map((call) => call.time - started)).toEqual([
			0, 120,
		]);
	});

	it('random faults follow the seed: same seed, same sequence; rates near the configured ones', async () => {
		const run = async (seed: number) => {
			const other = await startSimulator({
				seed,
				faults: {
					http5xxRate: 0.1,
					gateway502Rate: 0.1,
					envelopeErrorRates: { '604': 0.1, '608': 0.05, '713': 0.05 },
				},
				limits: { callsPerWindow: 1000 },
			});
			try {
				const t = await getToken(other);
				const outcomes: string[] = [];
				for (let i = 0; i < 200; i++) {
					const r = await apiGet(other, '/rest/v1/leads/partitions.json', t);
					outcomes.push(r.status !== 200 ? String(r.status) : (errorCode(r) ?? 'ok'));
				}
				return outcomes;
			} finally {
				await other.close();
			}
		};
		const a = await run(11);
		expect(await run(11)).toEqual(a);
		expect(await run(12)).not.toEqual(a);
		const share = (what: string[]) => a.filter((o) => what.includes(o)).length / a.length;
		expect(share(['ok'])).toBeGreaterThan(0.4);
		expect(share(['ok'])).toBeLessThan(0.8);
		for (const kind of ['500', '503', '502', '604', '608', '713'].map((k) => [k]))
			expect(share(kind)).toBeGreaterThan(0);
	});

	it('random connection resets and slow responses can be switched on at run time and limited to routes', async () => {
		sim.state.setFaults({ connectionResetRate: 1, routes: ['programs'] });
		expect(errorCode(await partitions())).toBeUndefined();
		await expect(apiGet(sim, '/rest/asset/v1/programs.json', token)).rejects.toMatchObject({
			message: 'fetch failed',
			cause: { code: 'UND_ERR_SOCKET' },
		});
		sim.state.setFaults({ connectionResetRate: 0, slowResponseRate: 1, slowResponseMs: 80 });
		expect(clock.sleeps).toEqual([]);
		expect(errorCode(await apiGet(sim, '/rest/asset/v1/programs.json', token))).toBeUndefined();
		expect(clock.sleeps).toEqual([80]);
		expect(sim.state.faults.slowResponseMs).toBe(80);
	});

	it('identity is spared by random faults unless includeIdentity', async () => {
		sim.state.setFaults({ http5xxRate: 1 });
		expect(await getToken(sim)).toBe(token);
		sim.state.setFaults({ includeIdentity: true });
		const response = await fetch(
			`${sim.identityUrl}/oauth/token?grant_type=client_credentials&client_id=${sim.clientId}&client_secret=${sim.clientSecret}`,
		);
		expect(response.status).toBeGreaterThanOrEqual(500);
	});

	it('a batch can be made to fail and foreign jobs can fill the queue', async () => {
		sim.state.failNextBatch('Failed to parse the file');
		const created = firstResult(
			await upload(sim, '/bulk/v1/leads.json?format=csv', 'email\na@example.com\n', token),
		);
		const status = firstResult(
			await apiGet(sim, `/bulk/v1/leads/batch/${created.batchId}.json`, token),
		);
		expect(status).toMatchObject({ status: 'Failed', message: 'Failed to parse the file' });
		sim.state.addForeignJobs(10, 1e12);
		expect(
			errorCode(
				await upload(sim, '/bulk/v1/leads.json?format=csv', 'email\nb@example.com\n', token),
			),
		).toBe('1016');
		expect(sim.state.queue.filter((j) => j.owner === 'foreign')).toHaveLength(10);
	});
});
