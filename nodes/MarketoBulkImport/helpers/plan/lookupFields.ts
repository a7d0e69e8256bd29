/** The lookup fields Marketo documents for lead imports; the instance's custom fields are added by loadOptions. */
export const DOCUMENTED_LOOKUP_FIELDS: Array<{
	name: string;
	value: string;
	description?: string;
}> = [
	{
		name: 'Email',
		value: 'email',
		description: 'Default: insert new leads, update existing ones by email',
	},
	{
		name: 'ID (Update Only)',
		value: 'id',
		description: 'Marketo lead ID: only updates existing leads, never creates',
	},
	{ name: 'Cookies', value: 'cookies' },
	{ name: 'Facebook ID', value: 'facebookId' },
	{ name: 'LinkedIn ID', value: 'linkedInId' },
	{ name: 'Salesforce Account ID', value: 'sfdcAccountId' },
	{ name: 'Salesforce Contact ID', value: 'sfdcContactId' },
	{ name: 'Salesforce Lead ID', value: 'sfdcLeadId' },
	{ name: 'Salesforce Lead Owner ID', value: 'sfdcLeadOwnerId' },
	{ name: 'Salesforce Opportunity ID', value: 'sfdcOpptyId' },
	{ name: 'Twitter ID', value: 'twitterId' },
];
