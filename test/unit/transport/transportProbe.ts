/** A minimal node that calls one transport function per item, so tests run it through the harness. */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import type { QueueFullCode } from '../../../nodes/shared/transport';
import {
	marketoApiRequest,
	marketoApiRequestAllItems,
	marketoCreateImport,
	marketoDownloadText,
} from '../../../nodes/shared/transport';

const description: INodeTypeDescription = {
	displayName: 'Transport Probe',
	name: 'transportProbe',
	group: ['transform'],
	version: 1,
	description: 'Calls the Marketo transport',
	defaults: { name: 'Transport Probe' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'marketoApi', required: true }],
	properties: [
		{
			displayName: 'Call',
			name: 'call',
			type: 'options',
			options: [
				{ name: 'Request', value: 'request' },
				{ name: 'All Items', value: 'allItems' },
				{ name: 'Download', value: 'download' },
				{ name: 'Create Import', value: 'createImport' },
			],
			default: 'request',
		},
		{ displayName: 'Method', name: 'method', type: 'string', default: 'GET' },
		{ displayName: 'Path', name: 'path', type: 'string', default: '/rest/v1/leads/describe2.json' },
		{ displayName: 'Query', name: 'qs', type: 'json', default: '{}' },
	],
};

export class TransportProbe implements INodeType {
	description = description;

	constructor(
		private readonly waitForQueueSlot?: (attempt: number, code: QueueFullCode) => Promise<void>,
	) {}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// `this` is n8n's context, not the node instance, so the instance is kept in a static.
		const probe = TransportProbe.current;
		const out: INodeExecutionData[] = [];
		const items = this.getInputData();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const call = this.getNodeParameter('call', itemIndex) as string;
			const path = this.getNodeParameter('path', itemIndex) as string;
			const rawQs = this.getNodeParameter('qs', itemIndex) as string | IDataObject;
			const qs = (typeof rawQs === 'string' ? JSON.parse(rawQs) : rawQs) as IDataObject;
			const method = this.getNodeParameter('method', itemIndex) as 'GET' | 'POST';
			let json: IDataObject;
			if (call === 'request') {
				json = {
					result: await marketoApiRequest.call(this, {
						method,
						path,
						qs,
						idempotent: method === 'GET',
						itemIndex,
					}),
				};
			} else if (call === 'allItems') {
				json = {
					result: await marketoApiRequestAllItems.call(this, {
						method,
						path,
						qs,
						idempotent: true,
						itemIndex,
					}),
				};
			} else if (call === 'download') {
				json = {
					text: await marketoDownloadText.call(this, {
						method: 'GET',
						path,
						idempotent: true,
						itemIndex,
					}),
				};
			} else {
				const created = await marketoCreateImport.call(this, {
					path,
					qs,
					itemIndex,
					file: {
						body: Buffer.from('email\nada@example.com\n'),
						fileName: 'part-1.csv',
						contentType: 'text/csv',
					},
					...(probe?.waitForQueueSlot ? { waitForQueueSlot: probe.waitForQueueSlot } : {}),
				});
				json = { ...created };
			}
			out.push({ json, pairedItem: { item: itemIndex } });
		}
		return [out];
	}

	/** The instance under test (n8n calls execute with its context as `this`, not the instance). */
	static current: TransportProbe | undefined;
}

export function probe(
	waitForQueueSlot?: (attempt: number, code: QueueFullCode) => Promise<void>,
): TransportProbe {
	TransportProbe.current = new TransportProbe(waitForQueueSlot);
	return TransportProbe.current;
}
