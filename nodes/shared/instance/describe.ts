/**
 * What the instance describes: an object's fields (leads, program members, a custom object) and
 * its custom objects. Both nodes read them, for the editor and for an execution.
 */
import type { IDataObject, INodePropertyOptions } from 'n8n-workflow';

import { marketoApiRequest, type MarketoContext } from '../transport';

/** A field of a describe answer. */
export interface DescribedField {
	name?: string;
	displayName?: string;
	dataType?: string;
	/** false: an import cannot write it */
	updateable?: boolean;
}

/** A describe answer (leads, program members, a custom object). */
export interface DescribeRecord extends IDataObject {
	fields?: DescribedField[];
	dedupeFields?: string[];
	idField?: string;
}

/**
 * The one way the node reads a describe answer, for an execution (through DescribeCache) and
 * for the editor (the column mapper, the lookup dropdown); undefined when Marketo returns none.
 */
export async function fetchDescribe(
	context: MarketoContext,
	path: string,
	itemIndex?: number,
): Promise<DescribeRecord | undefined> {
	const result = (await marketoApiRequest.call(context, {
		method: 'GET',
		path,
		idempotent: true,
		itemIndex,
	})) as DescribeRecord[];
	return result[0];
}

export const LEAD_DESCRIBE_PATH = '/rest/v1/leads/describe2.json';
export const PROGRAM_MEMBER_DESCRIBE_PATH = '/rest/v1/programs/members/describe.json';
export function customObjectDescribePath(objectApiName: string): string {
	return `/rest/v1/customobjects/${encodeURIComponent(objectApiName)}/describe.json`;
}

/** The instance's custom objects as dropdown options, by API name. */
export async function customObjectOptions(
	context: MarketoContext,
): Promise<INodePropertyOptions[]> {
	const objects = (await marketoApiRequest.call(context, {
		method: 'GET',
		path: '/rest/v1/customobjects.json',
		idempotent: true,
	})) as Array<{ name?: string; apiName?: string; displayName?: string; description?: string }>;
	const options: INodePropertyOptions[] = [];
	for (const object of objects) {
		// The OpenAPI calls the API name `apiName`; live instances answer `name`.
		const apiName = object.apiName ?? object.name;
		if (!apiName) continue;
		options.push({
			name: object.displayName ? `${object.displayName} (${apiName})` : apiName,
			value: apiName,
			description: object.description || undefined,
		});
	}
	return options.sort((a, b) => a.name.localeCompare(b.name));
}
