/**
 * The create body of an extract job, checked as Marketo checks it: the fields, the format,
 * the column names and the one filter each object type allows. Turns it into a JobSpec or
 * Marketo's error.
 */
import type { InstanceSchema } from '../schema';
import { isIsoDateTime } from '../rows';
import { ACTIVITY_COLUMNS, ACTIVITY_FIELDS, ACTIVITY_TYPES, DELETE_LEAD } from './activities';
import { exportableFields, linkFieldOf } from './select';
import type { ExtractKind } from './types';

export interface DateRange {
	/** Inclusive bounds in ms, whole seconds (Marketo's filters take no milliseconds). */
	from: number;
	to: number;
}

export interface ListFilter {
	createdAt?: DateRange;
	updatedAt?: DateRange;
	staticListId?: number;
	smartListId?: number;
}

export interface ActivityFilter {
	createdAt: DateRange;
	activityTypeIds?: number[];
	primaryAttributeValueIds?: number[];
	primaryAttributeValues?: string[];
}

export interface MemberFilter {
	programIds: number[];
	/** `programIds` was used: the file starts with a programId column. */
	several: boolean;
	statusNames?: string[];
	isExhausted?: boolean;
	nurtureCadence?: string;
	updatedAt?: DateRange;
}

export interface JobSpec {
	kind: ExtractKind;
	objectApiName?: string;
	format: 'CSV' | 'TSV' | 'SSV';
	fields: string[];
	/** Column headers: the field names after columnHeaderNames. */
	headers: string[];
	filter: ListFilter | ActivityFilter | MemberFilter;
}

export type Refusal = { code: string; message: string };

const MAX_RANGE_MS = 31 * 24 * 3600 * 1000;
const refuse = (code: string, message: string): Refusal => ({ code, message });
const invalid = (message: string): Refusal => refuse('1003', message);
const UNSUPPORTED = refuse('1035', 'Unsupported filter type for target subscription');

const isObject = (v: unknown): v is Record<string, unknown> =>
	typeof v === 'object' && v !== null && !Array.isArray(v);
const isIntegerArray = (v: unknown): v is number[] =>
	Array.isArray(v) && v.every((n) => Number.isInteger(n));
const isStringArray = (v: unknown): v is string[] =>
	Array.isArray(v) && v.every((s) => typeof s === 'string');

function dateRange(name: string, value: unknown): DateRange | Refusal {
	if (!isObject(value)) return invalid(`Invalid ${name} filter: startAt and endAt are required`);
	const { startAt, endAt } = value;
	if (typeof startAt !== 'string' || typeof endAt !== 'string')
		return invalid(`Invalid ${name} filter: startAt and endAt are required`);
	if (!isIsoDateTime(startAt) || !isIsoDateTime(endAt))
		return invalid(`Invalid ${name} filter: startAt and endAt must be ISO-8601 datetimes`);
	const from = Math.floor(Date.parse(startAt) / 1000) * 1000;
	const to = Math.floor(Date.parse(endAt) / 1000) * 1000;
	if (to < from) return invalid(`Invalid ${name} filter: endAt is before startAt`);
	if (to - from > MAX_RANGE_MS)
		return invalid(`Invalid ${name} filter: the date range exceeds 31 days`);
	return { from, to };
}

const isRefusal = (v: unknown): v is Refusal => isObject(v) && typeof v.code === 'string';

/** The one filter of a lead or custom object job (which filter types are allowed differs). */
function listFilter(
	filter: Record<string, unknown>,
	allowed: string[],
	advanced: string[],
	schema: InstanceSchema,
	advancedFilters: boolean,
): ListFilter | Refusal {
	const keys = Object.keys(filter);
	const unknown = keys.find((k) => !allowed.includes(k));
	if (unknown !== undefined) return invalid(`Invalid filter type '${unknown}'`);
	if (keys.length === 0) return invalid(`A filter is required, one of ${allowed.join(', ')}`);
	if (keys.length > 1) return invalid('Only one filter type may be specified per export job');
	const [key] = keys;
	if (advanced.includes(key) && !advancedFilters) return UNSUPPORTED;
	const value = filter[key];
	if (key === 'createdAt' || key === 'updatedAt') {
		const range = dateRange(key, value);
		return isRefusal(range) ? range : { [key]: range };
	}
	if (key === 'staticListId' || key === 'staticListName') {
		const list = schema.staticLists.find((l) =>
			key === 'staticListId' ? l.id === value : l.name === value,
		);
		return list ? { staticListId: list.id } : refuse('1013', 'Static list not found');
	}
	const smart = schema.smartLists.find((l) =>
		key === 'smartListId' ? l.id === value : l.name === value,
	);
	return smart ? { smartListId: smart.id } : refuse('1013', 'Smart list not found');
}

