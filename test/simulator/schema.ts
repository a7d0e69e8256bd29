/**
 * The seeded instance: lead fields (the same list describe2 serves and imports validate
 * against), program member fields, partitions, channels, programs, static lists and
 * custom objects. Tests can replace any part through `SimulatorOptions.schema`.
 */
import { SEED_SMART_LISTS } from './extract/select';
import type {
	ChannelDefinition,
	CustomObjectDefinition,
	FieldDefinition,
	PartitionDefinition,
	ProgramDefinition,
	SchemaOverrides,
	SimpleDataType,
	SmartListDefinition,
	StaticListDefinition,
} from './types';

function field(
	name: string,
	displayName: string,
	dataType: SimpleDataType,
	extra: Partial<FieldDefinition> = {},
): FieldDefinition {
	const stringLike = ['string', 'email', 'phone', 'url', 'reference'].includes(dataType);
	return {
		name,
		displayName,
		dataType,
		...(stringLike ? { length: 255 } : {}),
		updateable: true,
		crmManaged: false,
		...extra,
	};
}

const readOnly = { updateable: false };

export const SEED_LEAD_FIELDS: FieldDefinition[] = [
	field('id', 'Id', 'integer', readOnly),
	field('email', 'Email Address', 'email'),
	field('firstName', 'First Name', 'string'),
	field('lastName', 'Last Name', 'string'),
	field('middleName', 'Middle Name', 'string'),
	field('salutation', 'Salutation', 'string'),
	field('company', 'Company Name', 'string'),
	field('title', 'Job Title', 'string'),
	field('phone', 'Phone Number', 'phone'),
	field('mobilePhone', 'Mobile Phone Number', 'phone'),
	field('fax', 'Fax Number', 'phone'),
	field('website', 'Website', 'url'),
	field('leadScore', 'Lead Score', 'integer'),
	field('annualRevenue', 'Annual Revenue', 'currency'),
	field('numberOfEmployees', 'Num Employees', 'integer'),
	field('industry', 'Industry', 'string'),
	field('leadSource', 'Lead Source', 'string'),
	field('leadStatus', 'Lead Status', 'string'),
	field('rating', 'Lead Rating', 'string'),
	field('unsubscribed', 'Unsubscribed', 'boolean'),
	field('unsubscribedReason', 'Unsubscribed Reason', 'text'),
	field('doNotCall', 'Do Not Call', 'boolean'),
	field('dateOfBirth', 'Date of Birth', 'date'),
	field('address', 'Address', 'text'),
	field('city', 'City', 'string'),
	field('state', 'State', 'string'),
	field('postalCode', 'Postal Code', 'string'),
	field('country', 'Country', 'string'),
	field('twitterId', 'Twitter Id', 'string'),
	field('facebookId', 'Facebook Id', 'string'),
	field('linkedInId', 'LinkedIn Id', 'string'),
	field('sfdcLeadId', 'SFDC Lead ID', 'string', { crmManaged: true }),
	field('sfdcContactId', 'SFDC Contact ID', 'string', { crmManaged: true }),
	field('sfdcAccountId', 'SFDC Account ID', 'string', { crmManaged: true }),
	field('sfdcLeadOwnerId', 'Lead Owner SFDC ID', 'string', { crmManaged: true }),
	field('sfdcOpptyId', 'SFDC Oppty ID', 'string', { crmManaged: true }),
	field('cookies', 'Cookies', 'string'),
	field('externalCompanyId', 'External Company Id', 'string'),
	field('externalSalesPersonId', 'External Sales Person Id', 'string'),
	field('createdAt', 'Created At', 'datetime', readOnly),
	field('updatedAt', 'Updated At', 'datetime', readOnly),
	// Custom fields, one per type, so typed validation can be exercised.
	field('customerTier', 'Customer Tier', 'string', { length: 20 }),
	field('loyaltyPoints', 'Loyalty Points', 'integer'),
	field('discountRate', 'Discount Rate', 'float'),
	field('isPartner', 'Is Partner', 'boolean'),
	field('renewalDate', 'Renewal Date', 'date'),
	field('lastWebinarAt', 'Last Webinar At', 'datetime'),
	field('billingEmail', 'Billing Email', 'email'),
	field('crmAccountNumber', 'CRM Account Number', 'string', { length: 40 }),
];

/** lookupField values Adobe documents for bulk lead import; custom string/email/integer fields are added. */
export const DOCUMENTED_LOOKUP_FIELDS = [
	'id',
	'cookies',
	'email',
	'twitterId',
	'facebookId',
	'linkedInId',
	'sfdcAccountId',
	'sfdcContactId',
	'sfdcLeadId',
	'sfdcLeadOwnerId',
	'sfdcOpptyId',
];

/** Standard fields the lookup rule for "custom" fields must not pick up. */
const STANDARD_LEAD_FIELD_NAMES = new Set(
	SEED_LEAD_FIELDS.filter((f) => !isSeedCustom(f.name)).map((f) => f.name),
);

