import type { INodeProperties } from 'n8n-workflow';

import { FORMAT_OPTIONS } from '../../shared/csv/formats';
import {
	DEFAULT_MAX_POLL_INTERVAL_SECONDS,
	DEFAULT_TIME_LIMIT_MINUTES,
} from '../helpers/input/options';

export { OUTPUT_NAMES } from '../helpers/output/outputCollector';

export const modeDescription: INodeProperties = {
	displayName: 'Mode',
	name: 'mode',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Wait Until Done',
			value: 'waitUntilDone',
			description: 'Poll every batch until Marketo has finished it, then output the results',
			action: 'Wait until the batches are done',
		},
		{
			name: 'Check Once',
			value: 'checkOnce',
			description:
				"Ask for each batch's status once and output it; for waits of hours, loop with a Wait and an If node",
			action: 'Check the batches once',
		},
	],
	default: 'waitUntilDone',
};

export const batchSourceDescription: INodeProperties[] = [
	{
		displayName: 'Batch Source',
		name: 'batchSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'From Input Item',
				value: 'input',
				description: 'The items the Marketo Bulk Import node outputs, one per batch',
			},
			{
				name: 'Define Below',
				value: 'define',
				description: 'A batch started elsewhere: give its ID and import type',
			},
		],
		default: 'input',
	},
	{
		displayName: 'Batch ID',
		name: 'batchId',
		type: 'number',
		default: 0,
		required: true,
		description: 'The batchId Marketo returned when the import was created (valid for 7 days)',
		displayOptions: { show: { batchSource: ['define'] } },
	},
	{
		displayName: 'Import Type',
		name: 'importType',
		type: 'options',
		options: [
			{ name: 'Leads', value: 'leads' },
			{ name: 'Program Members', value: 'programMembers' },
			{ name: 'Custom Objects', value: 'customObjects' },
		],
		default: 'leads',
		displayOptions: { show: { batchSource: ['define'] } },
	},
	{
		displayName: 'Custom Object API Name',
		name: 'objectApiName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'car_c',
		description: 'The API name of the custom object, as in Admin > Marketo Custom Objects',
		displayOptions: { show: { batchSource: ['define'], importType: ['customObjects'] } },
	},
	{
		displayName: 'File Format',
		name: 'fileFormat',
		type: 'options',
		description:
			'Delimiter of the uploaded file; Marketo returns failed and warning rows in the same one',
		options: [...FORMAT_OPTIONS],
		default: 'csv',
		displayOptions: { show: { batchSource: ['define'] } },
	},
];

export const waitDescription: INodeProperties[] = [
	{
		displayName: 'Max Poll Interval (Seconds)',
		name: 'maxPollInterval',
		type: 'number',
		typeOptions: { minValue: 2 },
		default: DEFAULT_MAX_POLL_INTERVAL_SECONDS,
		description:
			'Longest gap between two status checks of a batch. Marketo advises 5 to 30 seconds; the node polls sooner when a batch is about to finish.',
		displayOptions: { show: { mode: ['waitUntilDone'] } },
	},
	{
		displayName: 'Time Limit (Minutes)',
		name: 'timeLimit',
		type: 'number',
		typeOptions: { minValue: 0.1 },
		default: DEFAULT_TIME_LIMIT_MINUTES,
		description: 'Stop waiting after this long, counted from the start of this node',
		displayOptions: { show: { mode: ['waitUntilDone'] } },
	},
	{
		displayName: 'On Time Limit',
		name: 'onTimeLimit',
		type: 'options',
		options: [
			{
				name: 'Stop With an Error',
				value: 'error',
				description: 'Fail, naming the batches still running and their last status',
			},
			{
				name: 'Output Still-Running Batches',
				value: 'outputStillRunning',
				description: 'Output them on Done with their last status and stillRunning: true',
			},
		],
		default: 'error',
		displayOptions: { show: { mode: ['waitUntilDone'] } },
	},
	{
		// Both modes: Check Once sees Failed batches too.
		displayName: 'On Failed Batch',
		name: 'onFailedBatch',
		type: 'options',
		options: [
			{
				name: 'Stop With an Error',
				value: 'error',
				description:
					"Fail with Marketo's message, naming the batches that finished and those still running",
			},
			{
				name: 'Output It on Done',
				value: 'outputOnDone',
				description:
					"Output it on Done with status Failed and Marketo's message, and go on with the other batches",
			},
		],
		default: 'error',
	},
];

export const optionsDescription: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		{
			displayName: 'Attach Result Files',
			name: 'attachResultFiles',
			type: 'boolean',
			default: false,
			description:
				"Whether to also attach Marketo's raw failures and warnings files as binary (failures, warnings) on the Done item",
		},
		{
			displayName: 'Count Warnings as Failed',
			name: 'countWarningsAsFailed',
			type: 'boolean',
			default: false,
			description:
				'Whether to send warning rows to the Failed Rows output (marked kind "warning") instead of Warning Rows',
		},
	],
};

export const properties: INodeProperties[] = [
	modeDescription,
	...batchSourceDescription,
	...waitDescription,
	optionsDescription,
];
