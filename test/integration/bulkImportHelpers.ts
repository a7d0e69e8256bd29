/**
 * Shared set-up for the Marketo Bulk Import integration tests: run the node
 * through the in-process harness against a simulator, and wait for the
 * simulator's queue to finish what the node submitted.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { MarketoBulkImport } from '../../nodes/MarketoBulkImport/MarketoBulkImport.node';
import type { BatchDescriptor } from '../../nodes/shared/batch';
import { createBinary, runNode, simulatorCredentials, type RunNodeResult } from '../harness';
import type { RunningSimulator } from '../simulator';

export const node = new MarketoBulkImport();

export const LANNISTER_CSV = [
	'firstName,lastName,email,title,company,leadScore',
	'Joanna,Lannister,Joanna@Lannister.com,Lannister,House Lannister,0',
	'Tywin,Lannister,Tywin@Lannister.com,Lannister,House Lannister,0',
	'Cersei,Lannister,Cersei@Lannister.com,Lannister,House Lannister,0',
	'Jamie,Lannister,Jamie@Lannister.com,Lannister,House Lannister,0',
	'Tyrion,Lannister,Tyrion@Lannister.com,Lannister,House Lannister,0',
	'Kevan,Lannister,Kevan@Lannister.com,Lannister,House Lannister,0',
	'Dorna,Lannister,Dorna@Lannister.com,Lannister,House Lannister,0',
	'Lancel,Lannister,Lancel@Lannister.com,Lannister,House Lannister,0',
	'',
].join('\n');

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
		node,
		parameters,
		input,
		credentials: { marketoApi: simulatorCredentials(sim) },
		continueOnFail,
	});
}

export function descriptorsOf(result: RunNodeResult): BatchDescriptor[] {
	return result.outputs[0].map((item) => item.json as unknown as BatchDescriptor);
}

/** Until every job the simulator knows has finished (the node itself does not wait). */
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

/** The error a run rejects with; fails the test if the run succeeds. */
export async function failureOf(run: Promise<unknown>): Promise<{ message: string; description: string }> {
	try {
		await run;
	} catch (error) {
		return error as { message: string; description: string };
	}
	throw new Error('Expected the node to fail, but it succeeded');
}
