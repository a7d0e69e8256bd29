/**
 * The activity log: what imports leave behind (New Lead, Change Data Value, Add to List,
 * Change Status in Progression), the types `activities/types.json` serves, and the columns a
 * Bulk Activity Extract writes. The database reports its changes here (DatabaseObserver).
 */
import type { InstanceSchema } from '../schema';
import type { LeadRecord } from '../types';

interface AttributeType {
	name: string;
	dataType: string;
}

export interface ActivityTypeDefinition {
	id: number;
	name: string;
	description: string;
	primaryAttribute: AttributeType;
	attributes: AttributeType[];
}

const attr = (name: string, dataType = 'string'): AttributeType => ({ name, dataType });

export const NEW_LEAD = 12;
export const CHANGE_DATA_VALUE = 13;
export const ADD_TO_LIST = 24;
export const CHANGE_STATUS_IN_PROGRESSION = 104;
/** Not extractable: Adobe sends clients to Get Deleted Leads instead. */
export const DELETE_LEAD = 37;

/** A subset of a real instance's standard types: the ones imports leave, and a few neighbours. */
export const ACTIVITY_TYPES: ActivityTypeDefinition[] = [
	{
		id: 1,
		name: 'Visit Webpage',
		description: 'User visits a web page',
		primaryAttribute: attr('Webpage ID', 'integer'),
		attributes: [attr('Client IP Address'), attr('Query Parameters'), attr('Webpage URL')],
	},
	{
		id: 2,
		name: 'Fill Out Form',
		description: 'User fills out and submits form on web page',
		primaryAttribute: attr('Webform ID', 'integer'),
		attributes: [
			attr('Client IP Address'),
			attr('Form Fields', 'text'),
			attr('Webpage ID', 'integer'),
		],
	},
	{
		id: NEW_LEAD,
		name: 'New Lead',
		description: 'New person/record is added to the lead database',
		primaryAttribute: attr('Lead ID', 'integer'),
		attributes: [attr('Source Type'), attr('Lead Source'), attr('List Name')],
	},
	{
		id: CHANGE_DATA_VALUE,
		name: 'Change Data Value',
		description: 'Changed attribute value for a person',
		primaryAttribute: attr('Attribute Name', 'integer'),
		attributes: [attr('New Value'), attr('Old Value'), attr('Reason'), attr('Source')],
	},
	{
		id: 22,
		name: 'Change Score',
		description: 'Change a score value for a person',
		primaryAttribute: attr('Field Name', 'integer'),
		attributes: [attr('Change Value'), attr('New Value', 'integer'), attr('Old Value', 'integer')],
	},
	{
		id: ADD_TO_LIST,
		name: 'Add to List',
		description: 'Person is added to a list',
		primaryAttribute: attr('List ID', 'integer'),
		attributes: [attr('Source')],
	},
	{
		id: 25,
		name: 'Remove from List',
		description: 'Person is removed from a list',
		primaryAttribute: attr('List ID', 'integer'),
		attributes: [attr('Source')],
	},
	{
		id: DELETE_LEAD,
		name: 'Delete Lead',
		description: 'Person is deleted from the lead database',
		primaryAttribute: attr('Lead ID', 'integer'),
		attributes: [attr('Remove from CRM', 'boolean')],
	},
	{
		id: CHANGE_STATUS_IN_PROGRESSION,
		name: 'Change Status in Progression',
		description: "Change a person's program status",
		primaryAttribute: attr('Program ID', 'integer'),
		attributes: [
			attr('Acquired By', 'boolean'),
			attr('New Status ID', 'integer'),
			attr('Old Status ID', 'integer'),
			attr('Program Member ID', 'integer'),
			attr('Reason'),
			attr('Success', 'boolean'),
		],
	},
];

export interface ActivityRecord {
	/** Marketo's activity GUIDs in extract files are integers written as strings. */
	marketoGUID: string;
	leadId: number;
	activityDate: number;
	activityTypeId: number;
	primaryAttributeValueId: number;
	primaryAttributeValue: string | null;
	attributes: Record<string, string | number | boolean>;
}

/** Default columns of an activity extract, in Adobe's order; `actionResult` only on request. */
export const ACTIVITY_COLUMNS = [
	'marketoGUID',
	'leadId',
	'activityDate',
	'activityTypeId',
	'campaignId',
	'primaryAttributeValueId',
	'primaryAttributeValue',
	'attributes',
];
export const ACTIVITY_FIELDS = [...ACTIVITY_COLUMNS, 'actionResult'];

