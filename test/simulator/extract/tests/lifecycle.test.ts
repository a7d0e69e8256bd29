import { createHash } from 'node:crypto';
import { createFakeClock, startSimulator, type RunningSimulator } from '../../index';
import { envelopeOf, errorCode, firstResult, getToken } from '../../testkit';
import { extractApi, isoRange } from './kit';

const DAY = 24 * 3600 * 1000;

describe('extract jobs: lifecycle, lagged status, the shared queue (fake clock)', () => {
	const clock = createFakeClock();
	let sim: RunningSimulator;
	let token: string;
	let leads: ReturnType<typeof extractApi>;
	const body = () => ({
		fields: ['id', 'email'],
		filter: { createdAt: isoRange(clock.now() - DAY, clock.now() + DAY) },
	});

	beforeEach(async () => {
		clock.set(Date.UTC(2025, 0, 15, 12, 0, 0));
		sim = await startSimulator({
			clock,
			tokenLifetimeSeconds: 60 * 24 * 3600,
			extract: { recordsPerSecond: 10, statusRefreshMs: 1000 },
		});
		token = await getToken(sim);
		leads = extractApi(sim, token, 'leads');
		for (let i = 0; i < 20; i++) sim.state.seedLead({ email: `l${i}@example.com` });
	});
	afterEach(async () => await sim.close());

	const shown = async (id: string) => firstResult(await leads.status(id));

	it('goes Created -> Queued -> Processing -> Completed, each change shown from the next refresh tick', async () => {
		const created = firstResult(await leads.create(body()));
		expect(created).toEqual({
			exportId: expect.stringMatching(
				/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
			),
			format: 'CSV',
			status: 'Created',
			createdAt: '2025-01-15T12:00:00Z',
		});
		const id = created.exportId as string;
		expect((await shown(id)).status).toBe('Created');
		expect(firstResult(await leads.enqueue(id))).toMatchObject({
			status: 'Queued',
			queuedAt: '2025-01-15T12:00:00Z',
		});
		clock.advance(500);
		// Marketo already processes it, but the status has not been refreshed since.
		expect(sim.state.extractJobs[0].status).toBe('Processing');
		expect((await shown(id)).status).toBe('Queued');
		clock.advance(500);
		expect(await shown(id)).toMatchObject({
			status: 'Processing',
			startedAt: '2025-01-15T12:00:00Z',
		});
		clock.advance(999);
		expect((await shown(id)).status).toBe('Processing');
		expect((await leads.file(id)).status).toBe(404);
		clock.advance(1);
		const done = await shown(id);
		const file = await leads.file(id);
		expect(file.status).toBe(200);
		expect(done).toEqual({
			exportId: id,
			format: 'CSV',
			status: 'Completed',
			createdAt: '2025-01-15T12:00:00Z',
			queuedAt: '2025-01-15T12:00:00Z',
			startedAt: '2025-01-15T12:00:00Z',
			finishedAt: '2025-01-15T12:00:02Z',
			numberOfRecords: 20,
			fileSize: file.body.length,
			fileChecksum: `sha256:${createHash('sha256').update(file.body).digest('hex')}`,
		});
		expect(file.body.equals(sim.state.extractFile(id))).toBe(true);
	});

	it('by default shows a change only at the minute: a 2 s job reads Processing for the rest of the minute', async () => {
		await sim.close();
		sim = await startSimulator({
			clock,
			tokenLifetimeSeconds: 60 * 24 * 3600,
			extract: { recordsPerSecond: 10 },
		});
		token = await getToken(sim);
		leads = extractApi(sim, token, 'leads');
		sim.state.seedLead({ email: 'a@example.com' });
		clock.advance(10_000);
		const id = await leads.start(body());
		clock.advance(49_999);
		expect((await shown(id)).status).toBe('Queued');
		clock.advance(1);
		expect((await shown(id)).status).toBe('Completed');
	});

	it('runs at most 2 jobs at once and holds 10 in all, foreign ones included: 1029 for the 11th', async () => {
		const foreign = sim.state.addForeignExtractJobs(8, { records: 1000 });
		expect(foreign).toHaveLength(8);
		const first = await leads.start(body());
		const second = await leads.start(body());
		const eleventh = firstResult(await leads.create(body())).exportId as string;
		expect(envelopeOf(await leads.enqueue(eleventh)).errors).toEqual([
			{ code: '1029', message: 'Too many jobs in queue' },
		]);
		const jobs = sim.state.extractJobs;
		expect(jobs.filter((j) => j.status === 'Processing').map((j) => j.owner)).toEqual([
			'foreign',
			'foreign',
		]);
		expect(envelopeOf(await leads.enqueue(first)).errors).toEqual([
			{ code: '1029', message: 'Job already queued' },
		]);
		// Cancelling a queued job frees its place at once.
		expect(firstResult(await leads.cancel(second)).status).toBe('Cancelled');
		expect(firstResult(await leads.enqueue(eleventh)).status).toBe('Queued');
	});

	it('extractQueuePeak: the most jobs each API user held in the queue at once', async () => {
		sim.state.addForeignExtractJobs(3, { records: 1000 });
		expect(sim.state.extractQueuePeak(sim.clientId)).toBe(0);
		const first = await leads.start(body());
		await leads.start(body());
		await leads.start(body());
		expect(firstResult(await leads.cancel(first)).status).toBe('Cancelled');
		await leads.start(body());
		// Never more than 3 at once: the cancelled one had left before the fourth came.
		expect(sim.state.extractQueuePeak(sim.clientId)).toBe(3);
		expect(sim.state.extractQueuePeak('foreign')).toBe(3);
		clock.advance(10 * 60_000);
		await leads.start(body());
		expect(sim.state.extractQueuePeak(sim.clientId)).toBe(3);
	});

	it('a cancelled Processing job frees its lane for the next job at that moment', async () => {
		const a = await leads.start(body());
		const b = await leads.start(body());
		const c = await leads.start(body());
		clock.advance(1000);
		expect(sim.state.extractJobs.map((j) => j.status)).toEqual([
			'Processing',
			'Processing',
			'Queued',
		]);
		expect(firstResult(await leads.cancel(a)).status).toBe('Cancelled');
		const [, , third] = sim.state.extractJobs;
		expect(third).toMatchObject({ exportId: c, status: 'Processing', startedAt: clock.now() });
		clock.advance(5000);
		expect(errorCode(await leads.cancel(b))).toBe('1003');
		expect((await leads.file(a)).status).toBe(404);
	});

	it('failNextExtract: the job processes, then ends Failed with errorMsg and has no file', async () => {
		sim.state.failNextExtract('Export failed: disk full');
		const id = await leads.start(body());
		clock.advance(3000);
		expect(await shown(id)).toMatchObject({
			status: 'Failed',
			errorMsg: 'Export failed: disk full',
			finishedAt: '2025-01-15T12:00:02Z',
		});
		const file = await leads.file(id);
		expect([file.status, file.headers.get('content-type'), file.body.toString()]).toEqual([
			404,
			'text/plain',
			'Not Found',
		]);
		const next = await leads.start(body());
		clock.advance(3000);
		expect((await shown(next)).status).toBe('Completed');
	});

	it('file: plain-text 404 before completion, for unknown ids, and 7 days after completion', async () => {
		const id = await leads.start(body());
		expect((await leads.file(id)).status).toBe(404);
		expect((await leads.file('00000000-0000-4000-8000-000000000000')).status).toBe(404);
		clock.advance(2000);
		expect((await leads.file(id)).status).toBe(200);
		clock.advance(7 * DAY - 1);
		expect((await leads.file(id)).status).toBe(200);
		clock.advance(1);
		expect((await leads.file(id)).status).toBe(404);
		// The status says why: Completed a week ago.
		expect((await shown(id)).status).toBe('Completed');
		clock.advance(23 * DAY);
		expect(envelopeOf(await leads.status(id)).errors).toEqual([
			{ code: '1003', message: `Export job '${id}' not found` },
		]);
	});

	it("lists the caller's jobs of that type from the last 7 days, by status, in pages", async () => {
		const old = await leads.start(body());
		clock.advance(3 * DAY);
		const done = await leads.start(body());
		clock.advance(3000);
		const waiting = firstResult(await leads.create(body())).exportId as string;
		await extractApi(sim, token, 'activities').create({
			filter: { createdAt: isoRange(clock.now() - DAY, clock.now()) },
		});
		const all = envelopeOf(await leads.list());
		expect(all.result?.map((j) => j.exportId)).toEqual([old, done, waiting]);
		const completed = envelopeOf(await leads.list('?status=Completed'));
		expect(completed.result?.map((j) => j.exportId)).toEqual([old, done]);
		const page1 = (await leads.list('?batchSize=2')).json<{
			result: unknown[];
			nextPageToken: string;
		}>();
		expect(page1.result).toHaveLength(2);
		const page2 = envelopeOf(
			await leads.list(`?batchSize=2&nextPageToken=${encodeURIComponent(page1.nextPageToken)}`),
		);
		expect(page2.result?.map((j) => j.exportId)).toEqual([waiting]);
		clock.advance(4 * DAY);
		expect(envelopeOf(await leads.list()).result?.map((j) => j.exportId)).toEqual([done, waiting]);
		expect(errorCode(await leads.list('?status=Done'))).toBe('1003');
	});
});

