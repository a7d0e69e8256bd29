import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import type { ImportPlan } from '../helpers/plan/importPlan';
import { customObjectHeaderRules, customObjectKeyColumns } from '../helpers/plan/preflight';
import { runImport } from '../helpers/run/runImport';

export const description: INodeProperties[] = [
	{
		displayName: 'Custom Object Name or ID',
		name: 'customObject',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getCustomObjects' },
		default: '',
		required: true,
		description:
			'Custom object to import records into, by API name. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { operation: ['importCustomObjects'] } },
	},
];

export function buildCustomObjectPlan(this: IExecuteFunctions, itemIndex: number): ImportPlan {
	const objectApiName = String(this.getNodeParameter('customObject', itemIndex, '') ?? '').trim();
	if (objectApiName === '') {
		throw new NodeOperationError(this.getNode(), 'Custom Object is empty', {
			itemIndex,
			description: 'Choose the custom object, or enter its API name (e.g. car_c).',
		});
	}
	return {
		target: { importType: 'customObjects', objectApiName },
		query: {},
		targetFields: { objectApiName },
		label: `${objectApiName} records`,
		headerRules: async (context, cache, index) =>
			await customObjectHeaderRules(context, cache, objectApiName, index),
		keyColumns: async (context, cache, index, header) =>
			await customObjectKeyColumns(context, cache, objectApiName, index, header),
	};
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runImport.call(this, buildCustomObjectPlan);
}
