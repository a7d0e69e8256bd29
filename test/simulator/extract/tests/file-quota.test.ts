import Ajv from 'ajv';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { OPERATION_FACTS } from '../../contract';
import { createFakeClock, startSimulator, type RunningSimulator } from '../../index';
import { envelopeOf, firstResult, getToken } from '../../testkit';
import { extractApi, isoRange } from './kit';

const DAY = 24 * 3600 * 1000;
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('the file endpoint: Range, checksum, streaming and download faults', () => {
	const clock = createFakeClock(Date.UTC(2025, 0, 15, 12, 0, 0));
	let sim: RunningSimulator;
	let leads: ReturnType<typeof extractApi>;
	let id: string;
	let whole: Buffer;

	beforeAll(async () => {
		sim = await startSimulator({
			clock,
			extract: { recordsPerSecond: 1e6, statusRefreshMs: 1000 },
		});
		leads = extractApi(sim, await getToken(sim), 'leads');
		// 30,000 generated leads over the last day: a file of about 2 MB that is never stored.
		sim.state.addGeneratedLeads(30_000, clock.now() - DAY, clock.now());
		id = await leads.start({
			fields: ['id', 'email', 'firstName', 'lastName', 'company', 'leadScore', 'city'],
			filter: { createdAt: isoRange(clock.now() - DAY, clock.now()) },
		});
		clock.advance(2000);
		whole = (await leads.file(id)).body;
	});
	afterAll(async () => await sim.close());

	it('serves the whole file with its size and checksum; rows of generated leads are stable', async () => {
		const status = firstResult(await leads.status(id));
		expect(status).toMatchObject({
			numberOfRecords: 30_000,
			fileSize: whole.length,
			fileChecksum: sha256(whole),
		});
		expect(whole.length).toBeGreaterThan(1_500_000);
		const lines = whole.toString('utf8').split('\n');
		expect(lines[0]).toBe('id,email,firstName,lastName,company,leadScore,city');
		expect(lines[2]).toMatch(
			/^\d+,generated\d+@generated\.example\.com,First1,Last 1,"Company 1, Inc\.",1,null$/,
		);
		expect(lines).toHaveLength(30_002);
		expect(whole.equals(sim.state.extractFile(id))).toBe(true);
		const completed = envelopeOf(await leads.status(id));
		const fact = OPERATION_FACTS.find((f) => f.operationId === 'getExportLeadsStatusUsingGET');
		const schema = JSON.parse(JSON.stringify(fact?.response200)) as { required?: string[] };
		schema.required = ['requestId', 'success'];
		expect(new Ajv({ strict: false, validateFormats: false }).validate(schema, completed)).toBe(
			true,
		);
	});

	it('answers Range bytes=a-b and a- with 206 and the headers resumption needs', async () => {
		const part = await leads.file(id, { Range: 'bytes=1000-1999999' });
		expect(part.status).toBe(206);
		expect(part.headers.get('accept-ranges')).toBe('bytes');
		expect(part.headers.get('content-range')).toBe(`bytes 1000-1999999/${whole.length}`);
		expect(part.headers.get('content-length')).toBe('1999000');
		expect(part.body.equals(whole.subarray(1000, 2_000_000))).toBe(true);
		const tail = await leads.file(id, { Range: 'bytes=725-' });
		expect(tail.headers.get('content-range')).toBe(`bytes 725-${whole.length - 1}/${whole.length}`);
		expect(Buffer.concat([whole.subarray(0, 725), tail.body]).equals(whole)).toBe(true);
		const full = await leads.file(id);
		expect([
			full.status,
			full.headers.get('accept-ranges'),
			full.headers.get('content-length'),
		]).toEqual([200, 'bytes', String(whole.length)]);
		const beyond = await leads.file(id, { Range: `bytes=${whole.length}-` });
		expect([beyond.status, beyond.headers.get('content-range')]).toEqual([
			416,
			`bytes */${whole.length}`,
		]);
	});

	it('a scripted truncate drops the connection after N bytes; a Range request resumes', async () => {
		sim.state.scriptFault({
			route: 'leadExportFile',
			answer: { kind: 'truncate', afterBytes: 100_000 },
		});
		const response = await fetch(`${sim.baseUrl}/bulk/v1/leads/export/${id}/file.json`, {
			headers: { Authorization: `Bearer ${await getToken(sim)}` },
		});
		expect(response.headers.get('content-length')).toBe(String(whole.length));
		const received: Buffer[] = [];
		await expect(
			(async () => {
				for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
					received.push(Buffer.from(chunk));
			})(),
		).rejects.toThrow();
		const head = Buffer.concat(received);
		expect(head.length).toBe(100_000);
		const rest = await leads.file(id, { Range: `bytes=${head.length}-` });
		expect(Buffer.concat([head, rest.body]).equals(whole)).toBe(true);
	});

	it('a scripted corrupt changes one byte: same length, checksum mismatch; the next download is right', async () => {
		sim.state.scriptFault({
			route: 'leadExportFile',
			answer: { kind: 'corrupt', atByte: 123_456 },
		});
		const bad = await leads.file(id);
		expect(bad.body.length).toBe(whole.length);
		expect(sha256(bad.body)).not.toBe(sha256(whole));
		expect([...bad.body].filter((b, i) => b !== whole[i])).toHaveLength(1);
		expect((await leads.file(id)).body.equals(whole)).toBe(true);
	});
});