describe('a token that expires during a long wait', () => {
	it('answers 602 once, then the same API user with a new token still sees its job', async () => {
		const clock = createFakeClock();
		const sim = await startSimulator({
			clock,
			extract: { recordsPerSecond: 1, statusRefreshMs: 1000 },
		});
		try {
			sim.state.seedLead({ email: 'a@example.com' });
			const first = extractApi(sim, await getToken(sim), 'leads');
			const id = await first.start({
				fields: ['email'],
				filter: { createdAt: isoRange(clock.now() - 1000, clock.now()) },
			});
			clock.advance(500);
			sim.state.expireTokens();
			expect(envelopeOf(await first.status(id)).errors).toEqual([
				{ code: '602', message: 'Access token expired' },
			]);
			const renewed = extractApi(sim, await getToken(sim), 'leads');
			clock.advance(1000);
			expect(firstResult(await renewed.status(id)).status).toBe('Completed');
		} finally {
			await sim.close();
		}
	});
});

describe('jobs belong to the API user that created them', () => {
	it('another API user can neither see, download, cancel nor list them', async () => {
		const clock = createFakeClock();
		const sim = await startSimulator({
			clock,
			extract: { recordsPerSecond: 1000, statusRefreshMs: 1000 },
			apiUsers: [{ clientId: 'second-client', clientSecret: 'second-secret' }],
		});
		try {
			sim.state.seedLead({ email: 'a@example.com' });
			const mine = extractApi(sim, await getToken(sim), 'leads');
			const other = await fetch(
				`${sim.identityUrl}/oauth/token?grant_type=client_credentials&client_id=second-client&client_secret=second-secret`,
			).then(async (r) => (await r.json()) as { access_token: string; scope: string });
			expect(other.scope).toBe('second-client@simulator.example.com');
			const theirs = extractApi(sim, other.access_token, 'leads');
			const id = await mine.start({
				fields: ['email'],
				filter: { createdAt: isoRange(clock.now() - 1000, clock.now()) },
			});
			clock.advance(2000);
			expect((await mine.file(id)).status).toBe(200);
			expect(errorCode(await theirs.status(id))).toBe('1003');
			expect((await theirs.file(id)).status).toBe(404);
			expect(errorCode(await theirs.cancel(id))).toBe('1003');
			expect(errorCode(await theirs.enqueue(id))).toBe('1003');
			expect(envelopeOf(await theirs.list()).result).toEqual([]);
			expect(envelopeOf(await mine.list()).result).toHaveLength(1);
			expect(sim.state.extractJobs[0].owner).toBe(sim.clientId);
		} finally {
			await sim.close();
		}
	});
});
