/**
 * The in-memory Marketo database imports write to: leads, static list memberships,
 * program memberships and custom object records. Tests read it through `state`.
 */
import type { DatabaseObserver } from './extract/activities';
import type { CustomObjectRecord, FieldDefinition, LeadRecord, ProgramMemberRecord } from './types';

export const DEFAULT_PARTITION_ID = 1;

/** Leads sharing one lookup value (normally one; duplicates are possible, as in Marketo). */
type LeadsByValue = Map<string, LeadRecord[]>;

/** When a program membership or custom object record was created and last changed (extracts filter on them). */
export interface RecordTimes {
	createdAt: number;
	updatedAt: number;
	/** Program memberships only: Marketo's "Program Member ID". */
	memberId?: number;
}

export class InstanceDatabase {
	readonly leads: LeadRecord[] = [];
	private nextLeadId = 1;
	private readonly leadsById = new Map<number, LeadRecord>();
	/**
	 * Lookup indexes, one per field, built the first time a field is looked up and kept up
	 * to date by createLead/updateLead, so a row costs O(1) however many leads are stored.
	 */
	private readonly indexes = new Map<string, LeadsByValue>();
	private readonly lists = new Map<number, Set<number>>();
	private readonly members = new Map<number, Map<number, ProgramMemberRecord>>();
	private readonly objects = new Map<string, Map<string, CustomObjectRecord>>();
	private nextGuid = 1;
	private readonly emailFields: Set<string>;
	private readonly memberTimes = new Map<string, RecordTimes>();
	private readonly objectTimes = new Map<string, RecordTimes>();
	private nextMemberId = 5001;

	constructor(
		leadFields: FieldDefinition[],
		private readonly observer?: DatabaseObserver,
	) {
		this.emailFields = new Set(leadFields.filter((f) => f.dataType === 'email').map((f) => f.name));
	}

	/** Email-typed fields dedupe without regard to letter case, like Marketo; others exactly. */
	private indexKey(fieldName: string, value: string): string {
		return this.emailFields.has(fieldName) ? value.toLowerCase() : value;
	}

	private indexFor(fieldName: string): LeadsByValue {
		let index = this.indexes.get(fieldName);
		if (!index) {
			index = new Map();
			for (const lead of this.leads) this.addToIndex(index, fieldName, lead);
			this.indexes.set(fieldName, index);
		}
		return index;
	}

	private addToIndex(index: LeadsByValue, fieldName: string, lead: LeadRecord): void {
		const value = lead.fields[fieldName];
		if (value === undefined) return;
		const key = this.indexKey(fieldName, value);
		const bucket = index.get(key);
		if (bucket) bucket.push(lead);
		else index.set(key, [lead]);
	}

	private removeFromIndex(index: LeadsByValue, fieldName: string, lead: LeadRecord): void {
		const value = lead.fields[fieldName];
		if (value === undefined) return;
		const key = this.indexKey(fieldName, value);
		const bucket = index.get(key);
		if (!bucket) return;
		const at = bucket.indexOf(lead);
		if (at >= 0) bucket.splice(at, 1);
		if (bucket.length === 0) index.delete(key);
	}

	leadById(id: number): LeadRecord | undefined {
		return this.leadsById.get(id);
	}

	/**
	 * Most recently updated match wins when several leads share a value (Marketo's rule for
	 * duplicates); on equal update times the later created lead wins.
	 */
	findLead(fieldName: string, value: string, partitionId?: number): LeadRecord | undefined {
		if (fieldName === 'id') return this.leadById(Number(value));
		const bucket = this.indexFor(fieldName).get(this.indexKey(fieldName, value));
		if (!bucket) return undefined;
		let best: LeadRecord | undefined;
		for (const lead of bucket) {
			if (partitionId !== undefined && lead.partitionId !== partitionId) continue;
			if (
				!best ||
				lead.updatedAt > best.updatedAt ||
				(lead.updatedAt === best.updatedAt && lead.id > best.id)
			)
				best = lead;
		}
		return best;
	}

	createLead(values: Record<string, string>, partitionId: number, now: number): LeadRecord {
		const id = this.nextLeadId++;
		const lead: LeadRecord = {
			id,
			partitionId,
			fields: { ...values, id: String(id) },
			createdAt: now,
			updatedAt: now,
		};
		this.leads.push(lead);
		this.leadsById.set(id, lead);
		for (const [fieldName, index] of this.indexes) this.addToIndex(index, fieldName, lead);
		this.observer?.leadCreated(lead, now);
		return lead;
	}

