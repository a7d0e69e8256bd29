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
import * as resourceMapping from './methods/resourceMapping';

export class MarketoBulkImport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Marketo Bulk Import',
		name: 'marketoBulkImport',
		icon: { light: 'file:marketo.svg', dark: 'file:marketo.dark.svg' },
		group: ['output'],
		// 2: Items input maps columns with a resource mapper (1 keeps the free-text Columns list).
		version: [1, 2],
		defaultVersion: 2,
		// n8n adds "Custom API Call" (value __CUSTOM_API_CALL__) to the operations of a node whose
		// credential has `authenticate`: it names it too instead of falling through to another operation.
		subtitle:
			'={{ $parameter["operation"] === "importLeads" ? "Import Leads" : $parameter["operation"] === "importProgramMembers" ? "Import Program Members" : $parameter["operation"] === "importCustomObjects" ? "Import Custom Objects" : $parameter["operation"] === "__CUSTOM_API_CALL__" ? "Custom API Call" : "" }}',
		description:
			'Import large files of leads, program members or custom objects into Adobe Marketo Engage with its Bulk Import API',
		// The editor's "Docs" link: this package's README section (the codex URL gets query
		// parameters appended after the anchor; this one is used as it is).
		documentationUrl:
			'https://github.com/n8n-nodes-marketo-bulk/n8n-nodes-marketo-bulk#marketo-bulk-import',
		defaults: { name: 'Marketo Bulk Import' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'marketoApi', required: true }],
		properties: nodeProperties,
	};

	methods = {
		loadOptions: {
			getLookupFields: loadOptions.getLookupFields,
			getPartitions: loadOptions.getPartitions,
			getCustomObjects: loadOptions.getCustomObjects,
			getProgramMemberStatuses: loadOptions.getProgramMemberStatuses,
		},
		listSearch: {
			searchStaticLists: listSearch.searchStaticLists,
			searchPrograms: listSearch.searchPrograms,
		},
		resourceMapping: {
			getMappingColumns: resourceMapping.getMappingColumns,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
