import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readFields, readFormat, readLocatorId, readSettings } from '../helpers/run/extractOptions';
import { runExtractOperation } from '../helpers/run/runExtract';
import { fieldsDescription } from './common.descriptions';
import { listOrIdModes } from '../../shared/instance/locators';

const OPERATION = 'extractProgramMembers';

export const description: INodeProperties[] = [
	{
		displayName: 'Program',
		name: 'program',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The program whose members to extract',
		displayOptions: { show: { operation: [OPERATION] } },
		modes: listOrIdModes({
			searchListMethod: 'searchPrograms',
			listPlaceholder: 'Select a program...',
			idPlaceholder: 'e.g. 1001',
			idError: 'A program ID is a number',
		}),
	},
	{
		displayName: 'Member Statuses',
		name: 'statusNames',
		type: 'string',
		default: '',
		placeholder: 'e.g. Registered, Attended',
		description:
			"Only members with these statuses, as the program's channel spells them, separated by commas; empty: every member",
		displayOptions: { show: { operation: [OPERATION] } },
	},
	...fieldsDescription(OPERATION, 'getProgramMemberFields'),
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runExtractOperation(this, (itemIndex) => {
		const statusNames = String(this.getNodeParameter('statusNames', itemIndex, '') ?? '')
			.split(',')
			.map((status) => status.trim())
			.filter((status) => status !== '');
		return {
			request: {
				target: { extractType: 'programMembers' },
				fields: readFields(this, itemIndex),
				filter: {
					kind: 'programIds',
					ids: [readLocatorId(this, 'program', 'program', itemIndex)],
				},
				extra: { statusNames },
				format: readFormat(this, itemIndex),
			},
			settings: readSettings(this, itemIndex, 'marketo-program-members'),
		};
	});
}
