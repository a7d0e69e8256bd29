import type {
	FieldType,
	ILoadOptionsFunctions,
	ResourceMapperField,
	ResourceMapperFields,
} from 'n8n-workflow';

import { LEAD_IMPORT_LINK_COLUMNS } from '../helpers/plan/preflight';
import {
	customObjectDescribePath,
	fetchDescribe,
	LEAD_DESCRIBE_PATH,
	PROGRAM_MEMBER_DESCRIBE_PATH,
	type DescribedField,
	type DescribeRecord,
} from '../../shared/instance/describe';

/**
 * The fields of the resource mapper (Items input, node version 2): what the instance describes
 * for the chosen import, each with its type, the ones Marketo needs marked required.
 */

const NUMBER_TYPES = new Set(['integer', 'float', 'currency', 'score', 'percent']);

/** Pure: the editor's input type for a Marketo data type (dates stay text: Marketo reads ISO 8601 as written). */
export function mapperFieldType(dataType: string | undefined): FieldType {
	if (dataType !== undefined && NUMBER_TYPES.has(dataType)) return 'number';
	if (dataType === 'boolean') return 'boolean';
	return 'string';
}

/** Pure: the label, with Marketo's data type where the editor's type does not show it ("Birthday (date)"). */
function mapperLabel(field: DescribedField & { name: string }): string {
	const label = field.displayName || field.name;
	const type = mapperFieldType(field.dataType);
	const shown = type === 'string' && field.dataType !== undefined && field.dataType !== 'string';
	return shown ? `${label} (${field.dataType})` : label;
}

/**
 * Pure: describe answers -> the mapper's fields, first answer first, each name once. `required`
 * names what every row needs (the lookup field, email, dedupe fields); a field Marketo does not
 * let an import write (updateable: false) is offered only when it is required (e.g. the lead `id`
 * as lookup field).
 */
export function mapperFields(
	answers: DescribedField[][],
	required: readonly string[],
): ResourceMapperField[] {
	const requiredSet = new Set(required);
	const seen = new Set<string>();
	const fields: ResourceMapperField[] = [];
	for (const answer of answers) {
		for (const field of answer) {
			if (typeof field.name !== 'string' || field.name === '' || seen.has(field.name)) continue;
			const isRequired = requiredSet.has(field.name);
			if (field.updateable === false && !isRequired) continue;
			seen.add(field.name);
			fields.push({
				id: field.name,
				displayName: mapperLabel(field as DescribedField & { name: string }),
				type: mapperFieldType(field.dataType),
				required: isRequired,
				defaultMatch: false,
				canBeUsedToMatch: false,
				display: true,
			});
		}
	}
	// Required first, so the editor lists what must be filled at the top.
	return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

async function describe(context: ILoadOptionsFunctions, path: string): Promise<DescribeRecord> {
	return (await fetchDescribe(context, path)) ?? {};
}

/** A parameter's current value when it is a plain value; an expression gives no answer in the editor. */
function plainParameter(context: ILoadOptionsFunctions, name: string): string {
	const value = context.getCurrentNodeParameter(name);
	return typeof value === 'string' && !value.startsWith('=') ? value.trim() : '';
}

export async function getMappingColumns(
	this: ILoadOptionsFunctions,
): Promise<ResourceMapperFields> {
	const operation = plainParameter(this, 'operation') || 'importLeads';
	if (operation === 'importCustomObjects') {
		const objectApiName = plainParameter(this, 'customObject');
		if (objectApiName === '') {
			return {
				fields: [],
				emptyFieldsNotice: 'Choose the Custom Object first: its fields are listed here.',
			};
		}
		const answer = await describe(this, customObjectDescribePath(objectApiName));
		return { fields: mapperFields([answer.fields ?? []], answer.dedupeFields ?? []) };
	}
	const lead = await describe(this, LEAD_DESCRIBE_PATH);
	const link = LEAD_IMPORT_LINK_COLUMNS.map(({ name, displayName }) => ({
		name,
		displayName,
		dataType: 'string',
	}));
	if (operation === 'importProgramMembers') {
		const member = await describe(this, PROGRAM_MEMBER_DESCRIBE_PATH);
		return { fields: mapperFields([lead.fields ?? [], member.fields ?? []], ['email']) };
	}
	// An expression as Lookup Field names no field here: email is what most imports look up by.
	const lookupField = plainParameter(this, 'lookupField') || 'email';
	return { fields: mapperFields([lead.fields ?? [], link], [lookupField]) };
}
