import { createFakeClock, startSimulator, type RunningSimulator } from './index';
import { apiGet, envelopeOf, errorCode, firstResult, getToken, upload } from './testkit';

function rowsCsv(count: number, prefix: string): string {
	const lines = ['email,firstName'];
	for (let i = 0; i < count; i++) lines.push(`${prefix}${i}@example.com,N${i}`);
	return lines.join('\n') + '\n';
}

describe('the import queue (fake clock, 100 rows/s)', () => {
	const clock = createFakeClock();
	let sim: RunningSimulator;
	let token: string;

	beforeEach(async () => {
		sim = await startSimulator({ clock, rowsPerSecond: 100, tokenLifetimeSeconds: 30 * 24 * 3600 });
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	const create = async (rows: number, prefix: string, query = 'format=csv') =>
		upload(sim, `/bulk/v1/leads.json?${query}`, rowsCsv(rows, prefix), token);
	const status = async (batchId: number) =>
		firstResult(await apiGet(sim, `/bulk/v1/leads/batch/${batchId}.json`, token));

	it('processes at most 2 jobs at once, FIFO, with running counts while Importing', async () => {
		const ids: number[] = [];
		for (const prefix of ['a', 'b', 'c'])
			ids.push(firstResult(await create(100, prefix)).batchId as number);
		expect((await status(ids[0])).status).toBe('Importing');
		expect((await status(ids[1])).status).toBe('Importing');
		expect((await status(ids[2])).status).toBe('Queued');
		expect((await status(ids[2])).numOfLeadsProcessed).toBe(0);

		clock.advance(500);
		const half = await status(ids[0]);
		expect(half).toMatchObject({ status: 'Importing', numOfLeadsProcessed: 50 });
		expect(sim.state.leads.filter((l) => l.fields.email.startsWith('a'))).toHaveLength(50);

		clock.advance(500);
		expect(await status(ids[0])).toMatchObject({ status: 'Complete', numOfLeadsProcessed: 100 });
		expect((await status(ids[2])).status).toBe('Importing');
		clock.advance(1000);
		expect(await status(ids[2])).toMatchObject({ status: 'Complete', numOfLeadsProcessed: 100 });
		const jobs = sim.state.queue;
		expect(jobs[2].startedAt).toBe(jobs[0].finishedAt);
	});

	it('allows 10 jobs in total and answers 1016 for the 11th, counting foreign jobs', async () => {
		const foreign = sim.state.addForeignJobs(4, 1000);
		expect(foreign).toHaveLength(4);
		for (let i = 0; i < 6; i++) expect(envelopeOf(await create(10, `j${i}-`)).success).toBe(true);
		const refused = await create(10, 'eleventh');
		expect(envelopeOf(refused).errors?.[0]).toEqual({
			code: '1016',
			message: 'There are 10 imports currently being processed. Please try again later',
		});
		// Foreign jobs came first (FIFO), so they hold both lanes.
		expect(
			sim.state.queue.filter((j) => j.status === 'Importing').every((j) => j.owner === 'foreign'),
		).toBe(true);
		clock.advance(10_000);
		expect(envelopeOf(await create(10, 'later')).success).toBe(true);
	});

	it('answers 1019 while an import into the same list is in progress (configurable)', async () => {
		expect(envelopeOf(await create(100, 'l', 'format=csv&listId=2001')).success).toBe(true);
		const busy = await create(10, 'm', 'format=csv&listId=2001');
		expect(envelopeOf(busy).errors?.[0]).toEqual({
			code: '1019',
			message: 'Import to list 2001 is already in progress',
		});
		expect(envelopeOf(await create(10, 'n', 'format=csv&listId=2002')).success).toBe(true);
		clock.advance(2000);
		expect(envelopeOf(await create(10, 'o', 'format=csv&listId=2001')).success).toBe(true);
	});

	it('a failNextBatch batch ends Failed with the message; the next one is normal', async () => {
		sim.state.failNextBatch('Import failed: internal error while reading file');
		const failed = firstResult(await create(10, 'f')).batchId as number;
		const normal = firstResult(await create(10, 'g')).batchId as number;
		clock.advance(1000);
		expect(await status(failed)).toMatchObject({
			status: 'Failed',
			message: 'Import failed: internal error while reading file',
		});
		expect((await status(normal)).status).toBe('Complete');
	});

	it('forgets a batch 7 days after creation', async () => {
		const id = firstResult(await create(10, 'e')).batchId as number;
		clock.advance(7 * 24 * 3600 * 1000 - 1000);
		expect((await status(id)).status).toBe('Complete');
		clock.advance(1000);
		const gone = await apiGet(sim, `/bulk/v1/leads/batch/${id}.json`, token);
		expect(envelopeOf(gone).errors?.[0]).toEqual({ code: '1003', message: 'Batch ID not found' });
		expect(errorCode(await apiGet(sim, `/bulk/v1/leads/batch/${id}/failures.json`, token))).toBe(
			'1003',
		);
	});

	it('answers Batch ID not found for unknown ids, ids of another import type and foreign jobs', async () => {
		const [foreignId] = sim.state.addForeignJobs(1, 10);
		expect(errorCode(await apiGet(sim, `/bulk/v1/leads/batch/${foreignId}.json`, token))).toBe(
			'1003',
		);
		expect(errorCode(await apiGet(sim, '/bulk/v1/leads/batch/424242.json', token))).toBe('1003');
		expect(errorCode(await apiGet(sim, '/bulk/v1/leads/batch/abc.json', token))).toBe('1003');
		const id = firstResult(await create(1, 'x')).batchId as number;
		expect(
			errorCode(await apiGet(sim, `/bulk/v1/program/members/import/${id}/status.json`, token)),
		).toBe('1003');
	});
});
