/**
 * The in-memory Marketo database imports write to: leads, static list memberships,
 * program memberships and custom object records. Tests read it through `state`.
 */
import type { CustomObjectRecord, FieldDefinition, LeadRecord, ProgramMemberRecord } from './types';

export const DEFAULT_PARTITION_ID = 1;

export class InstanceDatabase {
	readonly leads: LeadRecord[] = [];
	private nextLeadId = 1;
	private readonly lists = new Map<number, Set<number>>();
	private readonly members = new Map<number, Map<number, ProgramMemberRecord>>();
	private readonly objects = new Map<string, Map<string, CustomObjectRecord>>();
	private nextGuid = 1;

	constructor(private readonly leadFields: FieldDefinition[]) {}

	/** Email-typed fields dedupe without regard to letter case, like Marketo; others exactly. */
	private sameValue(fieldName: string, a: string | undefined, b: string): boolean {
		if (a === undefined) return false;
		const field = this.leadFields.find((f) => f.name === fieldName);
		return field?.dataType === 'email' ? a.toLowerCase() === b.toLowerCase() : a === b;
	}

	leadById(id: number): LeadRecord | undefined {
		return this.leads.find((lead) => lead.id === id);
	}

	/** Most recently updated match wins when several leads share a value (Marketo's rule for duplicates). */
	findLead(fieldName: string, value: string, partitionId?: number): LeadRecord | undefined {
		if (fieldName === 'id') return this.leadById(Number(value));
		let best: LeadRecord | undefined;
		for (const lead of this.leads) {
			if (partitionId !== undefined && lead.partitionId !== partitionId) continue;
			if (!this.sameValue(fieldName, lead.fields[fieldName], value)) continue;
			if (!best || lead.updatedAt >= best.updatedAt) best = lead;
		}
		return best;
	}

	createLead(values: Record<string, string>, partitionId: number, now: number): LeadRecord {
		const id = this.nextLeadId++;
		const lead: LeadRecord = { id, partitionId, fields: { ...values, id: String(id) }, createdAt: now, updatedAt: now };
		this.leads.push(lead);
		return lead;
	}

	updateLead(lead: LeadRecord, values: Record<string, string>, now: number): void {
		const { id: _ignored, ...rest } = values;
		void _ignored;
		Object.assign(lead.fields, rest);
		lead.updatedAt = now;
	}

	addToList(listId: number, leadId: number): void {
		const set = this.lists.get(listId) ?? new Set<number>();
		set.add(leadId);
		this.lists.set(listId, set);
	}

	listMembers(listId: number): LeadRecord[] {
		const ids = this.lists.get(listId) ?? new Set<number>();
		return this.leads.filter((lead) => ids.has(lead.id));
	}

	upsertProgramMember(programId: number, lead: LeadRecord, status: string, fields: Record<string, string>): void {
		const byLead = this.members.get(programId) ?? new Map<number, ProgramMemberRecord>();
		const existing = byLead.get(lead.id);
		byLead.set(lead.id, {
			programId,
			leadId: lead.id,
			email: lead.fields.email ?? '',
			status,
			fields: { ...(existing?.fields ?? {}), ...fields },
		});
		this.members.set(programId, byLead);
	}

	programMembers(programId: number): ProgramMemberRecord[] {
		return [...(this.members.get(programId)?.values() ?? [])];
	}

	/** Upserts by the dedupe key (all dedupe field values, in order). */
	upsertCustomObject(apiName: string, dedupeValues: string[], fields: Record<string, string>): CustomObjectRecord {
		const records = this.objects.get(apiName) ?? new Map<string, CustomObjectRecord>();
		const key = JSON.stringify(dedupeValues);
		const existing = records.get(key);
		if (existing) {
			Object.assign(existing.fields, fields);
			return existing;
		}
		const guid = `00000000-0000-4000-8000-${String(this.nextGuid++).padStart(12, '0')}`;
		const record: CustomObjectRecord = { marketoGUID: guid, fields: { ...fields } };
		records.set(key, record);
		this.objects.set(apiName, records);
		return record;
	}

	customObjectRecords(apiName: string): CustomObjectRecord[] {
		return [...(this.objects.get(apiName)?.values() ?? [])];
	}
}
