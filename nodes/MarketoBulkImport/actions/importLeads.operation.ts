import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import type { ImportPlan } from '../helpers/plan/importPlan';
import { isBlank, parseMarketoId } from '../helpers/plan/ids';
import { leadHeaderRules } from '../helpers/plan/preflight';
import { runImport } from '../helpers/run/runImport';
import { listOrIdModes } from '../../shared/instance/locators';

const showForLeads = { show: { operation: ['importLeads'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Lookup Field Name or ID',
		name: 'lookupField',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getLookupFields' },
		default: 'email',
		description:
			'Field Marketo uses to find existing leads (insert or update). "ID" only updates. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: showForLeads,
	},
	{
		displayName: 'Static List',
		name: 'list',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		description: 'Optional: every imported lead is also added to this static list',
		displayOptions: showForLeads,
		modes: listOrIdModes({
			searchListMethod: 'searchStaticLists',
			listPlaceholder: 'Select a static list...',
			idPlaceholder: 'e.g. 1043',
			idError: 'A list ID is a number',
		}),
	},
	{
		displayName: 'Partition Name or ID',
		name: 'partitionName',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getPartitions' },
		default: '',
		description:
			'Lead partition to import new leads into. "No Partition (Marketo Decides)" sends none. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: showForLeads,
	},
];

export function buildLeadPlan(this: IExecuteFunctions, itemIndex: number): ImportPlan {
	const lookupField = String(
		this.getNodeParameter('lookupField', itemIndex, 'email') || 'email',
	).trim();
	const listValue = this.getNodeParameter('list', itemIndex, '', { extractValue: true });
	const partitionName = String(this.getNodeParameter('partitionName', itemIndex, '') ?? '').trim();

	let listId: number | undefined;
	if (!isBlank(listValue)) {
		listId = parseMarketoId(listValue);
		if (listId === undefined) {
			// The examples ship with a placeholder here (no ID that could be a real list): say what to do.
			throw new NodeOperationError(
				this.getNode(),
				`Choose your static list: '${String(listValue)}' is not a list ID`,
				{
					itemIndex,
					description:
						"In Static List, pick your list (From List) or enter its numeric ID (By ID; Marketo shows it in the list's URL). To add the leads to no list, clear Static List. Nothing of this item was uploaded.",
				},
			);
		}
	}

	const query: Record<string, string | number> = { lookupField };
	if (listId !== undefined) query.listId = listId;
	if (partitionName !== '') query.partitionName = partitionName;

	return {
		target: { importType: 'leads' },
		query,
		targetFields: {
			lookupField,
			...(listId !== undefined ? { listId } : {}),
			...(partitionName !== '' ? { partitionName } : {}),
		},
		label: 'leads',
		headerRules: async (context, cache, index) =>
			await leadHeaderRules(context, cache, lookupField, index),
		keyColumns: async () => [lookupField],
	};
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runImport.call(this, buildLeadPlan);
}