describe('a large file (past 16 MB) is kept once, on disk, and removed when the simulator closes', () => {
	it('serves the same bytes whole and by range, checksum included', async () => {
		const folders = () =>
			readdirSync(tmpdir()).filter((n) => n.startsWith('marketo-sim-extract-')).length;
		const before = folders();
		const clock = createFakeClock(Date.UTC(2025, 0, 15, 12, 0, 0));
		const sim = await startSimulator({
			clock,
			extract: { recordsPerSecond: 1e7, statusRefreshMs: 1000 },
		});
		try {
			const leads = extractApi(sim, await getToken(sim), 'leads');
			sim.state.addGeneratedLeads(300_000, clock.now() - DAY, clock.now());
			const id = await leads.start({
				fields: ['id', 'email', 'firstName', 'lastName', 'company'],
				filter: { createdAt: isoRange(clock.now() - DAY, clock.now()) },
			});
			clock.advance(1000);
			const status = firstResult(await leads.status(id));
			expect(status.fileSize as number).toBeGreaterThan(16 * 1024 * 1024);
			expect(folders()).toBe(before + 1);
			const whole = (await leads.file(id)).body;
			expect([whole.length, sha256(whole)]).toEqual([status.fileSize, status.fileChecksum]);
			const middle = await leads.file(id, { Range: 'bytes=1048570-3145730' });
			expect(middle.body.equals(whole.subarray(1048570, 3145731))).toBe(true);
		} finally {
			await sim.close();
		}
		expect(folders()).toBe(before);
	});
});

describe('the daily export quota (US Central day, shared by every type and user)', () => {
	const startWith = async (at: number, quota: number) => {
		const clock = createFakeClock(at);
		const sim = await startSimulator({
			clock,
			tokenLifetimeSeconds: 60 * 24 * 3600,
			extract: { recordsPerSecond: 1e6, statusRefreshMs: 1000, dailyQuotaBytes: quota },
		});
		const leads = extractApi(sim, await getToken(sim), 'leads');
		for (let i = 0; i < 10; i++) sim.state.seedLead({ email: `q${i}@example.com` });
		const body = () => ({
			fields: ['email'],
			filter: { createdAt: isoRange(clock.now() - 10 * DAY, clock.now()) },
		});
		return { clock, sim, leads, body };
	};
	const exceeded = { code: '1029', message: 'Export daily quota exceeded' };

	it('refuses create and enqueue once files of the Central day reach the quota, until midnight Central (CST)', async () => {
		// 23:00 UTC on 15 January = 17:00 CST; midnight Central is 06:00 UTC on the 16th.
		const { clock, sim, leads, body } = await startWith(Date.UTC(2025, 0, 15, 23, 0, 0), 100);
		try {
			const pending = firstResult(await leads.create(body())).exportId as string;
			const id = await leads.start(body());
			clock.advance(2000);
			const size = firstResult(await leads.status(id)).fileSize as number;
			expect(size).toBeGreaterThanOrEqual(100);
			expect(sim.state.extractQuotaUsed).toBe(size);
			expect(envelopeOf(await leads.create(body())).errors?.[0]).toEqual(exceeded);
			expect(envelopeOf(await leads.enqueue(pending)).errors?.[0]).toEqual(exceeded);
			// Past midnight UTC the Central day has not changed yet.
			clock.set(Date.UTC(2025, 0, 16, 5, 59, 59));
			expect(envelopeOf(await leads.create(body())).errors?.[0]).toEqual(exceeded);
			clock.set(Date.UTC(2025, 0, 16, 6, 0, 0));
			expect(firstResult(await leads.enqueue(pending)).status).toBe('Queued');
			expect(sim.state.extractQuotaUsed).toBe(0);
		} finally {
			await sim.close();
		}
	});

	it('resets at midnight CDT in summer (05:00 UTC), and counts foreign jobs too', async () => {
		const { clock, sim, leads, body } = await startWith(Date.UTC(2025, 6, 10, 12, 0, 0), 1000);
		try {
			sim.state.addForeignExtractJobs(1, { records: 10, fileSize: 1000 });
			clock.advance(1000);
			expect(envelopeOf(await leads.create(body())).errors?.[0]).toEqual(exceeded);
			clock.set(Date.UTC(2025, 6, 11, 4, 59, 59));
			expect(envelopeOf(await leads.create(body())).errors?.[0]).toEqual(exceeded);
			clock.set(Date.UTC(2025, 6, 11, 5, 0, 0));
			expect(firstResult(await leads.create(body())).status).toBe('Created');
		} finally {
			await sim.close();
		}
	});

	it("the job lists give what a client needs to compute today's use", async () => {
		const { clock, sim, leads, body } = await startWith(Date.UTC(2025, 0, 15, 12, 0, 0), 1e9);
		try {
			const a = await leads.start(body());
			clock.advance(1000);
			const b = await leads.start(body());
			clock.advance(1000);
			const listed = envelopeOf(await leads.list('?status=Completed')).result ?? [];
			expect(listed.map((j) => j.exportId)).toEqual([a, b]);
			const used = listed.reduce((sum, j) => sum + (j.fileSize as number), 0);
			expect(used).toBe(sim.state.extractQuotaUsed);
			expect(listed.every((j) => typeof j.finishedAt === 'string')).toBe(true);
		} finally {
			await sim.close();
		}
	});
});