function activityFilter(filter: Record<string, unknown>): ActivityFilter | Refusal {
	const allowed = [
		'createdAt',
		'activityTypeIds',
		'primaryAttributeValueIds',
		'primaryAttributeValues',
	];
	const unknown = Object.keys(filter).find((k) => !allowed.includes(k));
	if (unknown !== undefined) return invalid(`Invalid filter type '${unknown}'`);
	if (filter.createdAt === undefined) return invalid('The createdAt filter is required');
	const createdAt = dateRange('createdAt', filter.createdAt);
	if (isRefusal(createdAt)) return createdAt;
	const out: ActivityFilter = { createdAt };
	const { activityTypeIds, primaryAttributeValueIds: ids, primaryAttributeValues: values } = filter;
	if (activityTypeIds !== undefined) {
		if (!isIntegerArray(activityTypeIds) || activityTypeIds.length === 0)
			return invalid('Invalid activityTypeIds: an array of activity type ids is required');
		const bad = activityTypeIds.filter(
			(id) => id === DELETE_LEAD || !ACTIVITY_TYPES.some((t) => t.id === id),
		);
		if (bad.length > 0) return invalid(`Invalid activityTypeIds: ${bad.join(', ')}`);
		out.activityTypeIds = activityTypeIds;
	}
	if (ids !== undefined && values !== undefined)
		return invalid('primaryAttributeValueIds and primaryAttributeValues cannot be used together');
	const primary = ids ?? values;
	if (primary !== undefined) {
		const name = ids !== undefined ? 'primaryAttributeValueIds' : 'primaryAttributeValues';
		if (!out.activityTypeIds) return invalid(`${name} requires the activityTypeIds filter`);
		const typed = ids !== undefined ? isIntegerArray(primary) : isStringArray(primary);
		if (!typed || (primary as unknown[]).length === 0 || (primary as unknown[]).length > 50)
			return invalid(`Invalid ${name}: between 1 and 50 values are allowed`);
		if (ids !== undefined) out.primaryAttributeValueIds = primary as number[];
		else out.primaryAttributeValues = primary as string[];
	}
	return out;
}

/** Accepted spellings of nurtureCadence: the OpenAPI's and the docs'. */
const CADENCES: Record<string, string> = {
	paused: 'paused',
	pause: 'paused',
	normal: 'normal',
	norm: 'normal',
};

function memberFilter(
	filter: Record<string, unknown>,
	schema: InstanceSchema,
	advancedFilters: boolean,
): MemberFilter | Refusal {
	const allowed = [
		'programId',
		'programIds',
		'isExhausted',
		'nurtureCadence',
		'statusNames',
		'updatedAt',
	];
	const unknown = Object.keys(filter).find((k) => !allowed.includes(k));
	if (unknown !== undefined) return invalid(`Invalid filter type '${unknown}'`);
	const { programId, programIds } = filter;
	if (programId !== undefined && programIds !== undefined)
		return invalid('programId and programIds cannot be used together');
	if (programId === undefined && programIds === undefined)
		return invalid('The programId or programIds filter is required');
	const ids = programIds !== undefined ? programIds : [programId];
	if (!isIntegerArray(ids) || ids.length === 0)
		return invalid('Invalid programId: integers are required');
	if (ids.length > 10) return invalid('Invalid programIds: at most 10 programs are allowed');
	if (ids.some((id) => !schema.programs.some((p) => p.id === id)))
		return refuse('1013', 'Program not found');
	const out: MemberFilter = { programIds: ids, several: programIds !== undefined };
	if (filter.statusNames !== undefined) {
		if (!isStringArray(filter.statusNames) || filter.statusNames.length === 0)
			return invalid('Invalid statusNames: an array of status names is required');
		const known = new Set(
			ids.flatMap((id) => {
				const program = schema.programs.find((p) => p.id === id);
				const channel = schema.channels.find((c) => c.name === program?.channel);
				return (channel?.progressionStatuses ?? []).map((s) => s.name);
			}),
		);
		// Adobe: a status name found in none of the programs answers "1003, Invalid Data".
		if (filter.statusNames.some((name) => !known.has(name))) return invalid('Invalid Data');
		out.statusNames = filter.statusNames;
	}
	if (filter.isExhausted !== undefined) {
		if (typeof filter.isExhausted !== 'boolean')
			return invalid('Invalid isExhausted: a boolean is required');
		out.isExhausted = filter.isExhausted;
	}
	if (filter.nurtureCadence !== undefined) {
		const cadence = CADENCES[String(filter.nurtureCadence)];
		if (!cadence) return invalid(`Invalid nurtureCadence '${String(filter.nurtureCadence)}'`);
		out.nurtureCadence = cadence;
	}
	if (filter.updatedAt !== undefined) {
		if (!advancedFilters) return UNSUPPORTED;
		const range = dateRange('updatedAt', filter.updatedAt);
		if (isRefusal(range)) return range;
		out.updatedAt = range;
	}
	return out;
}

