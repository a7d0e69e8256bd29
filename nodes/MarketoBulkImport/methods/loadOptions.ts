import {
	NodeOperationError,
	type ILoadOptionsFunctions,
	type INodePropertyOptions,
} from 'n8n-workflow';

import { customObjectOptions } from '../../shared/instance/describe';
import { marketoApiRequest } from '../../shared/transport';
import { DOCUMENTED_LOOKUP_FIELDS } from '../helpers/plan/lookupFields';
import { isBlank, parseMarketoId } from '../helpers/plan/ids';
import {
	fetchDescribe,
	LEAD_DESCRIBE_PATH,
	type DescribedField,
} from '../../shared/instance/describe';
import {
	fetchProgramChannel,
	progressionStatusesOf,
	type ChannelRecord,
} from '../helpers/plan/programChannel';

/**
 * Marketo's standard lead fields. describe2 does not flag custom fields, and
 * only custom string/email/integer fields may serve as a lookup field, so the
 * standard ones are left out of the lookup dropdown by name.
 */
const STANDARD_LEAD_FIELDS = new Set([
	'id',
	'email',
	'firstName',
	'lastName',
	'middleName',
	'salutation',
	'company',
	'title',
	'phone',
	'mobilePhone',
	'fax',
	'website',
	'leadScore',
	'annualRevenue',
	'numberOfEmployees',
	'industry',
	'leadSource',
	'leadStatus',
	'rating',
	'unsubscribed',
	'unsubscribedReason',
	'doNotCall',
	'doNotCallReason',
	'dateOfBirth',
	'address',
	'city',
	'state',
	'postalCode',
	'country',
	'twitterId',
	'facebookId',
	'linkedInId',
	'sfdcLeadId',
	'sfdcContactId',
	'sfdcAccountId',
	'sfdcLeadOwnerId',
	'sfdcOpptyId',
	'sfdcType',
	'sfdcId',
	'cookies',
	'externalCompanyId',
	'externalSalesPersonId',
	'createdAt',
	'updatedAt',
	'anonymousIP',
	'billingCity',
	'billingCountry',
	'billingPostalCode',
	'billingState',
	'billingStreet',
	'department',
	'emailInvalid',
	'emailInvalidCause',
	'inferredCompany',
	'inferredCountry',
	'leadPartitionId',
	'leadPerson',
	'leadRole',
	'mainPhone',
	'marketingSuspended',
	'mktoName',
	'personType',
	'priority',
	'relativeScore',
	'sicCode',
	'site',
	'urgency',
	'acquisitionProgramId',
	'isAnonymous',
	'personTimeZone',
	'facebookDisplayName',
	'linkedInDisplayName',
	'twitterDisplayName',
]);

const LOOKUP_DATA_TYPES = new Set(['string', 'email', 'integer']);

/** Pure: the lookup dropdown: the documented choices first, then the instance's custom string/email/integer fields. */
export function lookupFieldOptions(fields: DescribedField[]): INodePropertyOptions[] {
	const documented = new Set(DOCUMENTED_LOOKUP_FIELDS.map((f) => f.value));
	const custom = fields
		.filter(
			(f): f is Required<Pick<DescribedField, 'name'>> & DescribedField =>
				typeof f.name === 'string' &&
				!documented.has(f.name) &&
				!STANDARD_LEAD_FIELDS.has(f.name) &&
				LOOKUP_DATA_TYPES.has(String(f.dataType)),
		)
		.map((f) => ({
			name: `${f.displayName ?? f.name} (Custom Field)`,
			value: f.name,
			description: `Custom ${f.dataType} field '${f.name}'`,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
	return [...DOCUMENTED_LOOKUP_FIELDS, ...custom];
}

export async function getLookupFields(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	return lookupFieldOptions((await fetchDescribe(this, LEAD_DESCRIBE_PATH))?.fields ?? []);
}

export async function getPartitions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const partitions = (await marketoApiRequest.call(this, {
		method: 'GET',
		path: '/rest/v1/leads/partitions.json',
		idempotent: true,
	})) as Array<{ name?: string; description?: string }>;
	return partitionOptions(partitions);
}

/**
 * Pure: the partition dropdown. "Send no partition" and a partition an admin named "Default"
 * must not read alike, so the first says what it does and every real one says it is a partition.
 */
export function partitionOptions(
	partitions: Array<{ name?: string; description?: string }>,
): INodePropertyOptions[] {
	return [
		{
			name: 'No Partition (Marketo Decides)',
			value: '',
			description:
				'Sends no partition name: Marketo picks the partition, as it does for any import without one',
		},
		...partitions
			.filter(
				(p): p is { name: string; description?: string } =>
					typeof p.name === 'string' && p.name !== '',
			)
			.map((p) => ({
				name: `Partition: ${p.name}`,
				value: p.name,
				description: p.description || `The lead partition named '${p.name}'`,
			})),
	];
}

export async function getCustomObjects(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	return await customObjectOptions(this);
}

/** Pure: the status dropdown from a channel, in the channel's step order. */
export function memberStatusOptions(channel: ChannelRecord): INodePropertyOptions[] {
	return progressionStatusesOf(channel).map((s) => ({
		name: s.name,
		value: s.name,
		description: s.success ? 'Success status' : s.description || undefined,
	}));
}

/**
 * What the Member Status list holds before a program is chosen: one entry saying so. Its value is
 * the field's default (''), so the editor shows this text instead of flagging '' as unsupported;
 * running with it still stops with "Member Status is empty".
 */
export const CHOOSE_PROGRAM_FIRST: INodePropertyOptions = {
	name: 'Choose a Program First',
	value: '',
	description:
		"The statuses come from the program's channel: choose the Program above, then pick one here",
};

/** Member statuses of the selected program (helpers/plan/programChannel.ts). */
export async function getProgramMemberStatuses(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	const programValue = this.getCurrentNodeParameter('program', { extractValue: true });
	if (isBlank(programValue)) return [CHOOSE_PROGRAM_FIRST];
	const programId = parseMarketoId(programValue);
	if (programId === undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`Program '${String(programValue)}' is not a program ID`,
			{
				description: 'Pick the program first, or enter its numeric ID.',
			},
		);
	}
	const channel = await fetchProgramChannel(this, programId);
	return memberStatusOptions(channel);
}
