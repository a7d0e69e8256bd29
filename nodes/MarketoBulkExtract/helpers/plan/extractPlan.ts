/**
 * What one extract asks Marketo for: the target, the columns, and one job body per window. Pure:
 * the operations read their parameters into a FilterChoice, and this turns it into the bodies
 * Marketo's create endpoints take (bulk-*-extract.md; OpenAPI `createExport*UsingPOST`).
 */
import type { IDataObject } from 'n8n-workflow';

import type { CsvFormat } from '../../../shared/csv/formats';
import type { ExtractTarget } from '../../../shared/extractTypes';
import { splitIntoWindows, type DateWindow } from './windows';

/** The filters Marketo defines, per object; a date range may be longer than a job takes. */
export type FilterChoice =
	| { kind: 'createdAt' | 'updatedAt'; startMs: number; endMs: number }
	| { kind: 'staticListId' | 'smartListId'; id: number }
	| { kind: 'programIds'; ids: number[] };

export interface ExtraFilters {
	/** activities */
	activityTypeIds?: number[];
	/** program members */
	statusNames?: string[];
	isExhausted?: boolean;
}

export interface ExtractRequest {
	target: ExtractTarget;
	/** the columns to extract; null: Marketo's default columns (activities) */
	fields: string[] | null;
	filter: FilterChoice;
	extra: ExtraFilters;
	format: CsvFormat;
}

export interface PlannedJob {
	/** the window this job covers, for date-range filters */
	window: DateWindow | null;
	body: IDataObject;
}

/** Pure: `{ createdAt: { startAt, endAt } }` or the list / program filter, with the extras. */
function filterBody(request: ExtractRequest, window: DateWindow | null): IDataObject {
	const { filter, extra } = request;
	const body: IDataObject = {};
	switch (filter.kind) {
		case 'createdAt':
		case 'updatedAt':
			body[filter.kind] = { startAt: window?.startAt, endAt: window?.endAt };
			break;
		case 'programIds':
			if (filter.ids.length === 1) body.programId = filter.ids[0];
			else body.programIds = filter.ids;
			break;
		case 'staticListId':
		case 'smartListId':
			body[filter.kind] = filter.id;
			break;
	}
	if (extra.activityTypeIds && extra.activityTypeIds.length > 0) {
		body.activityTypeIds = extra.activityTypeIds;
	}
	if (extra.statusNames && extra.statusNames.length > 0) body.statusNames = extra.statusNames;
	if (extra.isExhausted !== undefined) body.isExhausted = extra.isExhausted;
	return body;
}

/** Pure: the jobs of an extract, one per window of a date range, one otherwise. */
export function planJobs(request: ExtractRequest): PlannedJob[] {
	const { filter } = request;
	const windows =
		filter.kind === 'createdAt' || filter.kind === 'updatedAt'
			? splitIntoWindows(filter.startMs, filter.endMs)
			: [null];
	return windows.map((window) => ({
		window,
		body: {
			...(request.fields !== null ? { fields: request.fields } : {}),
			format: request.format.toUpperCase(),
			filter: filterBody(request, window),
		},
	}));
}

/** Pure: what the extract is, for messages and the output ("leads created 2026-01-01 to 2026-03-01"). */
export function describeRequest(request: ExtractRequest): string {
	const what =
		request.target.extractType === 'customObjects'
			? `custom object ${request.target.objectApiName ?? ''}`
			: request.target.extractType === 'programMembers'
				? 'program members'
				: request.target.extractType;
	const { filter } = request;
	switch (filter.kind) {
		case 'createdAt':
		case 'updatedAt':
			return `${what} ${filter.kind === 'createdAt' ? 'created' : 'updated'} from ${new Date(filter.startMs).toISOString()} to ${new Date(filter.endMs).toISOString()}`;
		case 'staticListId':
			return `${what} of static list ${filter.id}`;
		case 'smartListId':
			return `${what} of smart list ${filter.id}`;
		case 'programIds':
			return `${what} of program${filter.ids.length > 1 ? 's' : ''} ${filter.ids.join(', ')}`;
	}
}
