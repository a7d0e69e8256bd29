import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { readFields, readFilter, readFormat, readSettings } from '../helpers/run/extractOptions';
import { runExtractOperation } from '../helpers/run/runExtract';
import {
	dateRangeDescription,
	fieldsDescription,
	smartListDescription,
	staticListDescription,
} from './common.descriptions';

const OPERATION = 'extractCustomObjects';

export const description: INodeProperties[] = [
	{
		displayName: 'Custom Object Name or ID',
		name: 'customObject',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getCustomObjects' },
		default: '',
		required: true,
		description:
			'A custom object linked to leads, by API name. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { operation: [OPERATION] } },
	},
	...fieldsDescription(OPERATION, 'getCustomObjectFields', ['customObject']),
	{
		displayName: 'Records',
		name: 'customObjectFilter',
		type: 'options',
		options: [
			{ name: 'Of Leads in a Smart List', value: 'smartListId' },
			{ name: 'Of Leads in a Static List', value: 'staticListId' },
			{ name: 'Updated in a Date Range', value: 'updatedAt' },
		],
		default: 'updatedAt',
		description: 'Which records to extract: Marketo takes exactly one of these filters',
		displayOptions: { show: { operation: [OPERATION] } },
	},
	...dateRangeDescription({ operation: [OPERATION], customObjectFilter: ['updatedAt'] }),
	staticListDescription({ operation: [OPERATION], customObjectFilter: ['staticListId'] }),
	smartListDescription({ operation: [OPERATION], customObjectFilter: ['smartListId'] }),
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runExtractOperation(this, (itemIndex) => {
		const objectApiName = String(this.getNodeParameter('customObject', itemIndex, '') ?? '').trim();
		if (objectApiName === '') {
			throw new NodeOperationError(this.getNode(), 'Choose your custom object', {
				itemIndex,
				description: 'Pick the custom object from the list, or enter its API name (e.g. car_c).',
			});
		}
		return {
			request: {
				target: { extractType: 'customObjects', objectApiName },
				fields: readFields(this, itemIndex),
				filter: readFilter(this, itemIndex, 'customObjectFilter'),
				extra: {},
				format: readFormat(this, itemIndex),
			},
			settings: readSettings(this, itemIndex, `marketo-${objectApiName}`),
		};
	});
}
