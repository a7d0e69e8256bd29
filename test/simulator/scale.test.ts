/**
 * The simulator at bulk scale: indexed lead lookups, the fast upload parser, sliced
 * processing of a big backlog, and a 200,000-row import end to end over HTTP.
 */
import fc from 'fast-check';
import { createCore } from './core';
import { InstanceDatabase } from './database';
import { parseDelimited } from './delimited';
import { createFakeClock, startSimulator } from './index';
import { buildInstanceSchema } from './schema';
import { apiGet, firstResult, getToken, upload } from './testkit';

/**
 * The straightforward character-at-a-time reader the fast parser replaced: the oracle for
 * the equivalence property below.
 */
function referenceParse(text: string, delimiter: string): string[][] {
	const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
	const rows: string[][] = [];
	let row: string[] = [];
	let field = '';
	let inQuotes = false;
	let started = false;
	for (let i = 0; i < source.length; i++) {
		const ch = source[i];
		if (inQuotes) {
			if (ch !== '"') field += ch;
			else if (source[i + 1] === '"') {
				field += '"';
				i++;
			} else inQuotes = false;
		} else if (ch === '"' && !started) {
			inQuotes = true;
			started = true;
		} else if (ch === delimiter) {
			row.push(field);
			field = '';
			started = false;
		} else if (ch === '\r' || ch === '\n') {
			// An empty line is a row without fields; anything else (even `""`) has one.
			if (row.length > 0 || started) row.push(field);
			rows.push(row);
			row = [];
			field = '';
			started = false;
			if (ch === '\r' && source[i + 1] === '\n') i++;
		} else {
			field += ch;
			started = true;
		}
	}
	if (field !== '' || started || row.length > 0) {
		row.push(field);
		rows.push(row);
	}
	return rows;
}

describe('parseDelimited (slice-based)', () => {
	it('reads exactly what a character-at-a-time reader reads, for any input (seeded)', () => {
		const text = fc.string({
			unit: fc.constantFrom('a', 'b', ',', ';', '\t', '"', '\n', '\r', ' ', 'é', '\uFEFF'),
		});
		for (const delimiter of [',', '\t', ';']) {
			fc.assert(
				fc.property(text, (input) => {
					expect(parseDelimited(input, delimiter)).toEqual(referenceParse(input, delimiter));
				}),
				{ seed: 9, numRuns: 3000 },
			);
		}
	});

	it('keeps the edge cases: text after a closing quote, an unterminated quote, a final delimiter', () => {
		expect(parseDelimited('"ab"cd,e\n', ',')).toEqual([['abcd', 'e']]);
		expect(parseDelimited('a,"b\n""c', ',')).toEqual([['a', 'b\n"c']]);
		expect(parseDelimited('a,\r\nb,', ',')).toEqual([
			['a', ''],
			['b', ''],
		]);
		expect(parseDelimited('', ',')).toEqual([]);
	});
});

describe('InstanceDatabase lookups (indexed)', () => {
	const newDb = () => new InstanceDatabase(buildInstanceSchema().leadFields);

	it('finds email in any letter case, other fields exactly', () => {
		const db = newDb();
		const lead = db.createLead({ email: 'Ann@Example.com', firstName: 'Ann' }, 1, 10);
		expect(db.findLead('email', 'ann@example.COM', 1)).toBe(lead);
		expect(db.findLead('firstName', 'Ann', 1)).toBe(lead);
		expect(db.findLead('firstName', 'ann', 1)).toBeUndefined();
		expect(db.findLead('id', String(lead.id))).toBe(lead);
	});

	it('lets the most recently updated duplicate win, the later created one on a tie, per partition', () => {
		const db = newDb();
		const older = db.createLead({ email: 'dup@example.com' }, 1, 10);
		const newer = db.createLead({ email: 'dup@example.com' }, 1, 20);
		const otherPartition = db.createLead({ email: 'dup@example.com' }, 2, 30);
		expect(db.findLead('email', 'dup@example.com', 1)).toBe(newer);
		db.updateLead(older, { firstName: 'X' }, 40);
		expect(db.findLead('email', 'dup@example.com', 1)).toBe(older);
		db.updateLead(newer, { firstName: 'Y' }, 40);
		expect(db.findLead('email', 'dup@example.com', 1)).toBe(newer);
		expect(db.findLead('email', 'dup@example.com', 2)).toBe(otherPartition);
		// Without a partition every lead counts: the latest update (40) beats the other partition's (30).
		expect(db.findLead('email', 'dup@example.com')).toBe(newer);
	});

	it('keeps a built index current when leads are created or their lookup value changes', () => {
		const db = newDb();
		const lead = db.createLead({ email: 'old@example.com' }, 1, 10);
		expect(db.findLead('email', 'old@example.com', 1)).toBe(lead); // builds the email index
		db.updateLead(lead, { email: 'New@example.com' }, 20);
		expect(db.findLead('email', 'old@example.com', 1)).toBeUndefined();
		expect(db.findLead('email', 'new@example.com', 1)).toBe(lead);
		const later = db.createLead({ email: 'later@example.com' }, 1, 30);
		expect(db.findLead('email', 'LATER@example.com', 1)).toBe(later);
		// An index built after the leads exist sees them all.
		expect(db.findLead('company', 'Acme', 1)).toBeUndefined();
		db.updateLead(later, { company: 'Acme' }, 40);
		expect(db.findLead('company', 'Acme', 1)).toBe(later);
	});

	it('answers list membership directly and lists members in lead order', () => {
		const db = newDb();
		const a = db.createLead({ email: 'a@example.com' }, 1, 1);
		const b = db.createLead({ email: 'b@example.com' }, 1, 1);
		db.addToList(7, b.id);
		db.addToList(7, a.id);
		expect(db.isListMember(7, a.id)).toBe(true);
		expect(db.isListMember(8, a.id)).toBe(false);
		expect(db.listMembers(7).map((lead) => lead.id)).toEqual([a.id, b.id]);
	});
});

