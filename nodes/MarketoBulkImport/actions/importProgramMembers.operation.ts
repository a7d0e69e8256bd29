import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import type { ImportPlan } from '../helpers/plan/importPlan';
import { isBlank, parseMarketoId } from '../helpers/plan/ids';
import { memberGrouping, type MemberGroupingSpec } from '../helpers/plan/memberGroups';
import { programMemberHeaderRules } from '../helpers/plan/preflight';
import { runImport } from '../helpers/run/runImport';
import { listOrIdModes } from '../../shared/instance/locators';

const showForProgramMembers = { show: { operation: ['importProgramMembers'] } };

export const DEFAULT_MEMBER_STATUS_COLUMN = 'status';
export const DEFAULT_PROGRAM_COLUMN = 'programId';

export const description: INodeProperties[] = [
	{
		displayName: 'Program Source',
		name: 'programSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'One Program for All Rows',
				value: 'fixed',
				description: 'Every row joins the program chosen below',
			},
			{
				name: 'From a Column',
				value: 'column',
				description:
					'Each row names its program (by ID) in a column of the file: one batch per program and status',
			},
		],
		default: 'fixed',
		displayOptions: showForProgramMembers,
	},
	{
		displayName: 'Program Column',
		name: 'programColumn',
		type: 'string',
		default: DEFAULT_PROGRAM_COLUMN,
		required: true,
		description:
			"The column of the file (with Items input: the item field) that holds each row's program ID. Every program is checked to exist before anything is uploaded; the column itself is not uploaded.",
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
		modes: listOrIdModes({
			searchListMethod: 'searchPrograms',
			listPlaceholder: 'Select a program...',
			idPlaceholder: 'e.g. 1001',
			idError: 'A program ID is a number',
		}),
	},
	{
		displayName: 'Member Status Source',
		name: 'memberStatusSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'One Status for All Rows',
				value: 'fixed',
				description: 'Every member gets the status chosen below',
			},
			{
				name: 'From a Column',
				value: 'column',
				description:
					'Each row names its status in a column of the file (e.g. attendees and no-shows in one file): one batch per status',
			},
		],
		default: 'fixed',
		displayOptions: showForProgramMembers,
	},
	{
		displayName: 'Member Status Column',
		name: 'memberStatusColumn',
		type: 'string',
		default: DEFAULT_MEMBER_STATUS_COLUMN,
		required: true,
		description:
			"The column of the file (with Items input: the item field) that holds each row's status, e.g. 'Attended' or 'No Show', spelled as in the program's channel. Every status is checked against the channel before anything is uploaded; the column itself is not uploaded.",
		displayOptions: {
			show: { operation: ['importProgramMembers'], memberStatusSource: ['column'] },
		},
	},
	{
		displayName: 'Member Status Name or ID',
		name: 'programMemberStatus',
		type: 'options',
		typeOptions: {
			loadOptionsMethod: 'getProgramMemberStatuses',
			loadOptionsDependsOn: ['program.value'],
		},
		default: '',
		required: true,
		description:
			'Program status every imported member gets, e.g. "On List". The list shows the statuses of the chosen program\'s channel, so choose the Program first. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: {
			show: { operation: ['importProgramMembers'], memberStatusSource: ['fixed'] },
		},
	},
];

/** Pure: the plan of an import of members of one program with one status. */
export function programMemberPlan(programId: number, programMemberStatus: string): ImportPlan {
	return {
		target: { importType: 'programMembers', programId },
		query: { programMemberStatus },
		targetFields: { programId, programMemberStatus },
		label: `members of program ${programId}`,
		headerRules: async (context, cache, index) =>
			await programMemberHeaderRules(context, cache, index),
		// Marketo finds or creates each member's lead by email.
		keyColumns: async () => ['email'],
	};
}

