/**
 * Bulk Extract with Wait set to Check Once, looped as a workflow would (Extract -> If
 * stillRunning -> Wait -> Extract): the still-running item carries the extract from run to run,
 * status is read at most once a minute per job, our share of the queue holds across runs, and
 * the last run outputs what Wait Until Done outputs.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { MarketoBulkExtract } from '../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { readBinary, runNode, simulatorCredentials } from '../harness';
import type { RunningSimulator } from '../simulator';
import { RANGE_END, RANGE_START, leadsCreated } from './extractParameters';
import { failureOf, useFakeClock, useSimulator } from './support';

const node = new MarketoBulkExtract();
const DAY = 24 * 60 * 60 * 1000;

const clock = useFakeClock(Date.UTC(2026, 5, 20, 12, 0, 0));
const simulator = useSimulator({
	clock,
	extract: { statusRefreshMs: 1_000, recordsPerSecond: 500 },
});

async function extract(parameters: INodeParameters, input: INodeExecutionData[] = [{ json: {} }]) {
	const sim = simulator();
	return await runNode({
		node,
		parameters,
		input,
		credentials: { marketoApi: simulatorCredentials(sim) },
	});
}

function ourJobs(sim: RunningSimulator) {
	return sim.state.extractJobs.filter((job) => job.owner === sim.clientId);
}

function ourActiveJobs(sim: RunningSimulator) {
	return ourJobs(sim).filter((job) => job.status === 'Queued' || job.status === 'Processing');
}

interface Loop {
	output: INodeExecutionData[];
	runs: number;
	/** our jobs Queued or Processing after each run, at most */
	mostActive: number;
}

/** The Wait-node loop: run, wait what the item says, run again with it, until the output is not still running. */
async function checkOnceLoop(parameters: INodeParameters, maxRuns = 40): Promise<Loop> {
	const sim = simulator();
	let input: INodeExecutionData[] = [{ json: {} }];
	let mostActive = 0;
	for (let runs = 1; runs <= maxRuns; runs++) {
		const { outputs } = await extract({ ...parameters, wait: 'checkOnce' }, input);
		mostActive = Math.max(mostActive, ourActiveJobs(sim).length);
		const [first] = outputs[0];
		if (first.json.stillRunning !== true) return { output: outputs[0], runs, mostActive };
		expect(outputs[0]).toHaveLength(1);
		clock.advance(Number(first.json.checkAgainInSeconds) * 1000);
		input = [{ json: first.json }];
	}
	throw new Error(`Still running after ${maxRuns} runs`);
}

beforeAll(() => {
	simulator().state.addGeneratedLeads(300, RANGE_START, RANGE_END);
});

