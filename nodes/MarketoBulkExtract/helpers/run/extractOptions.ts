/**
 * The node's parameters read into what an extract goes by: the options (with their defaults),
 * the date range, list and program IDs. Every problem names the parameter and the fix, before
 * anything is created in Marketo.
 */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { isCsvFormat, type CsvFormat } from '../../../shared/csv/formats';
import { DEFAULT_DAILY_EXPORT_MB } from '../../../shared/jobs/exportQuota';
import type { FilterChoice } from '../plan/extractPlan';
import { toInstant } from '../plan/windows';
import type { OutputFiles, OutputSettings } from '../output/extractOutput';
import type { RunSettings } from './jobRunner';

export const DEFAULT_MAX_JOBS_IN_QUEUE = 2;
export const DEFAULT_QUEUE_WAIT_MINUTES = 60;
export const DEFAULT_TIME_LIMIT_MINUTES = 120;

export type WaitMode = 'untilDone' | 'checkOnce';

export interface ExtractSettings extends RunSettings, OutputSettings {
	/** Wait Until Done, or Check Once (a Wait-node loop) */
	wait: WaitMode;
	/** refuse to start when today's use is already at or past this many MB (0: Marketo's allocation) */
	stopAboveMb: number;
	/** true: every field the instance describes (the request's `fields` are ignored) */
	allFields: boolean;
}

export function readWait(context: IExecuteFunctions, itemIndex: number): WaitMode {
	return context.getNodeParameter('wait', itemIndex, 'untilDone') === 'checkOnce'
		? 'checkOnce'
		: 'untilDone';
}

function positive(value: unknown, fallback: number): number {
	const number = Number(value);
	return Number.isFinite(number) && number > 0 ? number : fallback;
}

export function readFormat(context: IExecuteFunctions, itemIndex: number): CsvFormat {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return isCsvFormat(options.format) ? options.format : 'csv';
}

export function readSettings(
	context: IExecuteFunctions,
	itemIndex: number,
	defaultFileName: string,
): ExtractSettings {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const maxJobs = Math.min(
		10,
		Math.floor(positive(options.maxJobsInQueue, DEFAULT_MAX_JOBS_IN_QUEUE)),
	);
	const queueWait = Number(options.queueWaitMinutes ?? DEFAULT_QUEUE_WAIT_MINUTES);
	const fileName = String(options.fileName ?? '').trim();
	return {
		itemIndex,
		wait: readWait(context, itemIndex),
		maxJobsInQueue: maxJobs,
		queueWaitLimitMs:
			(Number.isFinite(queueWait) && queueWait >= 0 ? queueWait : DEFAULT_QUEUE_WAIT_MINUTES) *
			60_000,
		timeLimitMs: positive(options.timeLimitMinutes, DEFAULT_TIME_LIMIT_MINUTES) * 60_000,
		output: context.getNodeParameter('output', itemIndex, 'oneFile') as OutputFiles,
		binaryProperty: String(options.binaryPropertyName ?? '').trim() || 'data',
		fileName: fileName || defaultFileName,
		dailyAllocationMb: positive(options.dailyAllocationMb, DEFAULT_DAILY_EXPORT_MB),
		stopAboveMb: Math.max(0, Number(options.stopAboveMb ?? 0) || 0),
		allFields: context.getNodeParameter('fieldsSource', itemIndex, 'selected') === 'all',
		maxFileMb: Math.max(0, Number(options.maxFileMb ?? 0) || 0),
	};
}

/** The chosen fields; an empty choice is refused with the fix. */
export function readFields(context: IExecuteFunctions, itemIndex: number): string[] {
	if (context.getNodeParameter('fieldsSource', itemIndex, 'selected') === 'all') return [];
	const raw = context.getNodeParameter('fields', itemIndex, []) as unknown;
	const fields = (Array.isArray(raw) ? raw : String(raw ?? '').split(','))
		.map((field) => String(field).trim())
		.filter((field) => field !== '');
	if (fields.length === 0) {
		throw new NodeOperationError(context.getNode(), 'No fields are chosen', {
			itemIndex,
			description: "Choose the fields to extract, or set Fields to 'All Fields'.",
		});
	}
	return fields;
}

/** From and To as instants; From must come before To. */
export function readDateRange(
	context: IExecuteFunctions,
	itemIndex: number,
): { startMs: number; endMs: number } {
	const start = toInstant(context.getNodeParameter('rangeStart', itemIndex, ''));
	const end = toInstant(context.getNodeParameter('rangeEnd', itemIndex, ''));
	if (start === null || end === null) {
		throw new NodeOperationError(
			context.getNode(),
			`${start === null ? 'From' : 'To'} is not a date`,
			{
				itemIndex,
				description:
					'Enter a date and time, or an expression that gives one, e.g. {{ $today.minus(1, "day") }}.',
			},
		);
	}
	if (start >= end) {
		throw new NodeOperationError(context.getNode(), 'From must be before To', { itemIndex });
	}
	return { startMs: start, endMs: end };
}

/** A numeric ID from a resource locator (list, program): from the list or typed by ID. */
export function readLocatorId(
	context: IExecuteFunctions,
	name: string,
	label: string,
	itemIndex: number,
): number {
	const value = context.getNodeParameter(name, itemIndex, '', { extractValue: true }) as unknown;
	const text = String(value ?? '').trim();
	const id = /^\d+$/.test(text) ? Number(text) : NaN;
	if (!Number.isSafeInteger(id) || id <= 0) {
		throw new NodeOperationError(context.getNode(), `Choose your ${label}`, {
			itemIndex,
			description: `Pick the ${label} from the list, or enter its ID (a number).`,
		});
	}
	return id;
}

/** A lead or custom object filter: a date range, or a static or smart list. */
export function readFilter(
	context: IExecuteFunctions,
	itemIndex: number,
	parameter: string,
): FilterChoice {
	const kind = context.getNodeParameter(parameter, itemIndex, 'createdAt') as FilterChoice['kind'];
	if (kind === 'staticListId') {
		return { kind, id: readLocatorId(context, 'staticList', 'static list', itemIndex) };
	}
	if (kind === 'smartListId') {
		return { kind, id: readLocatorId(context, 'smartList', 'smart list', itemIndex) };
	}
	return {
		kind: kind === 'updatedAt' ? 'updatedAt' : 'createdAt',
		...readDateRange(context, itemIndex),
	};
}
