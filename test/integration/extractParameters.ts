/**
 * The Bulk Extract parameters the integration tests start from: leads created over a range long
 * enough for three windows, so every test meets the window split unless it narrows the range.
 */
import type { INodeParameters } from 'n8n-workflow';

export const RANGE_START = Date.UTC(2026, 0, 1);
export const RANGE_END = Date.UTC(2026, 2, 12); // 70 days: three windows

export function leadsCreated(parameters: INodeParameters = {}): INodeParameters {
	return {
		operation: 'extractLeads',
		fieldsSource: 'selected',
		fields: ['id', 'email', 'createdAt'],
		leadFilter: 'createdAt',
		rangeStart: new Date(RANGE_START).toISOString(),
		rangeEnd: new Date(RANGE_END).toISOString(),
		...parameters,
	};
}
