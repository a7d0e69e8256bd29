/** What a user sees of Marketo Bulk Extract on n8n's canvas: the operation's name under the node. */
import type { INode, INodeType } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { MarketoBulkExtract } from '../../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { operationDescription } from '../../../nodes/MarketoBulkExtract/actions';

const bulkExtract = new MarketoBulkExtract();

function subtitleFor(operation: string): unknown {
	const node: INode = {
		id: '1',
		name: 'Marketo Bulk Extract',
		type: 'n8n-nodes-marketo-bulk.marketoBulkExtract',
		typeVersion: 1,
		position: [0, 0],
		parameters: { operation },
	};
	const nodeType = bulkExtract as unknown as INodeType;
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
	return workflow.expression.getSimpleParameterValue(
		node,
		bulkExtract.description.subtitle as string,
		'internal',
		{},
		undefined,
		'',
	);
}

describe('Marketo Bulk Extract in the editor', () => {
	const operations = (operationDescription.options ?? []) as Array<{ name: string; value: string }>;

	it.each(operations.map((option) => [option.value, option.name]))(
		'shows %s as "%s" under the node',
		(value, name) => {
			expect(subtitleFor(value)).toBe(name);
		},
	);

	it('has a subtitle for every operation', () => {
		expect(operations).toHaveLength(4);
	});
});
