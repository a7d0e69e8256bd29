/**
 * Marketo Bulk Extract against the simulator, on one fake clock: every file byte-identical to the
 * simulator's, long ranges in windows with our share of the queue kept, the queue and quota
 * waited out or refused, stops that cancel our jobs, and downloads that survive faults.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { MarketoBulkExtract } from '../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { readBinary, runNode, simulatorCredentials } from '../harness';
import type { RunningSimulator } from '../simulator';
import { RANGE_END, RANGE_START, leadsCreated } from './extractParameters';
import { drainQueue, fileItem, runBulkImport, useFakeClock, useSimulator } from './support';

const node = new MarketoBulkExtract();
const DAY = 24 * 60 * 60 * 1000;

const clock = useFakeClock(Date.UTC(2026, 5, 20, 12, 0, 0));
const simulator = useSimulator({
	clock,
	extract: { statusRefreshMs: 1_000, recordsPerSecond: 500 },
});

async function extract(parameters: INodeParameters, extra: { abortSignal?: AbortSignal } = {}) {
	const sim = simulator();
	return await runNode({
		node,
		parameters,
		input: [{ json: {} }],
		credentials: { marketoApi: simulatorCredentials(sim) },
		...extra,
	});
}

function ourJobs(sim: RunningSimulator) {
	return sim.state.extractJobs.filter((job) => job.owner === sim.clientId);
}

/** The rows of every Completed job of ours, in job order, each file's header dropped. */
function expectedRows(sim: RunningSimulator): string[] {
	return ourJobs(sim)
		.filter((job) => job.status === 'Completed')
		.flatMap((job) => sim.state.extractFile(job.exportId)!.toString('utf8').split('\n').slice(1))
		.filter((line) => line !== '');
}

beforeAll(() => {
	const sim = simulator();
	sim.state.addGeneratedLeads(300, RANGE_START, RANGE_END);
});

describe('Extract Leads', () => {
	it('splits a 70-day range into 31-day jobs and outputs one file equal to their files joined', async () => {
		const sim = simulator();
		const startedAt = clock.now();
		const result = await extract(leadsCreated());
		// It returns once the last file is in: three jobs, two lanes, a status read a minute.
		expect(clock.now() - startedAt).toBeLessThan(5 * 60_000);
		const [item] = result.outputs[0];
		const jobs = ourJobs(sim);
		expect(jobs).toHaveLength(3);
		const file = (await readBinary(item.binary!.data)).toString('utf8');
		const [header, ...rows] = file.split('\n').filter((line) => line !== '');
		expect(header).toBe('id,email,createdAt');
		expect(rows).toEqual(expectedRows(sim));
		// Every generated lead once: the windows neither overlap nor leave a gap.
		expect(rows).toHaveLength(300);
		expect(new Set(rows.map((row) => row.split(',')[0])).size).toBe(300);
		expect(item.json).toMatchObject({ extractType: 'leads', records: 300 });
		expect((item.json.jobs as IDataObject[]).map((job) => job.exportId)).toEqual(
			jobs.map((job) => job.exportId),
		);
	});

	it('never holds more of the shared queue than Max Jobs in Queue', async () => {
		const sim = simulator();
		const before = new Set(ourJobs(sim).map((job) => job.exportId));
		await extract(leadsCreated({ options: { maxJobsInQueue: 1 } }));
		const mine = ourJobs(sim).filter((job) => !before.has(job.exportId));
		expect(mine).toHaveLength(3);
		// One at a time: each job was enqueued only after the one before had finished.
		for (let i = 1; i < mine.length; i++) {
			expect(mine[i].queuedAt!).toBeGreaterThanOrEqual(mine[i - 1].finishedAt!);
		}
	});

	it('outputs one item per job with One File per Job, each file as Marketo made it', async () => {
		const sim = simulator();
		const result = await extract(leadsCreated({ output: 'filePerJob' }));
		expect(result.outputs[0]).toHaveLength(3);
		for (const item of result.outputs[0]) {
			const [job] = item.json.jobs as IDataObject[];
			const bytes = await readBinary(item.binary!.data);
			expect(bytes.equals(sim.state.extractFile(String(job.exportId))!)).toBe(true);
			expect(job.fileChecksum).toBe(
				sim.state.extractJobs.find((j) => j.exportId === job.exportId)!.fileChecksum,
			);
		}
	});

	// Which bytes reach the node before a dropped connection is up to the sockets, so the Range it
	// resumes from is asserted in test/unit/extract/exportFile.test.ts; here, the file is intact.
	it('recovers from a dropped download and outputs the file intact', async () => {
		const sim = simulator();
		sim.state.scriptFault({
			route: 'leadExportFile',
			answer: { kind: 'truncate', afterBytes: 100 },
		});
		const result = await extract(
			leadsCreated({ rangeEnd: new Date(RANGE_START + 20 * DAY).toISOString() }),
		);
		const [job] = ourJobs(sim).slice(-1);
		const bytes = await readBinary(result.outputs[0][0].binary!.data);
		expect(bytes.equals(sim.state.extractFile(job.exportId)!)).toBe(true);
		const downloads = sim.state.callsTo('leadExportFile');
		expect(downloads.length).toBeGreaterThanOrEqual(2);
		expect(downloads[0].fault).toBe('scripted:truncate');
	});

	it('downloads a corrupted file once more, and refuses it when it comes corrupted twice', async () => {
		const sim = simulator();
		const oneWindow = { rangeEnd: new Date(RANGE_START + 20 * DAY).toISOString() };
		sim.state.scriptFault({ route: 'leadExportFile', answer: { kind: 'corrupt' } });
		const result = await extract(leadsCreated(oneWindow));
		const [job] = ourJobs(sim).slice(-1);
		expect(
			(await readBinary(result.outputs[0][0].binary!.data)).equals(
				sim.state.extractFile(job.exportId)!,
			),
		).toBe(true);

		sim.state.scriptFault({ route: 'leadExportFile', times: 2, answer: { kind: 'corrupt' } });
		await expect(extract(leadsCreated(oneWindow))).rejects.toThrow(/checksum/);
	});
});

