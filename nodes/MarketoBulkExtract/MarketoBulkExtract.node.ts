import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { nodeProperties } from './actions';
import { router } from './actions/router';
import * as listSearch from './methods/listSearch';
import * as loadOptions from './methods/loadOptions';

export class MarketoBulkExtract implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Marketo Bulk Extract',
		name: 'marketoBulkExtract',
		icon: { light: 'file:marketo.svg', dark: 'file:marketo.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle:
			'={{ $parameter["operation"] === "extractLeads" ? "Extract Leads" : $parameter["operation"] === "extractActivities" ? "Extract Activities" : $parameter["operation"] === "extractProgramMembers" ? "Extract Program Members" : $parameter["operation"] === "extractCustomObjects" ? "Extract Custom Objects" : "" }}',
		description:
			'Extract leads, activities, program members or custom objects from Adobe Marketo Engage with its Bulk Extract API, as a file',
		documentationUrl:
			'https://github.com/n8n-nodes-marketo-bulk/n8n-nodes-marketo-bulk#marketo-bulk-extract',
		defaults: { name: 'Marketo Bulk Extract' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'marketoApi', required: true }],
		properties: nodeProperties,
	};

	methods = {
		loadOptions: {
			getActivityTypes: loadOptions.getActivityTypes,
			getCustomObjectFields: loadOptions.getCustomObjectFields,
			getCustomObjects: loadOptions.getCustomObjects,
			getLeadFields: loadOptions.getLeadFields,
			getProgramMemberFields: loadOptions.getProgramMemberFields,
		},
		listSearch: {
			searchPrograms: listSearch.searchPrograms,
			searchSmartLists: listSearch.searchSmartLists,
			searchStaticLists: listSearch.searchStaticLists,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