function isSeedCustom(name: string): boolean {
	return [
		'customerTier',
		'loyaltyPoints',
		'discountRate',
		'isPartner',
		'renewalDate',
		'lastWebinarAt',
		'billingEmail',
		'crmAccountNumber',
	].includes(name);
}

/** Lookup fields accepted for a given lead schema. */
export function allowedLookupFields(leadFields: FieldDefinition[]): Set<string> {
	const allowed = new Set(
		DOCUMENTED_LOOKUP_FIELDS.filter((name) => leadFields.some((f) => f.name === name)),
	);
	for (const f of leadFields) {
		const custom = !STANDARD_LEAD_FIELD_NAMES.has(f.name);
		if (custom && ['string', 'email', 'integer'].includes(f.dataType)) allowed.add(f.name);
	}
	return allowed;
}

export const SEED_PROGRAM_MEMBER_FIELDS: FieldDefinition[] = [
	field('leadId', 'Lead Id', 'integer', readOnly),
	field('programId', 'Program Id', 'integer', readOnly),
	field('statusName', 'Status', 'string', readOnly),
	field('membershipDate', 'Membership Date', 'datetime', readOnly),
	field('reachedSuccess', 'Reached Success', 'boolean', readOnly),
	field('attendanceLikelihood', 'Attendance Likelihood', 'integer', readOnly),
	// Custom program member fields.
	field('webinarUrl', 'Webinar URL', 'url'),
	field('registrationCode', 'Registration Code', 'string', { length: 30 }),
	field('seatsReserved', 'Seats Reserved', 'integer'),
	field('webinarQuestion', 'Webinar Question', 'string'),
	field('attendedMinutes', 'Attended Minutes', 'integer'),
];

/** Marketo allows at most this many custom program member fields per instance. */
export const MAX_CUSTOM_PROGRAM_MEMBER_FIELDS = 20;

/** Marketo's own program member fields: the seed's read-only ones. Every other one is custom. */
const STANDARD_PROGRAM_MEMBER_FIELD_NAMES = new Set(
	SEED_PROGRAM_MEMBER_FIELDS.filter((f) => !f.updateable).map((f) => f.name),
);

/**
 * The program member fields of an instance, refused (as no Marketo instance can have them)
 * when they hold more custom fields than Marketo allows.
 */
function checkedProgramMemberFields(fields: FieldDefinition[]): FieldDefinition[] {
	const custom = fields.filter((f) => !STANDARD_PROGRAM_MEMBER_FIELD_NAMES.has(f.name));
	if (custom.length > MAX_CUSTOM_PROGRAM_MEMBER_FIELDS) {
		throw new Error(
			`schema.programMemberFields has ${custom.length} custom fields; Marketo allows at most ${MAX_CUSTOM_PROGRAM_MEMBER_FIELDS} per instance`,
		);
	}
	return fields;
}

export const SEED_PARTITIONS: PartitionDefinition[] = [
	{ id: 1, name: 'Default', description: 'Initial system lead partition' },
	{ id: 2, name: 'EMEA', description: 'Leads managed by the EMEA team' },
];

function statuses(
	names: string[],
	successNames: string[],
): ChannelDefinition['progressionStatuses'] {
	return names.map((name, index) => ({
		name,
		step: index === 0 && name === 'Not in Program' ? 0 : index,
		type: successNames.includes(name) ? 'Success' : 'Progression',
		success: successNames.includes(name),
		hidden: false,
		description: '',
	}));
}

export const SEED_CHANNELS: ChannelDefinition[] = [
	{
		id: 1001,
		name: 'Webinar',
		applicableProgramType: 'event',
		progressionStatuses: statuses(
			['Not in Program', 'Invited', 'Registered', 'Attended', 'No Show', 'Attended On-demand'],
			['Attended', 'Attended On-demand'],
		),
	},
	{
		id: 1002,
		name: 'Tradeshow',
		applicableProgramType: 'event',
		progressionStatuses: statuses(
			['Not in Program', 'Invited', 'Registered', 'Visited Booth', 'No Show'],
			['Visited Booth'],
		),
	},
	{
		id: 1003,
		name: 'List Import',
		applicableProgramType: 'program',
		progressionStatuses: statuses(['Not in Program', 'On List'], []),
	},
	{
		id: 1004,
		name: 'Email Send',
		applicableProgramType: 'program',
		progressionStatuses: statuses(['Not in Program', 'Member', 'Engaged'], ['Engaged']),
	},
	{
		id: 1005,
		name: 'Nurture',
		applicableProgramType: 'nurture',
		progressionStatuses: statuses(['Not in Program', 'Member', 'Influenced'], ['Influenced']),
	},
];

