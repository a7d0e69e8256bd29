/**
 * Set-up shared by the Marketo Wait for Batch integration tests: the realistic chain
 * (Marketo Bulk Import's output fed to Wait for Batch) through the in-process harness
 * against the simulator over real HTTP.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { MarketoBulkImport } from '../../nodes/MarketoBulkImport/MarketoBulkImport.node';
import { MarketoWaitForBatch } from '../../nodes/MarketoWaitForBatch/MarketoWaitForBatch.node';
import { createBinary, runNode, simulatorCredentials, type RunNodeResult } from '../harness';
import type { RunningSimulator } from '../simulator';

export const waitNode = new MarketoWaitForBatch();
const bulkImportNode = new MarketoBulkImport();

export async function fileItem(content: string | Buffer, fileName: string, mimeType = 'text/csv') {
	const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
	return { json: {}, binary: { data: await createBinary(bytes, fileName, mimeType) } };
}

export async function bulkImport(
	sim: RunningSimulator,
	parameters: INodeParameters,
	input: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	const result = await runNode({
		node: bulkImportNode,
		parameters,
		input,
		credentials: { marketoApi: simulatorCredentials(sim) },
	});
	return result.outputs[0];
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

export function statusCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => /\/(batch\/\d+\.json|status\.json)$/.test(call.path));
}

export function fileCalls(sim: RunningSimulator) {
	return sim.state.calls.filter((call) => /\/(failures|warnings)\.json$/.test(call.path));
}

export function marketoOf(row: IDataObject): IDataObject {
	return row._marketo as IDataObject;
}

/** Row values without the node's _marketo key. */
export function columnsOf(row: IDataObject): IDataObject {
	const { _marketo: _ignored, ...columns } = row;
	return columns;
}
