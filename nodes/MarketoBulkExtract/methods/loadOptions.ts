import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import {
	customObjectDescribePath,
	customObjectOptions,
	fetchDescribe,
	LEAD_DESCRIBE_PATH,
	PROGRAM_MEMBER_DESCRIBE_PATH,
	type DescribeRecord,
} from '../../shared/instance/describe';
import { marketoApiRequest } from '../../shared/transport';

/** Pure: a describe answer's fields as options, by REST name, sorted by what the editor shows. */
export function fieldOptions(record: DescribeRecord | undefined): INodePropertyOptions[] {
	return (record?.fields ?? [])
		.filter((field) => typeof field.name === 'string' && field.name !== '')
		.map((field) => ({
			name: field.displayName ? `${field.displayName} (${field.name})` : String(field.name),
			value: String(field.name),
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}

export async function getLeadFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return fieldOptions(await fetchDescribe(this, LEAD_DESCRIBE_PATH));
}

export async function getProgramMemberFields(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	return fieldOptions(await fetchDescribe(this, PROGRAM_MEMBER_DESCRIBE_PATH));
}

export async function getCustomObjectFields(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	const objectApiName = String(this.getCurrentNodeParameter('customObject') ?? '').trim();
	if (objectApiName === '') return [];
	return fieldOptions(await fetchDescribe(this, customObjectDescribePath(objectApiName)));
}

export async function getCustomObjects(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	return await customObjectOptions(this);
}

/** The instance's activity types (its own custom ones included), by name. */
export async function getActivityTypes(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	const types = (await marketoApiRequest.call(this, {
		method: 'GET',
		path: '/rest/v1/activities/types.json',
		idempotent: true,
	})) as Array<{ id?: number; name?: string; description?: string }>;
	return types
		.filter((type) => typeof type.name === 'string' && type.id !== undefined)
		.map((type) => ({
			name: String(type.name),
			value: Number(type.id),
			description: type.description || undefined,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}
