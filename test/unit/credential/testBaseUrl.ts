/**
 * The base URL n8n computes for the credential's Test request, through n8n's own
 * expression engine, with the credential's REST API Endpoint as the form holds it.
 */
import type { INode, INodeType } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { MarketoApi } from '../../../credentials/MarketoApi.credentials';

const node: INode = {
	id: '1',
	name: 'Probe',
	type: 'probe',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const nodeType = { description: { properties: [] } } as unknown as INodeType;
const workflow = new Workflow({
	nodes: [node],
	connections: {},
	active: false,
	nodeTypes: {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	},
});

export function testBaseUrl(restEndpoint: string): unknown {
	const baseURL = new MarketoApi().test.request.baseURL as string;
	return workflow.expression.getSimpleParameterValue(
		node,
		baseURL,
		'internal',
		{ $credentials: { restEndpoint } },
		undefined,
		'',
	);
}
