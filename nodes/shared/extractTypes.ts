/**
 * The four kinds of bulk extract Marketo offers share one life cycle (create, enqueue, status,
 * file, cancel) and one queue; only their paths differ. As importTypes.ts is for imports, this is
 * the one place that knows them.
 */

export type ExtractType = 'leads' | 'activities' | 'programMembers' | 'customObjects';

export interface ExtractTarget {
	extractType: ExtractType;
	/** customObjects: the object's API name */
	objectApiName?: string;
}

export const EXTRACT_TYPES: readonly ExtractType[] = [
	'leads',
	'activities',
	'programMembers',
	'customObjects',
];

export const EXTRACT_TYPE_LABELS: Record<ExtractType, string> = {
	leads: 'leads',
	activities: 'activities',
	programMembers: 'program members',
	customObjects: 'custom objects',
};

/** Pure: `/bulk/v1/<type>/export` for a target. */
export function exportBasePath(target: ExtractTarget): string {
	switch (target.extractType) {
		case 'leads':
			return '/bulk/v1/leads/export';
		case 'activities':
			return '/bulk/v1/activities/export';
		case 'programMembers':
			return '/bulk/v1/program/members/export';
		case 'customObjects':
			return `/bulk/v1/customobjects/${encodeURIComponent(target.objectApiName ?? '')}/export`;
	}
}

export function exportCreatePath(target: ExtractTarget): string {
	return `${exportBasePath(target)}/create.json`;
}

/** The job list (the last seven days' jobs of this API user). */
export function exportListPath(target: ExtractTarget): string {
	return `${exportBasePath(target)}.json`;
}

export type ExportAction = 'enqueue' | 'status' | 'file' | 'cancel';

export function exportJobPath(
	target: ExtractTarget,
	exportId: string,
	action: ExportAction,
): string {
	return `${exportBasePath(target)}/${encodeURIComponent(exportId)}/${action}.json`;
}
