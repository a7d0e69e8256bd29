import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import * as extractActivities from './extractActivities.operation';
import * as extractCustomObjects from './extractCustomObjects.operation';
import * as extractLeads from './extractLeads.operation';
import * as extractProgramMembers from './extractProgramMembers.operation';

export type Operation =
	| 'extractLeads'
	| 'extractActivities'
	| 'extractProgramMembers'
	| 'extractCustomObjects';

const OPERATIONS: Record<
	Operation,
	{ execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[]> }
> = {
	extractLeads,
	extractActivities,
	extractProgramMembers,
	extractCustomObjects,
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as Operation;
	const handler = OPERATIONS[operation];
	if (!handler) {
		throw new NodeOperationError(
			this.getNode(),
			`The operation '${String(operation)}' is not supported`,
			{
				description:
					'A Custom API Call is made with an HTTP Request node whose Credential Type is Marketo API.',
			},
		);
	}
	return [await handler.execute.call(this)];
}
