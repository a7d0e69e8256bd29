/**
 * The three kinds of bulk import Marketo offers share one life cycle
 * (create -> status -> failures / warnings) but live at different paths.
 * Keeping the paths in one table means the nodes never build a URL by hand.
 */
export type ImportType = 'leads' | 'programMembers' | 'customObjects';

export interface ImportTarget {
	importType: ImportType;
	/** custom objects only: the object's API name, e.g. `car_c` */
	objectApiName?: string;
	/** program members only */
	programId?: number | string;
}

export const IMPORT_TYPE_LABELS: Record<ImportType, string> = {
	leads: 'Leads',
	programMembers: 'Program Members',
	customObjects: 'Custom Objects',
};

function requireObjectApiName(target: ImportTarget): string {
	if (!target.objectApiName) {
		throw new Error('A custom object import needs the object API name');
	}
	return encodeURIComponent(target.objectApiName);
}

export function createImportPath(target: ImportTarget): string {
	switch (target.importType) {
		case 'leads':
			return '/bulk/v1/leads.json';
		case 'programMembers':
			if (target.programId === undefined || target.programId === '') {
				throw new Error('A program member import needs the program ID');
			}
			return `/bulk/v1/program/${encodeURIComponent(String(target.programId))}/members/import.json`;
		case 'customObjects':
			return `/bulk/v1/customobjects/${requireObjectApiName(target)}/import.json`;
	}
}

export type BatchResource = 'status' | 'failures' | 'warnings';

export function batchPath(target: ImportTarget, batchId: number, resource: BatchResource): string {
	const id = encodeURIComponent(String(batchId));
	switch (target.importType) {
		case 'leads':
			return resource === 'status'
				? `/bulk/v1/leads/batch/${id}.json`
				: `/bulk/v1/leads/batch/${id}/${resource}.json`;
		case 'programMembers':
			return `/bulk/v1/program/members/import/${id}/${resource}.json`;
		case 'customObjects':
			return `/bulk/v1/customobjects/${requireObjectApiName(target)}/import/${id}/${resource}.json`;
	}
}