	/** Lead ids nobody else will get (generated leads of extracts); returns the first. */
	reserveLeadIds(count: number): number {
		const first = this.nextLeadId;
		this.nextLeadId += count;
		return first;
	}

	updateLead(lead: LeadRecord, values: Record<string, string>, now: number): void {
		const { id: _ignored, ...rest } = values;
		void _ignored;
		// Re-file the lead under its new values in every index that covers a changed field.
		const moved: Array<[string, LeadsByValue]> = [];
		for (const fieldName of Object.keys(rest)) {
			const index = this.indexes.get(fieldName);
			if (index && lead.fields[fieldName] !== rest[fieldName]) {
				this.removeFromIndex(index, fieldName, lead);
				moved.push([fieldName, index]);
			}
		}
		if (this.observer) {
			for (const [fieldName, value] of Object.entries(rest)) {
				const old = lead.fields[fieldName];
				if (old !== value) this.observer.leadFieldChanged(lead, fieldName, old ?? '', value, now);
			}
		}
		Object.assign(lead.fields, rest);
		for (const [fieldName, index] of moved) this.addToIndex(index, fieldName, lead);
		lead.updatedAt = now;
	}

	/** `now` (when known) records the Add to List activity of a new membership. */
	addToList(listId: number, leadId: number, now?: number): void {
		const set = this.lists.get(listId) ?? new Set<number>();
		const added = !set.has(leadId);
		set.add(leadId);
		this.lists.set(listId, set);
		if (added && now !== undefined) this.observer?.addedToList(listId, leadId, now);
	}

	isListMember(listId: number, leadId: number): boolean {
		return this.lists.get(listId)?.has(leadId) ?? false;
	}

	/** Members in lead id order (the order leads were created). */
	listMembers(listId: number): LeadRecord[] {
		const ids = [...(this.lists.get(listId) ?? [])].sort((a, b) => a - b);
		return ids
			.map((id) => this.leadsById.get(id))
			.filter((lead): lead is LeadRecord => lead !== undefined);
	}

	upsertProgramMember(
		programId: number,
		lead: LeadRecord,
		status: string,
		fields: Record<string, string>,
		now?: number,
	): void {
		const byLead = this.members.get(programId) ?? new Map<number, ProgramMemberRecord>();
		const existing = byLead.get(lead.id);
		if (now !== undefined) {
			const key = `${programId}:${lead.id}`;
			const times = this.memberTimes.get(key) ?? {
				createdAt: now,
				updatedAt: now,
				memberId: this.nextMemberId++,
			};
			times.updatedAt = now;
			this.memberTimes.set(key, times);
			if (existing?.status !== status)
				this.observer?.memberStatusChanged(
					programId,
					lead.id,
					times.memberId as number,
					existing?.status,
					status,
					now,
				);
		}
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

	memberTimesOf(programId: number, leadId: number): RecordTimes | undefined {
		return this.memberTimes.get(`${programId}:${leadId}`);
	}

	objectTimesOf(marketoGUID: string): RecordTimes | undefined {
		return this.objectTimes.get(marketoGUID);
	}

	/** Upserts by the dedupe key (all dedupe field values, in order). */
	upsertCustomObject(
		apiName: string,
		dedupeValues: string[],
		fields: Record<string, string>,
		now?: number,
	): CustomObjectRecord {
		const records = this.objects.get(apiName) ?? new Map<string, CustomObjectRecord>();
		const key = JSON.stringify(dedupeValues);
		const existing = records.get(key);
		if (existing) {
			Object.assign(existing.fields, fields);
			const times = this.objectTimes.get(existing.marketoGUID);
			if (times && now !== undefined) times.updatedAt = now;
			return existing;
		}
		const guid = `00000000-0000-4000-8000-${String(this.nextGuid++).padStart(12, '0')}`;
		const record: CustomObjectRecord = { marketoGUID: guid, fields: { ...fields } };
		if (now !== undefined) this.objectTimes.set(guid, { createdAt: now, updatedAt: now });
		records.set(key, record);
		this.objects.set(apiName, records);
		return record;
	}

	customObjectRecords(apiName: string): CustomObjectRecord[] {
		return [...(this.objects.get(apiName)?.values() ?? [])];
	}
}