function fieldsOf(
	body: Record<string, unknown>,
	kind: ExtractKind,
	allowed: Set<string>,
): string[] | Refusal {
	const { fields } = body;
	if (fields === undefined && kind === 'activities') return [...ACTIVITY_COLUMNS];
	if (!isStringArray(fields) || fields.length === 0)
		return invalid('Invalid fields: a non-empty array of field names is required');
	const unknown = fields.filter((f) => !allowed.has(f));
	if (unknown.length > 0) return invalid(`Invalid fields: ${unknown.join(', ')}`);
	const duplicate = fields.find((f, i) => fields.indexOf(f) !== i);
	if (duplicate !== undefined) return invalid(`Invalid fields: '${duplicate}' is listed twice`);
	return fields;
}

/** Checks a create body; `objectApiName` for custom objects (already known to exist). */
export function checkCreateBody(
	body: unknown,
	kind: ExtractKind,
	schema: InstanceSchema,
	advancedFilters: boolean,
	objectApiName?: string,
): JobSpec | Refusal {
	if (!isObject(body)) return refuse('609', 'Invalid JSON');
	const rawFormat = body.format ?? 'CSV';
	const format = typeof rawFormat === 'string' ? rawFormat.toUpperCase() : '';
	if (format !== 'CSV' && format !== 'TSV' && format !== 'SSV')
		return invalid(`Invalid format '${String(rawFormat)}', must be one of CSV, TSV, SSV`);
	if (kind === 'customObjects') {
		const object = schema.customObjects.find((o) => o.apiName === objectApiName);
		if (!object || !linkFieldOf(object))
			return invalid(
				`Custom object '${objectApiName}' is not linked to leads: only first-level objects linked to leads can be extracted`,
			);
	}
	const allowed =
		kind === 'activities'
			? new Set(ACTIVITY_FIELDS)
			: exportableFields(kind, schema, objectApiName);
	const fields = fieldsOf(body, kind, allowed);
	if (isRefusal(fields)) return fields;
	const renames = body.columnHeaderNames ?? {};
	if (!isObject(renames) || !Object.values(renames).every((v) => typeof v === 'string'))
		return invalid('Invalid columnHeaderNames: an object of field name to column name is required');
	const stray = Object.keys(renames).find((k) => !fields.includes(k));
	if (stray !== undefined)
		return invalid(`Invalid columnHeaderNames: '${stray}' is not an exported field`);
	if (body.filter === undefined) return invalid('A filter is required');
	if (!isObject(body.filter)) return invalid('Invalid filter: an object is required');
	const filter =
		kind === 'leads'
			? listFilter(
					body.filter,
					[
						'createdAt',
						'updatedAt',
						'staticListId',
						'staticListName',
						'smartListId',
						'smartListName',
					],
					['updatedAt', 'smartListId', 'smartListName'],
					schema,
					advancedFilters,
				)
			: kind === 'customObjects'
				? listFilter(
						body.filter,
						['updatedAt', 'staticListId', 'staticListName', 'smartListId', 'smartListName'],
						['smartListId', 'smartListName'],
						schema,
						advancedFilters,
					)
				: kind === 'activities'
					? activityFilter(body.filter)
					: memberFilter(body.filter, schema, advancedFilters);
	if (isRefusal(filter)) return filter;
	const headers = fields.map((f) => (renames as Record<string, string>)[f] ?? f);
	return { kind, objectApiName, format, fields, headers, filter };
}

export { isRefusal };
