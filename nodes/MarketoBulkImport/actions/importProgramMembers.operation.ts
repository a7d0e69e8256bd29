import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import type { ImportPlan } from '../helpers/importPlan';
import { parseMarketoId } from '../helpers/ids';
import { programMemberHeaderRules } from '../helpers/preflight';
import { runImport } from '../helpers/runImport';

const showForProgramMembers = { show: { operation: ['importProgramMembers'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Program',
		name: 'program',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The program the leads become members of',
		displayOptions: showForProgramMembers,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a program...',
				typeOptions: { searchListMethod: 'searchPrograms', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 1001',
				validation: [
					{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A program ID is a number' } },
				],
			},
		],
	},
	{
		displayName: 'Member Status Name or ID',
		name: 'programMemberStatus',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getProgramMemberStatuses', loadOptionsDependsOn: ['program.value'] },
		default: '',
		required: true,
		description:
			'Program status every imported member gets, e.g. "On List". The list shows the statuses of the chosen program\'s channel, so choose the Program first. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: showForProgramMembers,
	},
];

export function buildProgramMemberPlan(this: IExecuteFunctions, itemIndex: number): ImportPlan {
	const programValue = this.getNodeParameter('program', itemIndex, '', { extractValue: true });
	const programId = parseMarketoId(programValue);
	if (programId === undefined) {
		throw new NodeOperationError(this.getNode(), `Program '${String(programValue)}' is not a program ID`, {
			itemIndex,
			description: 'Pick the program from the dropdown, or enter its numeric ID.',
		});
	}
	const programMemberStatus = String(this.getNodeParameter('programMemberStatus', itemIndex, '') ?? '').trim();
	if (programMemberStatus === '') {
		throw new NodeOperationError(this.getNode(), 'Member Status is empty', {
			itemIndex,
			description:
				"Choose the Program first, then the status the members get, e.g. 'On List' (the list shows the program channel's statuses).",
		});
	}
	return {
		target: { importType: 'programMembers', programId },
		query: { programMemberStatus },
		targetFields: { programId, programMemberStatus },
		label: `members of program ${programId}`,
		headerRules: async (context, cache, index) => await programMemberHeaderRules(context, cache, index),
		// Marketo finds or creates each member's lead by email.
		keyColumns: async () => ['email'],
	};
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runImport.call(this, buildProgramMemberPlan);
}
