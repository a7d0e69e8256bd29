/**
 * What the integration tests share: one simulator per test file, input items carrying a
 * file, Marketo Bulk Import and Marketo Wait for Batch run through the in-process harness
 * (the realistic chain), and small readers of what the simulator saw.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { MarketoBulkImport } from '../../nodes/MarketoBulkImport/MarketoBulkImport.node';
import { MarketoWaitForBatch } from '../../nodes/MarketoWaitForBatch/MarketoWaitForBatch.node';
import type { BatchDescriptor } from '../../nodes/shared/batch';
import { createBinary, runNode, simulatorCredentials, type RunNodeResult } from '../harness';
import { recordingClockFor } from '../harness/retryWaits';
import {
	createFakeClock,
	startSimulator,
	type Clock,
	type FakeClock,
	type RunningSimulator,
	type SimulatorOptions,
} from '../simulator';
import { assertRequestsMatchContract } from '../simulator/contract';
import { fixture } from '../simulator/testkit';
import { configurePacing, pacing, resetPacing } from '../../nodes/shared/pacing';

export { uploadCalls } from '../simulator/testkit';

export const bulkImportNode = new MarketoBulkImport();
export const waitNode = new MarketoWaitForBatch();

/** Adobe's program member example (8 Lannisters), the same file the simulator's own tests use. */
export const LANNISTER_CSV = fixture('Lead-House-Lannister.csv');

/** Bulk Import parameters: program members of the simulator's seeded program 1001, status "On List". */
export const PROGRAM_1001_ON_LIST: INodeParameters = {
	operation: 'importProgramMembers',
	program: { __rl: true, mode: 'id', value: '1001' },
	programMemberStatus: 'On List',
};

/** Bulk Import parameters: program members of the seeded webinar program 1002, each row's status from its column 'status'. */
export const PROGRAM_1002_STATUS_FROM_COLUMN: INodeParameters = {
	operation: 'importProgramMembers',
	program: { __rl: true, mode: 'id', value: '1002' },
	memberStatusSource: 'column',
	memberStatusColumn: 'status',
};

/**
 * Starts one simulator for the whole test file and closes it after the last test. Calls
 * are cleared before each test so a test only sees its own, and every request a test made
 * must be one Marketo's OpenAPI allows.
 * Returns a getter because the simulator exists only once beforeAll has run.
 */
export function useSimulator(options: SimulatorOptions = {}): () => RunningSimulator {
	let sim: RunningSimulator | undefined;
	const running = () => {
		if (sim === undefined)
			throw new Error('The simulator is started in beforeAll; use it inside a test');
		return sim;
	};
	beforeAll(async () => {
		sim = await startSimulator(options);
	});
	afterAll(async () => {
		await sim?.close();
	});
	beforeEach(() => {
		running().state.clearCalls();
	});
	afterEach(() => {
		assertRequestsMatchContract(running().state.calls);
	});
	return running;
}

/**
 * One fake clock for the whole test file: give it to the simulator (`clock` option), and the
 * nodes' waits (the throttle's window, Bulk Import's queue waits, Wait for Batch's polls) sleep
 * on it too. It moves only when one of them waits, so Marketo imports exactly while the nodes
 * wait, the same way on every run, and no test waits in real time.
 */
export function useFakeClock(startMs?: number): FakeClock {
	const clock = createFakeClock(startMs);
	beforeAll(() => {
		configurePacing({ clock });
	});
	afterAll(() => {
		resetPacing();
	});
	return clock;
}

export async function fileItem(
	content: string | Buffer,
	fileName = 'leads.csv',
	mimeType = 'text/csv',
	json: IDataObject = {},
): Promise<INodeExecutionData> {
	const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
	return { json, binary: { data: await createBinary(bytes, fileName, mimeType) } };
}

export async function runBulkImport(
	sim: RunningSimulator,
	parameters: INodeParameters,
	input: INodeExecutionData[],
	continueOnFail = false,
	typeVersion?: number,
): Promise<RunNodeResult> {
	return await runNode({
		node: bulkImportNode,
		parameters,
		input,
		credentials: { marketoApi: simulatorCredentials(sim) },
		continueOnFail,
		typeVersion,
	});
}