describe('Records as Items', () => {
	it("outputs an activity extract's records as items, with attributes as objects", async () => {
		const sim = simulator();
		const csv = 'email,firstName\nitems1@example.com,Ann\nitems2@example.com,Bob\n';
		await runBulkImport(sim, { operation: 'importLeads' }, [await fileItem(csv, 'new.csv')]);
		drainQueue(sim, clock);
		const now = clock.now();
		const result = await extract({
			operation: 'extractActivities',
			rangeStart: new Date(now - DAY).toISOString(),
			rangeEnd: new Date(now + 60_000).toISOString(),
			output: 'items',
		});
		const [job] = ourJobs(sim).slice(-1);
		const lines = sim.state
			.extractFile(job.exportId)!
			.toString('utf8')
			.split('\n')
			.filter((l) => l !== '');
		const items = result.outputs[0].map((item) => item.json);
		expect(items).toHaveLength(lines.length - 1);
		expect(items.length).toBeGreaterThanOrEqual(2);
		expect(items.every((item) => item.binary === undefined)).toBe(true);
		for (const item of items) {
			expect(typeof item.marketoGUID).toBe('string');
			if (item.attributes !== null) expect(typeof item.attributes).toBe('object');
		}
		expect(items.filter((item) => String(item.activityTypeId) === '12')).toHaveLength(2);
		expect(
			items.some((item) => item.attributes !== null && typeof item.attributes === 'object'),
		).toBe(true);
	});
});

describe('the queue and the quota', () => {
	it('waits while other integrations fill the queue, then extracts', async () => {
		const sim = simulator();
		sim.state.addForeignExtractJobs(10, { records: 2_000 });
		const result = await extract(
			leadsCreated({ rangeEnd: new Date(RANGE_START + 20 * DAY).toISOString() }),
		);
		expect(result.outputs[0]).toHaveLength(1);
		const enqueues = sim.state.callsTo('enqueueLeadExport');
		expect(enqueues.some((call) => call.marketoCode === '1029')).toBe(true);
		expect(enqueues.at(-1)!.marketoCode).toBeUndefined();
	});

	it('refuses to start, creating nothing, when today’s use is over the limit set', async () => {
		const sim = simulator();
		const created = sim.state.callsTo('createLeadExport').length;
		await expect(extract(leadsCreated({ options: { stopAboveMb: 0.000001 } }))).rejects.toThrow(
			/nothing was created/,
		);
		expect(sim.state.callsTo('createLeadExport')).toHaveLength(created);
	});

	it('stops on 1029 "Export daily quota exceeded" saying when it resets, and cancels what it started', async () => {
		const sim = simulator();
		// Foreign jobs fill the rest of the day's quota while ours wait in line.
		const left = 500_000_000 - sim.state.extractQuotaUsed;
		sim.state.addForeignExtractJobs(1, { records: 1, fileSize: left });
		const error = await extract(leadsCreated()).then(
			() => null,
			(thrown: unknown) => thrown as Error & { description?: string },
		);
		expect(error?.message).toMatch(/quota.*resets at midnight US Central Time/);
		expect(
			ourJobs(sim).filter((job) => job.status === 'Queued' || job.status === 'Processing'),
		).toEqual([]);
		// The next tests run on a new quota day.
		clock.advance(DAY);
	});
});