/** What the database tells about its changes, with the time they happened. */
export interface DatabaseObserver {
	leadCreated(lead: LeadRecord, now: number): void;
	leadFieldChanged(
		lead: LeadRecord,
		field: string,
		oldValue: string,
		newValue: string,
		now: number,
	): void;
	addedToList(listId: number, leadId: number, now: number): void;
	memberStatusChanged(
		programId: number,
		leadId: number,
		memberId: number,
		oldStatus: string | undefined,
		newStatus: string,
		now: number,
	): void;
}

/** Imports are made through the API; the activities say so. */
const API_SOURCE = 'Web service API';
const NEW_LEAD_ATTRIBUTES = Object.freeze({ 'Source Type': 'New lead' }) as Record<string, string>;

export class ActivityLog implements DatabaseObserver {
	readonly activities: ActivityRecord[] = [];
	private nextId = 300_000_001;

	constructor(private readonly schema: InstanceSchema) {}

	private add(record: Omit<ActivityRecord, 'marketoGUID'>): void {
		this.activities.push({ marketoGUID: String(this.nextId++), ...record });
	}

	leadCreated(lead: LeadRecord, now: number): void {
		this.add({
			leadId: lead.id,
			activityDate: now,
			activityTypeId: NEW_LEAD,
			primaryAttributeValueId: lead.id,
			primaryAttributeValue: null,
			attributes: NEW_LEAD_ATTRIBUTES,
		});
	}

	leadFieldChanged(
		lead: LeadRecord,
		field: string,
		oldValue: string,
		newValue: string,
		now: number,
	) {
		const index = this.schema.leadFields.findIndex((f) => f.name === field);
		if (index < 0) return;
		this.add({
			leadId: lead.id,
			activityDate: now,
			activityTypeId: CHANGE_DATA_VALUE,
			primaryAttributeValueId: leadFieldId(index),
			primaryAttributeValue: this.schema.leadFields[index].displayName,
			attributes: {
				'New Value': newValue,
				'Old Value': oldValue,
				Reason: API_SOURCE,
				Source: API_SOURCE,
			},
		});
	}

	addedToList(listId: number, leadId: number, now: number): void {
		const list = this.schema.staticLists.find((l) => l.id === listId);
		this.add({
			leadId,
			activityDate: now,
			activityTypeId: ADD_TO_LIST,
			primaryAttributeValueId: listId,
			primaryAttributeValue: list ? qualifiedName(list.programName, list.name) : null,
			attributes: { Source: API_SOURCE },
		});
	}

	memberStatusChanged(
		programId: number,
		leadId: number,
		memberId: number,
		oldStatus: string | undefined,
		newStatus: string,
		now: number,
	): void {
		const program = this.schema.programs.find((p) => p.id === programId);
		const channel = this.schema.channels.find((c) => c.name === program?.channel);
		const statusIds = new Map(
			(channel?.progressionStatuses ?? []).map((s) => [s.name, (channel?.id ?? 0) * 100 + s.step]),
		);
		const before = oldStatus ?? 'Not in Program';
		const success =
			channel?.progressionStatuses.find((s) => s.name === newStatus)?.success ?? false;
		this.add({
			leadId,
			activityDate: now,
			activityTypeId: CHANGE_STATUS_IN_PROGRESSION,
			primaryAttributeValueId: programId,
			primaryAttributeValue: program?.name ?? null,
			attributes: {
				'Acquired By': oldStatus === undefined,
				'New Status': newStatus,
				'New Status ID': statusIds.get(newStatus) ?? 0,
				'Old Status': before,
				'Old Status ID': statusIds.get(before) ?? 0,
				'Program Member ID': memberId,
				Reason: `Changed by ${API_SOURCE}`,
				Success: success,
			},
		});
	}
}

/** Lead fields have no id in describe2 here; Change Data Value needs one: position-based. */
export function leadFieldId(index: number): number {
	return 1000 + index;
}

/** Adobe's `<program>.<asset>` notation for assets that live in a program. */
export function qualifiedName(programName: string | undefined, name: string): string {
	return programName ? `${programName}.${name}` : name;
}

/** A row of an activity extract; `fields` are columns of ACTIVITY_FIELDS. */
export function activityRow(
	activity: ActivityRecord,
	fields: string[],
	isoTime: (ms: number) => string,
) {
	return fields.map((field) => {
		switch (field) {
			case 'marketoGUID':
				return activity.marketoGUID;
			case 'leadId':
				return String(activity.leadId);
			case 'activityDate':
				return isoTime(activity.activityDate);
			case 'activityTypeId':
				return String(activity.activityTypeId);
			case 'primaryAttributeValueId':
				return String(activity.primaryAttributeValueId);
			case 'primaryAttributeValue':
				return activity.primaryAttributeValue ?? 'null';
			case 'attributes':
				return JSON.stringify(activity.attributes);
			case 'actionResult':
				return 'succeeded';
			default:
				// Imports run no campaign.
				return 'null';
		}
	});
}