/**
 * Bulk Import dates `submittedAt` on the real clock; this gives each batch item the moment
 * the simulator created that batch instead, on the simulator's clock, so that Wait for Batch
 * run on that clock (or a fake one started from it) counts from the same moment on every run.
 */
export function submittedOnSimulatorClock(
	sim: RunningSimulator,
	items: INodeExecutionData[],
): INodeExecutionData[] {
	const createdAt = new Map(sim.state.queue.map((job) => [job.batchId, job.createdAt]));
	return items.map((item) => {
		const at = createdAt.get(item.json.batchId as number);
		return at === undefined
			? item
			: { ...item, json: { ...item.json, submittedAt: new Date(at).toISOString() } };
	});
}

/** Bulk Import's output items (one per submitted batch), dated on the simulator's clock, ready to feed Wait for Batch. */
export async function bulkImportOutput(
	sim: RunningSimulator,
	parameters: INodeParameters,
	input: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	return submittedOnSimulatorClock(sim, (await runBulkImport(sim, parameters, input)).outputs[0]);
}

export function descriptorsOf(result: RunNodeResult): BatchDescriptor[] {
	return result.outputs[0].map((item) => item.json as unknown as BatchDescriptor);
}

export interface WaitRun extends RunNodeResult {
	done: IDataObject[];
	failedRows: IDataObject[];
	warningRows: IDataObject[];
}

/** Runs Wait for Batch; with `clock`, the package reads the time and sleeps on it for this run only. */
export async function waitForBatches(
	sim: RunningSimulator,
	input: INodeExecutionData[],
	parameters: INodeParameters = {},
	extra: { continueOnFail?: boolean; abortSignal?: AbortSignal; clock?: Clock } = {},
): Promise<WaitRun> {
	const { clock, ...options } = extra;
	const previousClock = pacing().clock;
	if (clock) configurePacing({ clock: recordingClockFor(clock) });
	try {
		const result = await runNode({
			node: waitNode,
			parameters,
			input,
			credentials: { marketoApi: simulatorCredentials(sim) },
			...options,
		});
		const [done, failedRows, warningRows] = result.outputs.map((items) =>
			items.map((item) => item.json),
		);
		return { ...result, done, failedRows, warningRows };
	} finally {
		configurePacing({ clock: previousClock });
	}
}

function queueBusy(sim: RunningSimulator): boolean {
	return sim.state.queue.some((job) => job.status === 'Queued' || job.status === 'Importing');
}

/**
 * Moves the simulator's fake clock in `stepMs` steps until every job it knows has finished
 * (Bulk Import itself does not wait); returns how far it moved.
 */
export function drainQueue(
	sim: RunningSimulator,
	clock: FakeClock,
	stepMs = 10,
	maxMs = 600_000,
): number {
	let moved = 0;
	while (queueBusy(sim)) {
		if (moved >= maxMs)
			throw new Error(`The simulator queue did not drain within ${maxMs} ms of its clock`);
		clock.advance(stepMs);
		moved += stepMs;
	}
	return moved;
}

export function statusCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => /\/(batch\/\d+\.json|status\.json)$/.test(call.path));
}

export function fileCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => /\/(failures|warnings)\.json$/.test(call.path));
}

/** The error a run rejects with; fails the test if the run succeeds. */
export async function failureOf(
	run: Promise<unknown>,
): Promise<{ message: string; description: string }> {
	try {
		await run;
	} catch (error) {
		return error as { message: string; description: string };
	}
	throw new Error('Expected the node to fail, but it succeeded');
}

export function marketoOf(row: IDataObject): IDataObject {
	return row._marketo as IDataObject;
}

/** Row values without the node's _marketo and _marketoReason keys. */
export function columnsOf(row: IDataObject): IDataObject {
	const { _marketo: _ignored, _marketoReason: _reason, ...columns } = row;
	return columns;
}
