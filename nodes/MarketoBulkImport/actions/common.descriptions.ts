import type { INodeProperties } from 'n8n-workflow';

import { FILE_ENCODING_OPTIONS } from '../../shared/csv/encoding';
import { FORMAT_OPTIONS } from '../../shared/csv/formats';
import { DEFAULT_PART_SIZE_MB, DEFAULT_QUEUE_WAIT_MINUTES } from '../helpers/run/importOptions';

/** Parameters every operation shares: where the rows come from, their format, and the options. */

export const inputDescription: INodeProperties[] = [
	{
		displayName: 'Input',
		name: 'inputSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Binary File',
				value: 'binary',
				description:
					'Upload a CSV, TSV or semicolon file from a binary property of each input item',
			},
			{
				name: 'Items',
				value: 'items',
				description:
					'Write the incoming items into one file (one per distinct per-item setting), one row per item',
			},
		],
		default: 'binary',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the binary property that holds the file',
		displayOptions: { show: { inputSource: ['binary'] } },
	},
	{
		displayName: 'Format',
		name: 'fileFormat',
		type: 'options',
		options: [
			{
				name: 'Detect Automatically',
				value: 'auto',
				description: 'From the file name, the MIME type and the header line',
			},
			...FORMAT_OPTIONS,
		],
		default: 'auto',
		displayOptions: { show: { inputSource: ['binary'] } },
	},
	{
		displayName: 'Format',
		name: 'itemsFormat',
		type: 'options',
		description: 'Delimiter of the file written from the items',
		options: [...FORMAT_OPTIONS],
		default: 'csv',
		displayOptions: { show: { inputSource: ['items'] } },
	},
	{
		displayName: 'Columns',
		name: 'columns',
		type: 'string',
		default: '',
		placeholder: 'e.g. email, firstName, lastName',
		description:
			'Comma-separated REST API field names to write, in this order. Leave empty to write every field found in the items.',
		displayOptions: { show: { inputSource: ['items'], '@version': [1] } },
	},
	{
		displayName: 'Columns',
		name: 'columnMapping',
		type: 'resourceMapper',
		noDataExpression: true,
		default: { mappingMode: 'autoMapInputData', value: null },
		required: true,
		description:
			'Which Marketo field each column of the file fills, from the fields the instance describes',
		typeOptions: {
			loadOptionsDependsOn: ['operation', 'lookupField', 'customObject'],
			resourceMapper: {
				resourceMapperMethod: 'getMappingColumns',
				mode: 'add',
				fieldWords: { singular: 'field', plural: 'fields' },
				// A lead database has hundreds of fields: show the required ones, add the others by name.
				addAllFields: false,
				multiKeyMatch: false,
				supportAutoMap: true,
				noFieldsError:
					'Marketo described no fields for this import: check the credential and the custom object.',
			},
		},
		displayOptions: { show: { inputSource: ['items'], '@version': [{ _cnd: { gte: 2 } }] } },
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
			displayName: 'File Encoding',
			name: 'fileEncoding',
			type: 'options',
			options: [...FILE_ENCODING_OPTIONS],
			default: 'auto',
			description:
				'The character encoding of the file. Marketo reads UTF-8 only: any other encoding is converted to UTF-8 before upload. Auto never guesses: without a byte order mark the file must be UTF-8, or it is refused naming the first byte that is not.',
			displayOptions: { show: { '/inputSource': ['binary'] } },
		},
		{
			displayName: 'File Name',
			name: 'fileName',
			type: 'string',
			default: '',
			placeholder: 'e.g. leads-2025-01.csv',
			description: 'Name of the uploaded file. Leave empty to keep the input file name.',
		},
		{
			displayName: 'Part Size Limit (MB)',
			name: 'partSizeMb',
			type: 'number',
			typeOptions: { minValue: 0.001, maxValue: DEFAULT_PART_SIZE_MB, numberPrecision: 3 },
			default: DEFAULT_PART_SIZE_MB,
			description:
				'Files larger than this are split into several batches, each starting with the header. Marketo accepts at most 10 MB per upload.',
		},
		{
			displayName: 'Preflight Check',
			name: 'preflightCheck',
			type: 'boolean',
			default: true,
			description:
				'Whether to check the header against the fields Marketo knows before uploading, and stop on unknown or missing columns',
		},
		{
			displayName: 'Queue Wait Limit (Minutes)',
			name: 'queueWaitMinutes',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_QUEUE_WAIT_MINUTES,
			description:
				"How long to keep waiting while Marketo's shared import queue (10 jobs per instance) is full before failing",
		},
		{
			displayName: 'Validate Only',
			name: 'validateOnly',
			type: 'boolean',
			default: false,
			description:
				"Whether to check the file and predict every row Marketo would fail or warn, from the field types it describes, without uploading anything. Outputs a summary item, then one item per such row, shaped like Wait for Batch's Failed Rows and Warning Rows.",
		},
	],
};
