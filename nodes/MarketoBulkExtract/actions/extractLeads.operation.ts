import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readFields, readFilter, readFormat, readSettings } from '../helpers/run/extractOptions';
import { runExtractOperation } from '../helpers/run/runExtract';
import {
	dateRangeDescription,
	fieldsDescription,
	smartListDescription,
	staticListDescription,
} from './common.descriptions';

const OPERATION = 'extractLeads';

export const description: INodeProperties[] = [
	...fieldsDescription(OPERATION, 'getLeadFields'),
	{
		displayName: 'Leads',
		name: 'leadFilter',
		type: 'options',
		options: [
			{ name: 'Created in a Date Range', value: 'createdAt' },
			{ name: 'In a Smart List', value: 'smartListId' },
			{ name: 'In a Static List', value: 'staticListId' },
			{
				name: 'Updated in a Date Range',
				value: 'updatedAt',
				description: 'Not available on every Marketo subscription (Marketo answers 1035)',
			},
		],
		default: 'createdAt',
		description: 'Which leads to extract: Marketo takes exactly one of these filters',
		displayOptions: { show: { operation: [OPERATION] } },
	},
	...dateRangeDescription({ operation: [OPERATION], leadFilter: ['createdAt', 'updatedAt'] }),
	staticListDescription({ operation: [OPERATION], leadFilter: ['staticListId'] }),
	smartListDescription({ operation: [OPERATION], leadFilter: ['smartListId'] }),
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runExtractOperation(this, (itemIndex) => ({
		request: {
			target: { extractType: 'leads' },
			fields: readFields(this, itemIndex),
			filter: readFilter(this, itemIndex, 'leadFilter'),
			extra: {},
			format: readFormat(this, itemIndex),
		},
		settings: readSettings(this, itemIndex, 'marketo-leads'),
	}));
}
