/**
 * Bulk Extract against what Marketo does to a client beside the happy path: 1029 "Job already
 * queued" or 1003 "cannot be queued" to an enqueue whose first answer was lost, a file past
 * Marketo's seven days of retention, and a second API user of the same instance, whose jobs
 * ours can neither see nor cancel (and whose quota use our reading cannot count).
 */
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { MarketoBulkExtract } from '../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { readBinary, runNode, simulatorCredentials } from '../harness';
import type { RunningSimulator } from '../simulator';
import { RANGE_END, RANGE_START, leadsCreated } from './extractParameters';
import { failureOf, useFakeClock, useSimulator } from './support';

const node = new MarketoBulkExtract();
const DAY = 24 * 60 * 60 * 1000;
const SECOND_USER = {
	clientId: 'second-api-user',
	clientSecret: 'second-api-user-secret-0123456789',
};

const clock = useFakeClock(Date.UTC(2026, 6, 1, 15, 0, 0));
const simulator = useSimulator({
	clock,
	extract: { statusRefreshMs: 1_000, recordsPerSecond: 500 },
	apiUsers: [SECOND_USER],
});

const ONE_WINDOW = { rangeEnd: new Date(RANGE_START + 20 * DAY).toISOString() };

async function extract(
	parameters: INodeParameters,
	extra: {
		input?: INodeExecutionData[];
		abortSignal?: AbortSignal;
		user?: { clientId: string; clientSecret: string };
	} = {},
) {
	const sim = simulator();
	return await runNode({
		node,
		parameters,
		input: extra.input ?? [{ json: {} }],
		credentials: { marketoApi: { ...simulatorCredentials(sim), ...(extra.user ?? {}) } },
		...(extra.abortSignal ? { abortSignal: extra.abortSignal } : {}),
	});
}

function jobsOf(sim: RunningSimulator, owner: string) {
	return sim.state.extractJobs.filter((job) => job.owner === owner);
}

const isActive = (job: { status: string }) =>
	job.status === 'Queued' || job.status === 'Processing';

beforeAll(() => {
	simulator().state.addGeneratedLeads(300, RANGE_START, RANGE_END);
});

describe('1029 "Job already queued"', () => {
	it('to an enqueue sent again after its answer was lost: read as queued, the extract goes on', async () => {
		const sim = simulator();
		const before = jobsOf(sim, sim.clientId).length;
		// Other integrations' jobs hold both lanes, so ours is still Queued when the enqueue is sent
		// again; the enqueue goes through in Marketo, its answer does not reach the node.
		sim.state.addForeignExtractJobs(2, { records: 20_000, fileSize: 1_000 });
		sim.state.scriptFault({
			route: 'enqueueLeadExport',
			answer: { kind: 'gateway502' },
			when: 'after',
		});
		const result = await extract(leadsCreated(ONE_WINDOW));
		const enqueues = sim.state.callsTo('enqueueLeadExport');
		expect(enqueues.map((call) => call.marketoCode ?? call.httpStatus)).toEqual([502, '1029']);
		const mine = jobsOf(sim, sim.clientId).slice(before);
		expect(mine).toHaveLength(1);
		const bytes = await readBinary(result.outputs[0][0].binary!.data);
		expect(bytes.equals(sim.state.extractFile(mine[0].exportId))).toBe(true);
	});
});

describe('1003 to an enqueue sent again after its answer was lost', () => {
	it('a job already Completed by then: its status is read, the extract goes on with every record', async () => {
		const sim = simulator();
		const before = jobsOf(sim, sim.clientId).length;
		// An idle queue and a tiny job: by the time the lost enqueue is sent again the job has
		// completed, and Marketo refuses to queue it again.
		sim.state.scriptFault({
			route: 'enqueueLeadExport',
			answer: { kind: 'gateway502' },
			when: 'after',
		});
		const result = await extract(leadsCreated(ONE_WINDOW));
		const enqueues = sim.state.callsTo('enqueueLeadExport');
		expect(enqueues.map((call) => call.marketoCode ?? call.httpStatus)).toEqual([502, '1003']);
		// The status is read right after the refusal. It shows the job as Marketo last refreshed it
		// (Queued, within the minute), so the job is followed as queued and the next read finds it
		// Completed.
		const calls = sim.state.calls.map((call) => call.route);
		expect(calls[calls.lastIndexOf('enqueueLeadExport') + 1]).toBe('leadExportStatus');
		expect(sim.state.callsTo('leadExportStatus')).toHaveLength(2);
		const mine = jobsOf(sim, sim.clientId).slice(before);
		expect(mine.map((job) => job.status)).toEqual(['Completed']);
		const bytes = await readBinary(result.outputs[0][0].binary!.data);
		expect(bytes.equals(sim.state.extractFile(mine[0].exportId))).toBe(true);
		const records = mine[0].numberOfRecords;
		expect(records).toBeGreaterThan(50);
		expect(result.outputs[0][0].json).toMatchObject({ records });
		expect(
			bytes
				.toString('utf8')
				.split('\n')
				.filter((line) => line !== ''),
		).toHaveLength(Number(records) + 1);
	});

	it.each(['untilDone', 'checkOnce'])(
		'a job the status read already shows Completed (%s): handed over at once, not created again',
		async (wait) => {
			const sim = simulator();
			const before = jobsOf(sim, sim.clientId).length;
			// Marketo's status refresh passes between the refusal and the status read.
			let enqueues = 0;
			const refreshAfterResend = sim.state.onCall((call) => {
				if (call.route === 'enqueueLeadExport' && ++enqueues === 2) clock.advance(1_000);
			});
			sim.state.scriptFault({
				route: 'enqueueLeadExport',
				answer: { kind: 'gateway502' },
				when: 'after',
			});
			const result = await extract(leadsCreated({ ...ONE_WINDOW, wait }));
			refreshAfterResend();
			expect(sim.state.callsTo('leadExportStatus')).toHaveLength(1);
			const mine = jobsOf(sim, sim.clientId).slice(before);
			expect(mine.map((job) => job.status)).toEqual(['Completed']);
			const item = result.outputs[0][0];
			expect(item.json).toMatchObject({ records: mine[0].numberOfRecords });
			expect(item.json.stillRunning).toBeUndefined();
			const bytes = await readBinary(item.binary!.data);
			expect(bytes.equals(sim.state.extractFile(mine[0].exportId))).toBe(true);
		},
	);

	it('a job that Failed by then: the extract stops, the error saying the status it read', async () => {
		const sim = simulator();
		sim.state.failNextExtract('Export failed: internal error');
		sim.state.scriptFault({
			route: 'enqueueLeadExport',
			answer: { kind: 'gateway502' },
			when: 'after',
		});
		// Marketo's status refresh passes between the refusal and the status read, so the read
		// shows the job as it is: Failed.
		let enqueues = 0;
		const refreshAfterResend = sim.state.onCall((call) => {
			if (call.route === 'enqueueLeadExport' && ++enqueues === 2) clock.advance(1_000);
		});
		const error = await failureOf(extract(leadsCreated(ONE_WINDOW)));
		refreshAfterResend();
		expect(error.message).toMatch(
			/1003: Export job '.*' cannot be queued: its status is Failed \(its status, read after the refusal: Failed\)/,
		);
		expect(sim.state.callsTo('leadExportStatus').map((call) => call.httpStatus)).toEqual([200]);
	});
});

