import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readDateRange, readFormat, readSettings } from '../helpers/run/extractOptions';
import { runExtractOperation } from '../helpers/run/runExtract';
import { dateRangeDescription } from './common.descriptions';

const OPERATION = 'extractActivities';

export const description: INodeProperties[] = [
	...dateRangeDescription({ operation: [OPERATION] }),
	{
		displayName: 'Activity Type Names or IDs',
		name: 'activityTypeIds',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getActivityTypes' },
		default: [],
		description:
			'Only these activity types; none chosen: every type. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { operation: [OPERATION] } },
	},
];

function readActivityTypeIds(context: IExecuteFunctions, itemIndex: number): number[] {
	const raw = context.getNodeParameter('activityTypeIds', itemIndex, []) as unknown;
	return (Array.isArray(raw) ? raw : String(raw ?? '').split(','))
		.map((value) => Number(String(value).trim()))
		.filter((id) => Number.isSafeInteger(id) && id > 0);
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runExtractOperation(this, (itemIndex) => ({
		request: {
			target: { extractType: 'activities' },
			// Marketo's default columns: marketoGUID, leadId, activityDate, activityTypeId, campaignId,
			// primaryAttributeValueId, primaryAttributeValue, attributes.
			fields: null,
			filter: { kind: 'createdAt', ...readDateRange(this, itemIndex) },
			extra: { activityTypeIds: readActivityTypeIds(this, itemIndex) },
			format: readFormat(this, itemIndex),
		},
		settings: { ...readSettings(this, itemIndex, 'marketo-activities'), allFields: false },
	}));
}
