/**
 * What a job extracts, decided when it starts processing (Adobe: "members of the list at the
 * time the job begins processing"): the matching records, in a fixed order, as rows of cell
 * text. Stored data is copied into the rows then, so the file never changes afterwards;
 * generated leads are computed from their index, so any size costs no memory.
 */
import type { InstanceDatabase } from '../database';
import type { InstanceSchema } from '../schema';
import type { CustomObjectDefinition, LeadRecord, SmartListDefinition } from '../types';
import { activityRow, type ActivityRecord } from './activities';
import type { ActivityFilter, DateRange, JobSpec, ListFilter, MemberFilter } from './validate';
import type { ExtractKind } from './types';

/** Rows of a file body, by index (the header is separate). */
export interface RowSource {
	count: number;
	row(index: number): string[];
}

/** Fixed time text of the answers and files: ISO 8601 without milliseconds. */
export function isoTime(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Adobe: "If a requested field contains no data, the corresponding field in the file contains null". */
const orNull = (value: string | undefined): string =>
	value === undefined || value === '' ? 'null' : value;

const inRange = (ms: number, range: DateRange) => {
	const second = Math.floor(ms / 1000) * 1000;
	return second >= range.from && second <= range.to;
};

/** Standard program member fields the describe here does not list, yet an extract can ask for. */
const EXTRA_MEMBER_FIELDS = [
	'program',
	'isExhausted',
	'acquiredBy',
	'nurtureCadence',
	'createdAt',
	'updatedAt',
];

/** The field of a custom object that links a record to a lead (the describe's relationship). */
export function linkFieldOf(object: CustomObjectDefinition): string | undefined {
	return object.fields.some((f) => f.name === 'customerId') ? 'customerId' : undefined;
}

export function exportableFields(
	kind: ExtractKind,
	schema: InstanceSchema,
	objectApiName?: string,
): Set<string> {
	const leadFields = schema.leadFields.map((f) => f.name);
	if (kind === 'leads') return new Set(leadFields);
	if (kind === 'programMembers')
		return new Set([
			...leadFields,
			...schema.programMemberFields.map((f) => f.name),
			...EXTRA_MEMBER_FIELDS,
		]);
	const object = schema.customObjects.find((o) => o.apiName === objectApiName);
	return new Set((object?.fields ?? []).map((f) => f.name));
}

export function leadValue(lead: LeadRecord, field: string): string {
	if (field === 'id') return String(lead.id);
	if (field === 'createdAt') return isoTime(lead.createdAt);
	if (field === 'updatedAt') return isoTime(lead.updatedAt);
	return orNull(lead.fields[field]);
}

export function isSmartListMember(list: SmartListDefinition, lead: LeadRecord): boolean {
	return list.conditions.every((condition) => {
		const value = leadValue(lead, condition.field).toLowerCase();
		return condition.values.some((v) => v.toLowerCase() === value);
	});
}

/** Leads made up from their index (state.addGeneratedLeads): never stored. */
export interface GeneratedLeads {
	firstId: number;
	count: number;
	from: number;
	to: number;
}

export function generatedLead(block: GeneratedLeads, index: number): LeadRecord {
	const id = block.firstId + index;
	const at = block.from + Math.floor((index * (block.to - block.from)) / Math.max(1, block.count));
	return {
		id,
		partitionId: 1,
		createdAt: at,
		updatedAt: at,
		fields: {
			id: String(id),
			email: `generated${id}@generated.example.com`,
			firstName: `First${index}`,
			lastName: `Last ${index % 9973}`,
			company: `Company ${index % 1000}, Inc.`,
			leadScore: String(index % 100),
		},
	};
}

/** Index range [start, end) of a block's leads created within `range` (creation times ascend). */
function generatedRange(block: GeneratedLeads, range: DateRange): [number, number] {
	const firstAtOrAfter = (limit: number) => {
		let lo = 0;
		let hi = block.count;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (Math.floor(generatedLead(block, mid).createdAt / 1000) * 1000 < limit) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	};
	return [firstAtOrAfter(range.from), firstAtOrAfter(range.to + 1000)];
}

export interface SelectionSources {
	schema: InstanceSchema;
	db: InstanceDatabase;
	activities: ActivityRecord[];
	generated: GeneratedLeads[];
}

function leadMatches(filter: ListFilter, lead: LeadRecord, src: SelectionSources): boolean {
	if (filter.createdAt) return inRange(lead.createdAt, filter.createdAt);
	if (filter.updatedAt) return inRange(lead.updatedAt, filter.updatedAt);
	if (filter.staticListId !== undefined) return src.db.isListMember(filter.staticListId, lead.id);
	const smart = src.schema.smartLists.find((l) => l.id === filter.smartListId);
	return smart !== undefined && isSmartListMember(smart, lead);
}

function selectLeads(spec: JobSpec, src: SelectionSources): RowSource {
	const filter = spec.filter as ListFilter;
	const stored = src.db.leads
		.filter((lead) => leadMatches(filter, lead, src))
		.map((lead) => spec.fields.map((f) => leadValue(lead, f)));
	const range = filter.createdAt ?? filter.updatedAt;
	// Generated leads were never changed (updatedAt = createdAt) and belong to no list.
	const blocks = range
		? src.generated.map((block) => ({ block, span: generatedRange(block, range) }))
		: [];
	const count = stored.length + blocks.reduce((sum, b) => sum + b.span[1] - b.span[0], 0);
	return {
		count,
		row: (index) => {
			if (index < stored.length) return stored[index];
			let rest = index - stored.length;
			for (const { block, span } of blocks) {
				const size = span[1] - span[0];
				if (rest < size) {
					const lead = generatedLead(block, span[0] + rest);
					return spec.fields.map((f) => leadValue(lead, f));
				}
				rest -= size;
			}
			throw new RangeError(`No row ${index}`);
		},
	};
}

function activityMatches(filter: ActivityFilter, activity: ActivityRecord): boolean {
	if (!inRange(activity.activityDate, filter.createdAt)) return false;
	if (filter.activityTypeIds && !filter.activityTypeIds.includes(activity.activityTypeId))
		return false;
	if (filter.primaryAttributeValueIds)
		return filter.primaryAttributeValueIds.includes(activity.primaryAttributeValueId);
	if (filter.primaryAttributeValues)
		return filter.primaryAttributeValues.includes(activity.primaryAttributeValue ?? '');
	return true;
}

function selectMembers(spec: JobSpec, src: SelectionSources): string[][] {
	const filter = spec.filter as MemberFilter;
	const rows: string[][] = [];
	for (const programId of filter.programIds) {
		const program = src.schema.programs.find((p) => p.id === programId);
		const channel = src.schema.channels.find((c) => c.name === program?.channel);
		const memberFields = new Set(src.schema.programMemberFields.map((f) => f.name));
		const leadFields = new Set(src.schema.leadFields.map((f) => f.name));
		for (const member of src.db.programMembers(programId)) {
			const times = src.db.memberTimesOf(programId, member.leadId);
			const lead = src.db.leadById(member.leadId);
			if (filter.statusNames && !filter.statusNames.includes(member.status)) continue;
			if (filter.updatedAt && !(times && inRange(times.updatedAt, filter.updatedAt))) continue;
			// No engagement program runs here: no member has exhausted content or a cadence.
			if (filter.isExhausted === true || filter.nurtureCadence !== undefined) continue;
			const value = (field: string): string => {
				if (leadFields.has(field) && lead) return leadValue(lead, field);
				switch (field) {
					case 'leadId':
						return String(member.leadId);
					case 'programId':
						return String(programId);
					case 'program':
						return program?.name ?? 'null';
					case 'statusName':
						return member.status;
					case 'membershipDate':
						return times ? isoTime(times.createdAt) : 'null';
					case 'reachedSuccess': {
						const status = channel?.progressionStatuses.find((s) => s.name === member.status);
						return String(status?.success ?? false);
					}
					case 'isExhausted':
						return 'false';
					case 'acquiredBy':
						return 'true';
					default:
						return memberFields.has(field) ? orNull(member.fields[field]) : 'null';
				}
			};
			const cells = spec.fields.map(value);
			rows.push(filter.several ? [String(programId), ...cells] : cells);
		}
	}
	return rows;
}

function selectObjects(spec: JobSpec, src: SelectionSources): string[][] {
	const filter = spec.filter as ListFilter;
	const object = src.schema.customObjects.find((o) => o.apiName === spec.objectApiName);
	const link = object ? linkFieldOf(object) : undefined;
	const rows: string[][] = [];
	for (const record of src.db.customObjectRecords(spec.objectApiName ?? '')) {
		const times = src.db.objectTimesOf(record.marketoGUID);
		const lead = src.db.leadById(Number(record.fields[link ?? ''] ?? NaN));
		if (filter.updatedAt) {
			if (!times || !inRange(times.updatedAt, filter.updatedAt)) continue;
		} else if (!lead || !leadMatches(filter, lead, src)) continue;
		rows.push(
			spec.fields.map((field) => {
				if (field === 'marketoGUID') return record.marketoGUID;
				if (field === 'createdAt') return times ? isoTime(times.createdAt) : 'null';
				if (field === 'updatedAt') return times ? isoTime(times.updatedAt) : 'null';
				return orNull(record.fields[field]);
			}),
		);
	}
	return rows;
}

/** The rows of a job starting now, and the header to write above them. */
export function selectRows(
	spec: JobSpec,
	src: SelectionSources,
): { header: string[]; rows: RowSource } {
	const fixed = (rows: string[][]): RowSource => ({ count: rows.length, row: (i) => rows[i] });
	if (spec.kind === 'leads') return { header: spec.headers, rows: selectLeads(spec, src) };
	if (spec.kind === 'activities') {
		const filter = spec.filter as ActivityFilter;
		const rows = src.activities
			.filter((a) => activityMatches(filter, a))
			.map((a) => activityRow(a, spec.fields, isoTime));
		return { header: spec.headers, rows: fixed(rows) };
	}
	if (spec.kind === 'programMembers') {
		const several = (spec.filter as MemberFilter).several;
		return {
			header: several ? ['programId', ...spec.headers] : spec.headers,
			rows: fixed(selectMembers(spec, src)),
		};
	}
	return { header: spec.headers, rows: fixed(selectObjects(spec, src)) };
}

/** Seeded smart lists: partners, and top-tier customers. */
export const SEED_SMART_LISTS: SmartListDefinition[] = [
	{
		id: 3001,
		name: 'Partners',
		conditions: [{ field: 'isPartner', values: ['true', '1', 'yes'] }],
	},
	{
		id: 3002,
		name: 'Gold and Platinum Customers',
		conditions: [{ field: 'customerTier', values: ['Gold', 'Platinum'] }],
	},
];
