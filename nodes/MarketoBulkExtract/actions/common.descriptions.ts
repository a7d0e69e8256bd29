import type { INodeProperties } from 'n8n-workflow';

import {
	DEFAULT_MAX_JOBS_IN_QUEUE,
	DEFAULT_QUEUE_WAIT_MINUTES,
	DEFAULT_TIME_LIMIT_MINUTES,
} from '../helpers/run/extractOptions';
import { DEFAULT_DAILY_EXPORT_MB } from '../../shared/jobs/exportQuota';
import { listOrIdModes } from '../../shared/instance/locators';

/** Parameters several operations share: the columns, a date range, lists, the output and options. */

export const ALL_OPERATIONS = [
	'extractLeads',
	'extractActivities',
	'extractProgramMembers',
	'extractCustomObjects',
];

/** Columns: every field the instance describes, or a chosen few. */
export function fieldsDescription(
	operation: string,
	loadOptionsMethod: string,
	dependsOn?: string[],
): INodeProperties[] {
	return [
		{
			displayName: 'Fields',
			name: 'fieldsSource',
			type: 'options',
			options: [
				{
					name: 'All Fields',
					value: 'all',
					description: 'Every field the instance describes, read when the extract starts',
				},
				{ name: 'Selected Fields', value: 'selected', description: 'Only the fields chosen below' },
			],
			default: 'selected',
			displayOptions: { show: { operation: [operation] } },
		},
		{
			displayName: 'Field Names or IDs',
			name: 'fields',
			type: 'multiOptions',
			typeOptions: {
				loadOptionsMethod,
				...(dependsOn ? { loadOptionsDependsOn: dependsOn } : {}),
			},
			default: [],
			required: true,
			description:
				'The columns of the file, by REST API name. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			displayOptions: { show: { operation: [operation], fieldsSource: ['selected'] } },
		},
	];
}

/** A date range; ranges longer than Marketo's 31 days are split into consecutive jobs. */
export function dateRangeDescription(show: Record<string, string[]>): INodeProperties[] {
	return [
		{
			displayName: 'From',
			name: 'rangeStart',
			type: 'dateTime',
			default: '',
			required: true,
			description:
				'Start of the range (inclusive), e.g. {{ $today.minus(1, "day") }} for yesterday. Ranges over 31 days are split into one Marketo job per 31 days.',
			displayOptions: { show },
		},
		{
			displayName: 'To',
			name: 'rangeEnd',
			type: 'dateTime',
			default: '',
			required: true,
			description: 'End of the range (inclusive), e.g. {{ $today }}',
			displayOptions: { show },
		},
	];
}

export function staticListDescription(show: Record<string, string[]>): INodeProperties {
	return {
		displayName: 'Static List',
		name: 'staticList',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		displayOptions: { show },
		modes: listOrIdModes({
			searchListMethod: 'searchStaticLists',
			listPlaceholder: 'Select a static list...',
			idPlaceholder: 'e.g. 1001',
			idError: 'A static list ID is a number',
		}),
	};
}

export function smartListDescription(show: Record<string, string[]>): INodeProperties {
	return {
		displayName: 'Smart List',
		name: 'smartList',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		displayOptions: { show },
		modes: listOrIdModes({
			searchListMethod: 'searchSmartLists',
			listPlaceholder: 'Select a smart list...',
			idPlaceholder: 'e.g. 1001',
			idError: 'A smart list ID is a number',
		}),
	};
}

export const outputDescription: INodeProperties = {
	displayName: 'Output',
	name: 'output',
	type: 'options',
	options: [
		{
			name: 'One File',
			value: 'oneFile',
			description: 'The jobs of a split range joined: one header, the rows in date order',
		},
		{
			name: 'Records as Items',
			value: 'items',
			description:
				"One item per record, the file's columns as fields (an activity's attributes as an object). For what a workflow handles item by item; a large extract is better kept as a file.",
		},
		{
			name: 'One File per Job',
			value: 'filePerJob',
			description: 'One item per Marketo job (per 31-day window of a range), each with its file',
		},
	],
	default: 'oneFile',
	displayOptions: { show: { operation: ALL_OPERATIONS } },
};

export const waitDescription: INodeProperties = {
	displayName: 'Wait',
	name: 'wait',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Until Done',
			value: 'untilDone',
			description: 'Keep the execution running until every job has completed, then output',
		},
		{
			name: 'Check Once',
			value: 'checkOnce',
			description:
				'Start or check the jobs once and output a still-running item (stillRunning, checkAgainInSeconds) to loop back through an If and a Wait node, or the result once every job has completed. For long extracts in queue mode.',
		},
	],
	default: 'untilDone',
	displayOptions: { show: { operation: ALL_OPERATIONS } },
};

export const optionsDescription: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	displayOptions: { show: { operation: ALL_OPERATIONS } },
	options: [
		{
			displayName: 'Daily Export Allocation (MB)',
			name: 'dailyAllocationMb',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULT_DAILY_EXPORT_MB,
			description:
				"Your instance's daily Bulk Extract allocation: 500 MB unless more was bought from Adobe. Used to say how much is left.",
		},
		{
			displayName: 'File Format',
			name: 'format',
			type: 'options',
			options: [
				{ name: 'CSV (Comma)', value: 'csv' },
				{ name: 'SSV (Semicolon)', value: 'ssv' },
				{ name: 'TSV (Tab)', value: 'tsv' },
			],
			default: 'csv',
		},
		{
			displayName: 'File Name',
			name: 'fileName',
			type: 'string',
			default: '',
			placeholder: 'e.g. marketo-leads',
			description:
				'Name of the output file, without extension; by default the extract type and date',
		},
		{
			displayName: 'Max File Size (MB)',
			name: 'maxFileMb',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 2 },
			default: 0,
			description:
				"The largest output file, in MB as n8n counts them (MiB). A larger file is cut between records into parts, each with the header row. 0: n8n's own limit, 512 when n8n keeps binary data in its database (queue mode); set N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE's value here if you changed it.",
		},
		{
			displayName: 'Max Jobs in Queue',
			name: 'maxJobsInQueue',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 10 },
			default: DEFAULT_MAX_JOBS_IN_QUEUE,
			description:
				"How many of this extract's jobs may wait or run in Marketo's export queue at once. The queue holds 10 jobs for the whole instance and runs 2 at a time: 2 keeps both busy and leaves 8 places for other integrations.",
		},
		{
			displayName: 'Put Output File in Field',
			name: 'binaryPropertyName',
			type: 'string',
			default: 'data',
			description: 'The binary property of the output item that holds the file',
		},
		{
			displayName: 'Queue Wait Limit (Minutes)',
			name: 'queueWaitMinutes',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_QUEUE_WAIT_MINUTES,
			description:
				"How long to wait when Marketo's export queue is full of other integrations' jobs before stopping",
		},
		{
			displayName: "Stop If Today's Use Reaches (MB)",
			name: 'stopAboveMb',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description:
				"Refuse to start (nothing is created) when this API user's extracts already used this much of today's quota. 0: the Daily Export Allocation.",
		},
		{
			displayName: 'Time Limit (Minutes)',
			name: 'timeLimitMinutes',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULT_TIME_LIMIT_MINUTES,
			description:
				'The longest the extract may take. When it is reached, the jobs not yet finished are cancelled in Marketo and the node stops with an error.',
		},
	],
};
