import type { INodeProperties } from 'n8n-workflow';

import { optionsDescription, outputDescription, waitDescription } from './common.descriptions';
import * as extractActivities from './extractActivities.operation';
import * as extractCustomObjects from './extractCustomObjects.operation';
import * as extractLeads from './extractLeads.operation';
import * as extractProgramMembers from './extractProgramMembers.operation';

export const operationDescription: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Extract Activities',
			value: 'extractActivities',
			description: 'Activities of a date range, of chosen types, as a file',
			action: 'Extract activities',
		},
		{
			name: 'Extract Custom Objects',
			value: 'extractCustomObjects',
			description: "A custom object's records, by update date or by their leads' list",
			action: 'Extract custom objects',
		},
		{
			name: 'Extract Leads',
			value: 'extractLeads',
			description: 'Leads by creation or update date, or of a static or smart list, as a file',
			action: 'Extract leads',
		},
		{
			name: 'Extract Program Members',
			value: 'extractProgramMembers',
			description: "A program's members with their statuses, as a file",
			action: 'Extract program members',
		},
	],
	default: 'extractLeads',
};

/** Every parameter of the node, in the order the editor shows them. */
export const nodeProperties: INodeProperties[] = [
	operationDescription,
	...extractLeads.description,
	...extractActivities.description,
	...extractProgramMembers.description,
	...extractCustomObjects.description,
	outputDescription,
	waitDescription,
	optionsDescription,
];