describe('Check Once in a Wait-node loop', () => {
	it('reaches the same file, byte for byte, as Wait Until Done', async () => {
		const sim = simulator();
		const untilDone = await extract(leadsCreated());
		const expected = await readBinary(untilDone.outputs[0][0].binary!.data);

		const before = new Set(ourJobs(sim).map((job) => job.exportId));
		const loop = await checkOnceLoop(leadsCreated());
		expect(loop.runs).toBeGreaterThan(2);
		const [item] = loop.output;
		const bytes = await readBinary(item.binary!.data);
		expect(bytes.equals(expected)).toBe(true);
		expect(item.json).not.toHaveProperty('stillRunning');
		expect(item.json).not.toHaveProperty('extractState');
		const { jobs: loopJobs, ...loopJson } = item.json;
		const { jobs: doneJobs, ...doneJson } = untilDone.outputs[0][0].json;
		expect(loopJson).toEqual({
			...doneJson,
			quota: { ...(doneJson.quota as IDataObject), ...(loopJson.quota as IDataObject) },
		});
		const mine = ourJobs(sim).filter((job) => !before.has(job.exportId));
		expect(mine).toHaveLength(3);
		expect((loopJobs as IDataObject[]).map((job) => job.exportId)).toEqual(
			mine.map((job) => job.exportId),
		);
		expect((loopJobs as IDataObject[]).map((job) => job.fileChecksum)).toEqual(
			mine.map((job) => job.fileChecksum),
		);
		expect((doneJobs as IDataObject[]).map((job) => job.records)).toEqual(
			(loopJobs as IDataObject[]).map((job) => job.records),
		);
	});

	it('keeps Max File Size from the first run: the last run cuts the file into the same parts as Wait Until Done', async () => {
		const parameters = leadsCreated({ options: { maxFileMb: 0.005 } });
		const untilDone = (await extract(parameters)).outputs[0];
		expect(untilDone.length).toBeGreaterThan(1);

		// Later runs read no parameter but Wait: the option must travel in the item's state.
		const loop = await checkOnceLoop(parameters);
		expect(loop.output.map((item) => [item.json.part, item.json.partCount])).toEqual(
			untilDone.map((item) => [item.json.part, item.json.partCount]),
		);
		for (const [index, item] of loop.output.entries()) {
			const bytes = await readBinary(item.binary!.data);
			expect(bytes.equals(await readBinary(untilDone[index].binary!.data))).toBe(true);
		}
	});

	it('starts the jobs on the first run, reads no status before Marketo updates it, and says when to check', async () => {
		const sim = simulator();
		const first = await extract(leadsCreated({ wait: 'checkOnce' }));
		const [item] = first.outputs[0];
		expect(item.json).toMatchObject({
			stillRunning: true,
			extractType: 'leads',
			jobsCompleted: 0,
			jobsTotal: 3,
			checkAgainInSeconds: 60,
			checkAgainAfter: new Date(clock.now() + 60_000).toISOString(),
		});
		expect((item.json.jobs as IDataObject[]).map((job) => job.status)).toEqual([
			'Queued',
			'Queued',
			'Not created',
		]);
		expect(sim.state.callsTo('createLeadExport')).toHaveLength(2);
		expect(sim.state.callsTo('leadExportStatus')).toHaveLength(0);

		// Fed back 20 s later: no status read (Marketo has nothing new), the same time to check.
		clock.advance(20_000);
		const early = await extract(leadsCreated({ wait: 'checkOnce' }), [{ json: item.json }]);
		expect(sim.state.callsTo('leadExportStatus')).toHaveLength(0);
		expect(sim.state.callsTo('createLeadExport')).toHaveLength(2);
		expect(early.outputs[0][0].json).toMatchObject({
			stillRunning: true,
			checkAgainInSeconds: 40,
			checkAgainAfter: item.json.checkAgainAfter,
		});

		// A minute after the enqueue: one status read per job, and the rest of the loop finishes.
		clock.advance(40_000);
		const next = await extract(leadsCreated({ wait: 'checkOnce' }), [
			{ json: early.outputs[0][0].json },
		]);
		expect(sim.state.callsTo('leadExportStatus')).toHaveLength(2);
		const leftover = next.outputs[0][0];
		if (leftover.json.stillRunning === true) {
			clock.advance(10 * 60_000);
			await checkOnceLoopFrom(leftover);
		}
	});

	it('honours Max Jobs in Queue across runs, one window after another', async () => {
		const sim = simulator();
		const before = new Set(ourJobs(sim).map((job) => job.exportId));
		const loop = await checkOnceLoop(leadsCreated({ options: { maxJobsInQueue: 1 } }));
		expect(loop.mostActive).toBe(1);
		const mine = ourJobs(sim).filter((job) => !before.has(job.exportId));
		expect(mine).toHaveLength(3);
		for (let i = 1; i < mine.length; i++) {
			expect(mine[i].queuedAt!).toBeGreaterThanOrEqual(mine[i - 1].finishedAt!);
		}
		const file = (await readBinary(loop.output[0].binary!.data)).toString('utf8');
		expect(file.split('\n').filter((line) => line !== '')).toHaveLength(301);
	});

	it('outputs One File per Job at the end of the loop, each file as Marketo made it', async () => {
		const sim = simulator();
		const loop = await checkOnceLoop(leadsCreated({ output: 'filePerJob' }));
		expect(loop.output).toHaveLength(3);
		for (const item of loop.output) {
			const [job] = item.json.jobs as IDataObject[];
			const bytes = await readBinary(item.binary!.data);
			expect(bytes.equals(sim.state.extractFile(String(job.exportId))!)).toBe(true);
		}
	});

	it('refuses on the first run, creating nothing, when today’s use is over the limit set', async () => {
		const sim = simulator();
		const error = await failureOf(
			extract(leadsCreated({ wait: 'checkOnce', options: { stopAboveMb: 0.000001 } })),
		);
		expect(error.message).toMatch(/nothing was created/);
		expect(sim.state.callsTo('createLeadExport')).toHaveLength(0);
		expect(sim.state.callsTo('enqueueLeadExport')).toHaveLength(0);
	});

	it('cancels our jobs when a later run finds the Time Limit passed', async () => {
		const sim = simulator();
		// Two long foreign jobs hold both lanes, so ours are still queued when the limit comes.
		sim.state.addForeignExtractJobs(2, { records: 1_000_000, fileSize: 1_000 });
		const parameters = leadsCreated({ wait: 'checkOnce', options: { timeLimitMinutes: 3 } });
		const first = await extract(parameters);
		const started = ourActiveJobs(sim).map((job) => job.exportId);
		expect(started).toHaveLength(2);
		clock.advance(4 * 60_000);
		const error = await failureOf(extract(parameters, [{ json: first.outputs[0][0].json }]));
		expect(error.message).toMatch(/Time Limit/);
		expect(ourActiveJobs(sim)).toEqual([]);
		expect(
			ourJobs(sim)
				.filter((job) => started.includes(job.exportId))
				.map((job) => job.status),
		).toEqual(['Cancelled', 'Cancelled']);
		// the foreign jobs go on; let them end so later tests start with an empty queue
		clock.advance(DAY);
	});

	it('refuses a state fed to another operation, naming the fix', async () => {
		const first = await extract(leadsCreated({ wait: 'checkOnce' }));
		const error = await failureOf(
			extract({ operation: 'extractActivities', wait: 'checkOnce' }, [
				{ json: first.outputs[0][0].json },
			]),
		);
		expect(error.message).toMatch(/continues an extract of leads/);
		const mangled = await failureOf(
			extract(leadsCreated({ wait: 'checkOnce' }), [{ json: { extractState: { version: 9 } } }]),
		);
		expect(mangled.message).toMatch(/not one this node output/);
		clock.advance(DAY);
	});
});

/** Finishes a loop from a still-running item (the rest of a test that stepped by hand). */
async function checkOnceLoopFrom(item: INodeExecutionData): Promise<void> {
	let input = [{ json: item.json }];
	for (let runs = 0; runs < 40; runs++) {
		const { outputs } = await extract(leadsCreated({ wait: 'checkOnce' }), input);
		if (outputs[0][0].json.stillRunning !== true) return;
		clock.advance(Number(outputs[0][0].json.checkAgainInSeconds) * 1000);
		input = [{ json: outputs[0][0].json }];
	}
	throw new Error('Still running after 40 runs');
}
