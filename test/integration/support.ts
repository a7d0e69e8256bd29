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
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator';
import { assertRequestsMatchContract } from '../simulator/contract';
import { fixture } from '../simulator/testkit';

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

/**
 * Starts one simulator for the whole test file and closes it after the last test. Calls
 * are cleared before each test so a test only sees its own, and every request a test made
 * must be one Marketo's OpenAPI allows.
 * Returns a getter because the simulator exists only once beforeAll has run.
 */
export function useSimulator(options: SimulatorOptions = {}): () => RunningSimulator {
	let sim: RunningSimulator | undefined;
	const running = () => {
		if (sim === undefined) throw new Error('The simulator is started in beforeAll; use it inside a test');
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
): Promise<RunNodeResult> {
	return await runNode({
		node: bulkImportNode,
		parameters,
		input,
		credentials: { marketoApi: simulatorCredentials(sim) },
		continueOnFail,
	});
}

/** Bulk Import's output items (one per submitted batch), ready to feed Wait for Batch. */
export async function bulkImportOutput(
	sim: RunningSimulator,
	parameters: INodeParameters,
	input: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	return (await runBulkImport(sim, parameters, input)).outputs[0];
}

export function descriptorsOf(result: RunNodeResult): BatchDescriptor[] {
	return result.outputs[0].map((item) => item.json as unknown as BatchDescriptor);
}

export interface WaitRun extends RunNodeResult {
	done: IDataObject[];
	failedRows: IDataObject[];
	warningRows: IDataObject[];
}

export async function waitForBatches(
	sim: RunningSimulator,
	input: INodeExecutionData[],
	parameters: INodeParameters = {},
	extra: { continueOnFail?: boolean; abortSignal?: AbortSignal } = {},
): Promise<WaitRun> {
	const result = await runNode({
		node: waitNode,
		parameters,
		input,
		credentials: { marketoApi: simulatorCredentials(sim) },
		...extra,
	});
	const [done, failedRows, warningRows] = result.outputs.map((items) => items.map((item) => item.json));
	return { ...result, done, failedRows, warningRows };
}

/** Until every job the simulator knows has finished (Bulk Import itself does not wait). */
export async function waitForQueueToDrain(sim: RunningSimulator, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (sim.state.queue.some((job) => job.status === 'Queued' || job.status === 'Importing')) {
		if (Date.now() > deadline) throw new Error('The simulator queue did not drain in time');
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

export function uploadCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => call.method === 'POST' && call.path.startsWith('/bulk/'));
}

export function statusCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => /\/(batch\/\d+\.json|status\.json)$/.test(call.path));
}

export function fileCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => /\/(failures|warnings)\.json$/.test(call.path));
}

/** The error a run rejects with; fails the test if the run succeeds. */
export async function failureOf(run: Promise<unknown>): Promise<{ message: string; description: string }> {
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