describe('retention', () => {
	it('a file Marketo no longer keeps gives an error that says so, not a raw 404', async () => {
		const sim = simulator();
		// A Check Once loop left for eight days: the job completed long ago, its file is gone.
		const parameters = leadsCreated({
			...ONE_WINDOW,
			wait: 'checkOnce',
			options: { timeLimitMinutes: 30 * 24 * 60 },
		});
		const first = await extract(parameters);
		expect(first.outputs[0][0].json.stillRunning).toBe(true);
		clock.advance(8 * DAY);
		const error = await failureOf(
			extract(parameters, { input: [{ json: first.outputs[0][0].json }] }),
		);
		expect(error.message).toMatch(
			/no longer has the file of export .* keeps files 7 days after the job completed/,
		);
		expect(error.description).toMatch(/Run the extract again/);
		expect(sim.state.callsTo('leadExportFile').map((call) => call.httpStatus)).toEqual([404]);
	});
});

describe('a second API user of the same instance', () => {
	it('cannot have its jobs seen, counted or cancelled by ours; its own loop goes on', async () => {
		const sim = simulator();
		// The other user's extract completes first: its file counts toward Marketo's quota ...
		await extract(leadsCreated(ONE_WINDOW), { user: SECOND_USER });
		expect(jobsOf(sim, SECOND_USER.clientId)).toHaveLength(1);
		const usedByOthers = sim.state.extractQuotaUsed;
		expect(usedByOthers).toBeGreaterThan(0);
		// ... but not toward what our job lists show.
		const ours = await extract(leadsCreated(ONE_WINDOW));
		expect(ours.outputs[0][0].json.quota).toMatchObject({ usedBeforeMb: 0 });

		// Long foreign jobs hold both lanes; the other user starts a Check Once loop, then ours is stopped.
		sim.state.addForeignExtractJobs(2, { records: 1_000_000, fileSize: 1_000 });
		const theirs = await extract(leadsCreated({ wait: 'checkOnce' }), { user: SECOND_USER });
		const theirIds = jobsOf(sim, SECOND_USER.clientId)
			.filter(isActive)
			.map((job) => job.exportId);
		expect(theirIds).toHaveLength(2);
		const controller = new AbortController();
		const stopAtFirstStatus = sim.state.onCall((call) => {
			if (call.route === 'leadExportStatus') controller.abort();
		});
		await expect(extract(leadsCreated(), { abortSignal: controller.signal })).rejects.toThrow(
			/stopped/,
		);
		stopAtFirstStatus();
		const cancels = sim.state.calls.filter((call) => call.path.endsWith('/cancel.json'));
		expect(cancels.length).toBeGreaterThan(0);
		expect(cancels.filter((call) => theirIds.some((id) => call.path.includes(id)))).toEqual([]);
		expect(jobsOf(sim, sim.clientId).filter(isActive)).toEqual([]);
		expect(
			sim.state.extractJobs
				.filter((job) => theirIds.includes(job.exportId))
				.map((job) => job.status),
		).toEqual(['Queued', 'Queued']);

		// Their loop finishes with every record.
		let item = theirs.outputs[0][0];
		for (let runs = 0; item.json.stillRunning === true && runs < 100; runs++) {
			clock.advance(Number(item.json.checkAgainInSeconds) * 1000);
			item = (
				await extract(leadsCreated({ wait: 'checkOnce' }), {
					user: SECOND_USER,
					input: [{ json: item.json }],
				})
			).outputs[0][0];
		}
		expect(item.json).toMatchObject({ records: 300 });
		const rows = (await readBinary(item.binary!.data))
			.toString('utf8')
			.split('\n')
			.filter((line) => line !== '');
		expect(rows).toHaveLength(301);
	});
});
