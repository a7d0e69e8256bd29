import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { OUTPUT_NAMES, properties } from './actions/common.descriptions';
import { router } from './actions/router';

export class MarketoWaitForBatch implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Marketo Wait for Batch',
		name: 'marketoWaitForBatch',
		icon: { light: 'file:marketo.svg', dark: 'file:marketo.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["mode"] === "checkOnce" ? "Check Once" : "Wait Until Done"}}',
		description:
			'Wait for Marketo bulk import batches to finish and output their failed and warning rows as items',
		// The editor's "Docs" link: this package's README section.
		documentationUrl:
			'https://github.com/n8n-nodes-marketo-bulk/n8n-nodes-marketo-bulk#marketo-wait-for-batch',
		defaults: { name: 'Marketo Wait for Batch' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		// Three outputs by design, so failed rows can be routed without an If node.
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: OUTPUT_NAMES,
		credentials: [{ name: 'marketoApi', required: true }],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