function leadsCsv(count: number, prefix: string): string {
	const lines = ['email,firstName,company'];
	for (let i = 0; i < count; i++) lines.push(`${prefix}${i}@example.com,N${i},C${i % 97}`);
	return lines.join('\n') + '\n';
}

describe('processing a backlog in slices', () => {
	const enqueue = (core: ReturnType<typeof createCore>, rows: number) => {
		const all = parseDelimited(leadsCsv(rows, 'u'), ',');
		return core.queue.enqueue(
			{ kind: 'leads', format: 'csv', header: all[0], rows: all.slice(1), lookupField: 'email' },
			0,
		);
	};

	it('yields between slices and ends in the same state as one synchronous advance', async () => {
		const sliced = createCore({ clock: createFakeClock(), rowsPerSecond: 1000 });
		const direct = createCore({ clock: createFakeClock(), rowsPerSecond: 1000 });
		const slicedJob = enqueue(sliced, 5000);
		const directJob = enqueue(direct, 5000);

		// A zero-length slice stops after the first batch of rows and hands back control.
		const pending = sliced.queue.catchUp(10_000, 0);
		expect(slicedJob.rowsProcessed).toBe(1000);
		expect(slicedJob.status).toBe('Importing');
		await pending;
		direct.queue.advanceTo(10_000);

		expect(slicedJob.status).toBe('Complete');
		expect({ ...slicedJob, rows: [] }).toEqual({ ...directJob, rows: [] });
		expect(sliced.db.leads).toEqual(direct.db.leads);
	});

	it('applies each row once, however many status calls come in', () => {
		const core = createCore({ clock: createFakeClock(), rowsPerSecond: 1000 });
		const job = enqueue(core, 3000);
		for (let t = 0; t < 3000; t += 7) core.queue.advanceTo(t);
		expect(job.rowsProcessed).toBe(2996);
		core.queue.advanceTo(3000);
		expect(job.status).toBe('Complete');
		expect(job.numImported).toBe(3000);
		expect(core.db.leads).toHaveLength(3000);
	});
});

describe('processing on the real clock', () => {
	it('goes on between requests, so the first status call after a quiet spell finds nothing left to replay', async () => {
		const sim = await startSimulator({ rowsPerSecond: 2000, tokenLifetimeSeconds: 30 * 24 * 3600 });
		try {
			const token = await getToken(sim);
			const batchId = firstResult(
				await upload(sim, '/bulk/v1/leads.json?format=csv', leadsCsv(200, 'q'), token),
			).batchId as number;
			const callsBefore = sim.state.calls.length;
			// Waits for the event (0.1 s of processing), giving up after 1,000 looks; no request comes in meanwhile.
			const replayed = () => sim.state.replayedQueue.find((job) => job.batchId === batchId);
			for (let look = 0; look < 1000 && replayed()?.status !== 'Complete'; look++) {
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			expect(replayed()?.status).toBe('Complete');
			expect(sim.state.calls).toHaveLength(callsBefore);
			expect(sim.state.replayedQueue.find((job) => job.batchId === batchId)).toMatchObject({
				rowsProcessed: 200,
			});
		} finally {
			await sim.close();
		}
	}, 60_000);
});

describe('a 200,000-row import over HTTP', () => {
	const clock = createFakeClock();

	it('stores every row as a lead and updates them on a second pass', async () => {
		const sim = await startSimulator({
			clock,
			rowsPerSecond: 100_000,
			tokenLifetimeSeconds: 30 * 24 * 3600,
		});
		try {
			const token = await getToken(sim);
			const create = async (csv: string) =>
				firstResult(await upload(sim, '/bulk/v1/leads.json?format=csv', csv, token))
					.batchId as number;
			const status = async (batchId: number) =>
				firstResult(await apiGet(sim, `/bulk/v1/leads/batch/${batchId}.json`, token));

			const first = await create(leadsCsv(100_000, 'a'));
			const second = await create(leadsCsv(100_000, 'b'));
			clock.advance(1000);
			expect(await status(first)).toMatchObject({
				status: 'Complete',
				numOfLeadsProcessed: 100_000,
			});
			expect(await status(second)).toMatchObject({
				status: 'Complete',
				numOfLeadsProcessed: 100_000,
			});
			expect(sim.state.leads).toHaveLength(200_000);
			expect(sim.state.findLead('email', 'B99999@example.com')?.fields.firstName).toBe('N99999');

			// The same emails again update instead of creating.
			const again = await create(leadsCsv(100_000, 'a').replace(/,N(\d+),/g, ',M$1,'));
			clock.advance(1000);
			expect(await status(again)).toMatchObject({
				status: 'Complete',
				numOfLeadsProcessed: 100_000,
			});
			expect(sim.state.leads).toHaveLength(200_000);
			expect(sim.state.findLead('email', 'a12345@example.com')?.fields.firstName).toBe('M12345');
		} finally {
			await sim.close();
		}
	}, 20_000);
});