describe('stopping', () => {
	it('cancels our unfinished jobs when the execution is stopped', async () => {
		const sim = simulator();
		// Two long foreign jobs hold both lanes, so ours are still waiting when the stop comes.
		sim.state.addForeignExtractJobs(2, { records: 1_000_000, fileSize: 1_000 });
		const before = new Set(ourJobs(sim).map((job) => job.exportId));
		const controller = new AbortController();
		sim.state.onCall((call) => {
			if (call.route === 'leadExportStatus') controller.abort();
		});
		await expect(extract(leadsCreated(), { abortSignal: controller.signal })).rejects.toThrow(
			/stopped/,
		);
		expect(
			ourJobs(sim).filter((job) => job.status === 'Queued' || job.status === 'Processing'),
		).toEqual([]);
		const stopped = ourJobs(sim).filter((job) => !before.has(job.exportId));
		expect(stopped.length).toBeGreaterThan(0);
		expect(stopped.map((job) => job.status)).toEqual(stopped.map(() => 'Cancelled'));
	});
});

describe('Max File Size: files the binary data store takes', () => {
	const MIB = 1024 * 1024;

	/** Runs an extract; the rows of the jobs it completed, in job order, each file's header dropped. */
	async function extractWithRows(parameters: INodeParameters) {
		const sim = simulator();
		const before = new Set(ourJobs(sim).map((job) => job.exportId));
		const result = await extract(parameters);
		const jobs = ourJobs(sim).filter((job) => !before.has(job.exportId));
		const rows = jobs.flatMap((job) =>
			sim.state
				.extractFile(job.exportId)!
				.toString('utf8')
				.split('\n')
				.slice(1)
				.filter((line) => line !== ''),
		);
		return { items: result.outputs[0], jobs, rows };
	}

	/** The parts' rows, each part's header checked and dropped, and each part's size checked. */
	async function partRows(items: INodeExecutionData[], maxBytes: number): Promise<string[]> {
		const rows: string[] = [];
		for (const [index, item] of items.entries()) {
			const bytes = await readBinary(item.binary!.data);
			expect(bytes.length).toBeLessThanOrEqual(maxBytes);
			const [header, ...lines] = bytes
				.toString('utf8')
				.split('\n')
				.filter((line) => line !== '');
			expect(header).toBe('id,email,createdAt');
			expect(item.json).toMatchObject({
				part: index + 1,
				partCount: items.length,
				records: lines.length,
				bytes: bytes.length,
			});
			rows.push(...lines);
		}
		return rows;
	}

	it('cuts the joined file between rows, header in each part, the rows equal to the jobs’ files', async () => {
		const maxFileMb = 0.005;
		const {
			items,
			jobs,
			rows: expected,
		} = await extractWithRows(leadsCreated({ options: { maxFileMb } }));
		expect(jobs).toHaveLength(3);
		expect(items.length).toBeGreaterThanOrEqual(2);
		const rows = await partRows(items, maxFileMb * MIB);
		expect(rows).toEqual(expected);
		expect(rows).toHaveLength(300);
		expect(items.map((item) => [item.binary!.data.fileName, item.json.fileName])).toEqual(
			items.map((_, index) => [
				`marketo-leads-part-0${index + 1}.csv`,
				`marketo-leads-part-0${index + 1}.csv`,
			]),
		);
	});

	it('cuts each job’s file as it downloads, still checked against Marketo’s whole-file checksum', async () => {
		const sim = simulator();
		const maxFileMb = 0.002;
		const oneWindow = { rangeEnd: new Date(RANGE_START + 20 * DAY).toISOString() };
		// The first download comes corrupted: found at its end, after parts were stored; downloaded again.
		sim.state.scriptFault({ route: 'leadExportFile', answer: { kind: 'corrupt' } });
		const result = await extract(leadsCreated({ ...oneWindow, options: { maxFileMb } }));
		const [job] = ourJobs(sim).slice(-1);
		const items = result.outputs[0];
		expect(items.length).toBeGreaterThanOrEqual(2);
		expect(sim.state.callsTo('leadExportFile').slice(-2)[0].fault).toBe('scripted:corrupt');
		const file = sim.state.extractFile(job.exportId)!;
		const rows = await partRows(items, maxFileMb * MIB);
		expect(rows).toEqual(
			file
				.toString('utf8')
				.split('\n')
				.slice(1)
				.filter((line) => line !== ''),
		);
		for (const item of items) {
			expect((item.json.jobs as IDataObject[])[0]).toMatchObject({
				exportId: job.exportId,
				bytes: file.length,
				fileChecksum: job.fileChecksum,
			});
		}

		sim.state.scriptFault({ route: 'leadExportFile', times: 2, answer: { kind: 'corrupt' } });
		await expect(extract(leadsCreated({ ...oneWindow, options: { maxFileMb } }))).rejects.toThrow(
			/checksum/,
		);
	});

	it('reads every part back as records with Records as Items', async () => {
		const { items, rows } = await extractWithRows(
			leadsCreated({ output: 'items', options: { maxFileMb: 0.002 } }),
		);
		expect(rows).toHaveLength(300);
		expect(items.map((item) => String(item.json.id))).toEqual(rows.map((row) => row.split(',')[0]));
	});
});