function columnParameter(
	context: IExecuteFunctions,
	name: string,
	fallback: string,
	itemIndex: number,
): string {
	const column = String(context.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
	if (column === '') {
		throw new NodeOperationError(
			context.getNode(),
			`The column name in '${name === 'programColumn' ? 'Program Column' : 'Member Status Column'}' is empty`,
			{
				itemIndex,
				description: `Enter the header of the file's column that holds it, e.g. '${fallback}'.`,
			},
		);
	}
	return column;
}

export function buildProgramMemberPlan(this: IExecuteFunctions, itemIndex: number): ImportPlan {
	const programFromColumn = this.getNodeParameter('programSource', itemIndex, 'fixed') === 'column';
	const statusFromColumn =
		this.getNodeParameter('memberStatusSource', itemIndex, 'fixed') === 'column';

	let programId: number | undefined;
	if (!programFromColumn) {
		const programValue = this.getNodeParameter('program', itemIndex, '', { extractValue: true });
		programId = parseMarketoId(programValue);
		if (programId === undefined) {
			// The examples ship with a placeholder here (no ID that could be a real program): say what to do.
			const problem = isBlank(programValue)
				? 'Program is empty'
				: `'${String(programValue)}' is not a program ID`;
			throw new NodeOperationError(this.getNode(), `Choose your program: ${problem}`, {
				itemIndex,
				description:
					'In Program, pick your program (From List) or enter its numeric ID (By ID), then its Member Status. Nothing of this item was uploaded.',
			});
		}
	}
	let programMemberStatus = '';
	if (!statusFromColumn) {
		programMemberStatus = String(
			this.getNodeParameter('programMemberStatus', itemIndex, '') ?? '',
		).trim();
		if (programMemberStatus === '') {
			throw new NodeOperationError(this.getNode(), 'Member Status is empty', {
				itemIndex,
				description:
					"Choose the Program first, then the status the members get, e.g. 'On List' (the list shows the program channel's statuses).",
			});
		}
	}
	if (!programFromColumn && !statusFromColumn)
		return programMemberPlan(programId as number, programMemberStatus);

	const spec = {
		programColumn: programFromColumn
			? columnParameter(this, 'programColumn', DEFAULT_PROGRAM_COLUMN, itemIndex)
			: undefined,
		statusColumn: statusFromColumn
			? columnParameter(this, 'memberStatusColumn', DEFAULT_MEMBER_STATUS_COLUMN, itemIndex)
			: undefined,
		fixedProgramId: programId,
		fixedStatus: statusFromColumn ? undefined : programMemberStatus,
	};
	if (this.getNodeParameter('inputSource', 0, 'binary') === 'items') {
		return itemSettingsPlan.call(this, itemIndex, spec);
	}

	// The plan's own target stands for the file as a whole (messages, the header check); each group gets its own.
	const whole = programMemberPlan(programId ?? 0, programMemberStatus);
	return {
		...whole,
		label: programFromColumn ? 'program members' : whole.label,
		grouping: memberGrouping(spec, programMemberPlan),
	};
}

/**
 * Items input with Program or Member Status "From a Column": the column is the item's field.
 * The item gets the plan of its own program and status, so items are grouped by them like any
 * per-item setting (importItems.ts's item groups); the fields are not uploaded, and every group's
 * values are checked against Marketo before the first upload (`itemSettingsCheck`).
 */
function itemSettingsPlan(
	this: IExecuteFunctions,
	itemIndex: number,
	spec: MemberGroupingSpec,
): ImportPlan {
	const json = this.getInputData()[itemIndex]?.json ?? {};
	const fieldValue = (field: string): string => {
		const value = json[field];
		return value === null || value === undefined || typeof value === 'object'
			? ''
			: String(value).trim();
	};
	const values: string[] = [];
	const settingFields: string[] = [];
	if (spec.programColumn !== undefined) {
		values.push(fieldValue(spec.programColumn));
		settingFields.push(spec.programColumn);
	}
	if (spec.statusColumn !== undefined) {
		values.push(fieldValue(spec.statusColumn));
		settingFields.push(spec.statusColumn);
	}
	const grouping = memberGrouping({ ...spec, rowNoun: 'item' }, programMemberPlan);
	const empty = grouping.columns.find((_, at) => values[at] === '');
	if (empty !== undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`Item ${itemIndex} has no ${empty.parameter.toLowerCase()} in field '${empty.name}'`,
			{
				itemIndex,
				description: `${empty.parameter} comes from each item's field '${empty.name}' (${empty.parameter} Source: From a Column). Give every item a value there. Nothing was uploaded.`,
			},
		);
	}
	// A program that is not a number gets a plan only to be refused by the check, which names the items.
	const plan = grouping.planFor(values);
	return { ...plan, settingFields, itemSettingsCheck: { values, check: grouping.check } };
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await runImport.call(this, buildProgramMemberPlan);
}
