import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import * as importCustomObjects from './importCustomObjects.operation';
import * as importLeads from './importLeads.operation';
import * as importProgramMembers from './importProgramMembers.operation';

export type Operation = 'importLeads' | 'importProgramMembers' | 'importCustomObjects';

const OPERATIONS: Record<
	Operation,
	{ execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[]> }
> = {
	importLeads,
	importProgramMembers,
	importCustomObjects,
};

/**
 * The value of the "Custom API Call" operation n8n adds to this node (its credential has
 * `authenticate`). n8n means it as a pointer to the HTTP Request node, not as something this
 * node runs: see docs/DECISIONS.md.
 */
export const CUSTOM_API_CALL = '__CUSTOM_API_CALL__';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as Operation;
	if ((operation as string) === CUSTOM_API_CALL) {
		throw new NodeOperationError(
			this.getNode(),
			'A Custom API Call is made with an HTTP Request node',
			{
				description:
					"Add an HTTP Request node and set Authentication to 'Predefined Credential Type' and Credential Type to " +
					"'Marketo API': it gets and renews the token for you. Its URL is the instance's address plus the API path, " +
					'e.g. https://123-ABC-456.mktorest.com/rest/v1/leads.json. In this node, pick one of the import operations.',
			},
		);
	}
	const handler = OPERATIONS[operation];
	if (!handler) {
		throw new NodeOperationError(
			this.getNode(),
			`The operation '${String(operation)}' is not supported`,
		);
	}
	return [await handler.execute.call(this)];
}