const PROGRAM_THEMES: Array<[string, string, ProgramDefinition['type']]> = [
	['Webinar', 'Webinar', 'event'],
	['Tradeshow', 'Tradeshow', 'event'],
	['List Import', 'List Import', 'program'],
	['Newsletter', 'Email Send', 'program'],
	['Nurture', 'Nurture', 'nurture'],
];

/** 30 programs so browsing with maxReturn must page; id 1001 is the Lannister example ("On List"). */
function seedPrograms(): ProgramDefinition[] {
	const programs: ProgramDefinition[] = [
		{
			id: 1001,
			name: 'House Lannister Import',
			channel: 'List Import',
			type: 'program',
			folderId: 30,
		},
		{
			id: 1002,
			name: '2025 Spring Product Webinar',
			channel: 'Webinar',
			type: 'event',
			folderId: 31,
		},
	];
	for (let i = 0; programs.length < 30; i++) {
		const [label, channel, type] = PROGRAM_THEMES[i % PROGRAM_THEMES.length];
		const month = (i % 12) + 1;
		programs.push({
			id: 1003 + i,
			name: `2024-${String(month).padStart(2, '0')} ${label} ${i + 1}`,
			channel,
			type,
			folderId: 32 + (i % 4),
		});
	}
	return programs;
}

export const SEED_PROGRAMS: ProgramDefinition[] = seedPrograms();

export const SEED_STATIC_LISTS: StaticListDefinition[] = [
	{ id: 2001, name: 'Newsletter Subscribers', workspaceName: 'Default' },
	{
		id: 2002,
		name: 'Imported from Trade Show',
		programName: '2024-02 Tradeshow 2',
		workspaceName: 'Default',
	},
	{ id: 2003, name: 'VIP Customers', workspaceName: 'Default' },
	{
		id: 2004,
		name: 'Webinar Registrants',
		programName: '2025 Spring Product Webinar',
		workspaceName: 'Default',
	},
	{ id: 2005, name: 'EMEA Prospects', workspaceName: 'EMEA' },
];

export const SEED_CUSTOM_OBJECTS: CustomObjectDefinition[] = [
	{
		apiName: 'car_c',
		displayName: 'Car',
		pluralName: 'Cars',
		description: 'Cars owned by a lead',
		dedupeFields: ['vin'],
		fields: [
			field('createdAt', 'Created At', 'datetime', readOnly),
			field('marketoGUID', 'Marketo GUID', 'string', { ...readOnly, length: 36 }),
			field('updatedAt', 'Updated At', 'datetime', readOnly),
			field('vin', 'VIN', 'string', { length: 17 }),
			field('make', 'Make', 'string'),
			field('model', 'Model', 'string'),
			field('year', 'Year', 'integer'),
			field('price', 'Price', 'currency'),
			field('purchaseDate', 'Purchase Date', 'date'),
			field('customerId', 'Customer Id', 'integer'),
		],
	},
	{
		apiName: 'subscription_c',
		displayName: 'Subscription',
		pluralName: 'Subscriptions',
		description: 'Product subscriptions, unique per account and plan',
		dedupeFields: ['accountNumber', 'plan'],
		fields: [
			field('createdAt', 'Created At', 'datetime', readOnly),
			field('marketoGUID', 'Marketo GUID', 'string', { ...readOnly, length: 36 }),
			field('updatedAt', 'Updated At', 'datetime', readOnly),
			field('accountNumber', 'Account Number', 'string', { length: 20 }),
			field('plan', 'Plan', 'string', { length: 20 }),
			field('seats', 'Seats', 'integer'),
			field('active', 'Active', 'boolean'),
			field('renewsAt', 'Renews At', 'datetime'),
			field('contactEmail', 'Contact Email', 'email'),
		],
	},
];

/** The instance's metadata after applying overrides to the seed. */
export interface InstanceSchema {
	leadFields: FieldDefinition[];
	programMemberFields: FieldDefinition[];
	partitions: PartitionDefinition[];
	channels: ChannelDefinition[];
	programs: ProgramDefinition[];
	staticLists: StaticListDefinition[];
	customObjects: CustomObjectDefinition[];
	smartLists: SmartListDefinition[];
}

export function buildInstanceSchema(overrides: SchemaOverrides = {}): InstanceSchema {
	const leadFields = [
		...(overrides.leadFields ?? SEED_LEAD_FIELDS),
		...(overrides.extraLeadFields ?? []),
	];
	return {
		leadFields,
		programMemberFields: checkedProgramMemberFields(
			overrides.programMemberFields ?? SEED_PROGRAM_MEMBER_FIELDS,
		),
		partitions: overrides.partitions ?? SEED_PARTITIONS,
		channels: overrides.channels ?? SEED_CHANNELS,
		programs: overrides.programs ?? SEED_PROGRAMS,
		staticLists: overrides.staticLists ?? SEED_STATIC_LISTS,
		customObjects: overrides.customObjects ?? SEED_CUSTOM_OBJECTS,
		smartLists: overrides.smartLists ?? SEED_SMART_LISTS,
	};
}
