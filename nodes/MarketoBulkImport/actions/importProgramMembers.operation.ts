import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import type { ImportPlan } from '../helpers/importPlan';
import { parseMarketoId } from '../helpers/ids';
import { programMemberHeaderRules } from '../helpers/preflight';
import { runImport } from '../helpers/runImport';

const showForProgramMembers = { show: { operation: ['importProgramMembers'] } };

/** Where a setting comes from: the parameter (one value, or an expression per item) or a field of each row. */
export type SettingSource = 'fixed' | 'column';

export const description: INodeProperties[] = [
	{
		displayName: 'Program Source',
		name: 'programSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'One Program for All Rows', value: 'fixed', description: 'The Program parameter below' },
			{
				name: 'From a Column',
				value: 'column',
				description: 'Each row names its program (ID) in a column; one batch per program and status',
			},
		],
		default: 'fixed',
		displayOptions: showForProgramMembers,
	},
	{
		displayName: 'Program Column',
		name: 'programColumn',
		type: 'string',
		default: 'programId',
		required: true,
		description: 'The column (with Items input: the item field) that holds each row\'s program ID. It is not uploaded.',
		displayOptions: { show: { operation: ['importProgramMembers'], programSource: ['column'] } },
	},
	{
		displayName: 'Program',
		name: 'program',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The program the leads become members of',
		displayOptions: { show: { operation: ['importProgramMembers'], programSource: ['fixed'] } },
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
		displayName: 'Member Status Source',
		name: 'memberStatusSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'One Status for All Rows', value: 'fixed', description: 'The Member Status parameter below' },
			{
				name: 'From a Column',
				value: 'column',
				description: 'Each row names its member status in a column; one batch per status',
			},
		],
		default: 'fixed',
		displayOptions: showForProgramMembers,
	},
	{
		displayName: 'Member Status Column',
		name: 'memberStatusColumn',
		type: 'string',
		default: 'status',
		required: true,
		description: 'The column (with Items input: the item field) that holds each row\'s member status, e.g. "Attended". It is not uploaded.',
		displayOptions: { show: { operation: ['importProgramMembers'], memberStatusSource: ['column'] } },
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
		displayOptions: { show: { operation: ['importProgramMembers'], memberStatusSource: ['fixed'] } },
	},
];

/**
 * A setting read "From a Column" for one item. With Items input the column is the item's field;
 * items are then grouped by it like any per-item setting. Binary File input splits the file by
 * the column instead (not handled here).
 */
function settingFromItemField(
	this: IExecuteFunctions,
	itemIndex: number,
	field: string,
	what: string,
	fix: string,
): string {
	const inputSource = this.getNodeParameter('inputSource', 0, 'binary') as string;
	if (inputSource !== 'items') {
		throw new NodeOperationError(this.getNode(), `${what} "From a Column" needs Items input in this version`, {
			itemIndex,
			description: `Set Input to "Items", or set ${what} Source to one value for all rows.`,
		});
	}
	const value = this.getInputData()[itemIndex]?.json[field];
	const text = value === null || value === undefined || typeof value === 'object' ? '' : String(value).trim();
	if (text === '') {
		throw new NodeOperationError(this.getNode(), `Item ${itemIndex} has no ${what.toLowerCase()} in field '${field}'`, {
			itemIndex,
			description: `${what} comes from each item's field '${field}' (${what} Column). ${fix} Nothing was uploaded.`,
		});
	}
	return text;
}

export function buildProgramMemberPlan(this: IExecuteFunctions, itemIndex: number): ImportPlan {
	const settingFields: string[] = [];
	let programValue: unknown;
	if ((this.getNodeParameter('programSource', 0, 'fixed') as SettingSource) === 'column') {
		const field = String(this.getNodeParameter('programColumn', itemIndex, 'programId')).trim();
		programValue = settingFromItemField.call(this, itemIndex, field, 'Program', "Give every item its program's numeric ID.");
		settingFields.push(field);
	} else {
		programValue = this.getNodeParameter('program', itemIndex, '', { extractValue: true });
	}
	const programId = parseMarketoId(programValue);
	if (programId === undefined) {
		throw new NodeOperationError(this.getNode(), `Program '${String(programValue)}' is not a program ID`, {
			itemIndex,
			description: 'Pick the program from the dropdown, or enter its numeric ID.',
		});
	}
	let programMemberStatus: string;
	if ((this.getNodeParameter('memberStatusSource', 0, 'fixed') as SettingSource) === 'column') {
		const field = String(this.getNodeParameter('memberStatusColumn', itemIndex, 'status')).trim();
		programMemberStatus = settingFromItemField.call(
			this,
			itemIndex,
			field,
			'Member Status',
			"Give every item one of the program channel's statuses, e.g. 'Registered'.",
		);
		settingFields.push(field);
	} else {
		programMemberStatus = String(this.getNodeParameter('programMemberStatus', itemIndex, '') ?? '').trim();
	}
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
		...(settingFields.length > 0 ? { settingFields } : {}),
	};
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runImport.call(this, buildProgramMemberPlan);
}
