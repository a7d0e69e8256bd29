import { createFakeClock, startSimulator, type RunningSimulator } from './index';
import { firstResult, getToken, upload } from './testkit';

describe('the job ledger (fake clock, 100 rows/s)', () => {
	const clock = createFakeClock();
	let sim: RunningSimulator;
	let token: string;

	beforeEach(async () => {
		sim = await startSimulator({ clock, rowsPerSecond: 100, tokenLifetimeSeconds: 30 * 24 * 3600 });
		token = await getToken(sim);
	});
	afterEach(async () => await sim.close());

	const create = async (csv: string) =>
		firstResult(await upload(sim, '/bulk/v1/leads.json?format=csv', csv, token)).batchId as number;

	it("gives each job's interval and each row's outcome and record key", async () => {
		const batchId = await create(
			'email,loyaltyPoints\nAda@Example.com,1\n,2\nbob@example.com,x\ncy@example.com,3\n',
		);
		clock.advance(20);
		let [entry] = sim.state.jobLedger();
		expect(entry).toMatchObject({
			batchId,
			owner: 'own',
			status: 'Importing',
			startedAt: clock.now() - 20,
		});
		expect(entry.rows.map((row) => row.outcome)).toEqual([
			'imported',
			'failed',
			'not-processed',
			'not-processed',
		]);

		clock.advance(1000);
		[entry] = sim.state.jobLedger();
		expect(entry.status).toBe('Complete');
		expect(entry.finishedAt).toBe((entry.startedAt as number) + 40);
		expect(entry.rows).toEqual([
			{
				cells: ['Ada@Example.com', '1'],
				outcome: 'imported',
				key: 'lead/partition 1/email=ada@example.com',
			},
			{ cells: ['', '2'], outcome: 'failed', reason: "Value for lookup field 'email' not found" },
			{
				cells: ['bob@example.com', 'x'],
				outcome: 'failed',
				reason: 'Invalid data type in field Loyalty Points',
			},
			{
				cells: ['cy@example.com', '3'],
				outcome: 'imported',
				key: 'lead/partition 1/email=cy@example.com',
			},
		]);
	});

	it('reports two jobs that process at the same time and write the same record, not jobs one after the other', async () => {
		// Two lanes: the first two jobs run side by side; the third waits for a lane.
		const first = await create('email\na@example.com\nb@example.com\n');
		const resent = await create('email\nA@example.com\nb@example.com\n');
		const later = await create('email\na@example.com\n');
		clock.advance(10_000);

		const duplicates = sim.state.concurrentDuplicates();
		expect(duplicates).toEqual([
			{
				batchIds: [first, resent],
				overlap: { from: clock.now() - 10_000, to: clock.now() - 10_000 + 20 },
				keys: ['lead/partition 1/email=a@example.com', 'lead/partition 1/email=b@example.com'],
			},
		]);
		const laterEntry = sim.state.jobLedger().find((entry) => entry.batchId === later);
		expect(laterEntry?.startedAt).toBe(sim.state.jobLedger()[0].finishedAt);
	});

	it('tells listeners about each call before its faults are decided', async () => {
		const seen: string[] = [];
		const stop = sim.state.onCall((call) => {
			seen.push(call.route);
			// Scripted from the listener, the fault applies to this very call.
			if (call.route === 'importLeads')
				sim.state.scriptFault({ route: 'importLeads', answer: { kind: 'http', status: 503 } });
		});
		const answer = await upload(
			sim,
			'/bulk/v1/leads.json?format=csv',
			'email\na@example.com\n',
			token,
		);
		expect(answer.status).toBe(503);
		stop();
		await upload(sim, '/bulk/v1/leads.json?format=csv', 'email\na@example.com\n', token);
		expect(seen).toEqual(['importLeads']);
	});
});
