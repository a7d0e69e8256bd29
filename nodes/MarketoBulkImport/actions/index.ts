import type { INodeProperties } from 'n8n-workflow';

import { inputDescription, optionsDescription } from './common.descriptions';
import * as importCustomObjects from './importCustomObjects.operation';
import * as importLeads from './importLeads.operation';
import * as importProgramMembers from './importProgramMembers.operation';

export const operationDescription: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Import Custom Objects',
			value: 'importCustomObjects',
			description: 'Insert or update custom object records from a file',
			action: 'Import custom objects',
		},
		{
			name: 'Import Leads',
			value: 'importLeads',
			description: 'Insert or update leads from a file, optionally adding them to a static list',
			action: 'Import leads',
		},
		{
			name: 'Import Program Members',
			value: 'importProgramMembers',
			description: 'Add leads to a program with a member status',
			action: 'Import program members',
		},
	],
	default: 'importLeads',
};

/** Every parameter of the node, in the order the editor shows them. */
export const nodeProperties: INodeProperties[] = [
	operationDescription,
	...importLeads.description,
	...importProgramMembers.description,
	...importCustomObjects.description,
	...inputDescription,
	optionsDescription,
];
