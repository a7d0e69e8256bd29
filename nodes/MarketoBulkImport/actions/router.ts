import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import * as importCustomObjects from './importCustomObjects.operation';
import * as importLeads from './importLeads.operation';
import * as importProgramMembers from './importProgramMembers.operation';

export type Operation = 'importLeads' | 'importProgramMembers' | 'importCustomObjects';

const OPERATIONS: Record<Operation, { execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[]> }> = {
	importLeads,
	importProgramMembers,
	importCustomObjects,
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as Operation;
	const handler = OPERATIONS[operation];
	if (!handler) {
		throw new NodeOperationError(this.getNode(), `The operation '${String(operation)}' is not supported`);
	}
	return [await handler.execute.call(this)];
}
