import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { marketoApiRequest, marketoApiRequestAllItems } from '../transport';

/** Pure: case-insensitive "contains" on the name; an empty filter keeps everything. */
export function matchesFilter(name: string, filter: string | undefined): boolean {
	const wanted = (filter ?? '').trim().toLowerCase();
	return wanted === '' || name.toLowerCase().includes(wanted);
}

interface NamedRecord {
	id?: number;
	name?: string;
	programName?: string;
	workspaceName?: string;
}

function toSearchItem(record: NamedRecord, detail?: string): INodeListSearchItems {
	return {
		name: detail ? `${record.name} (${detail})` : String(record.name),
		value: String(record.id),
	};
}

/**
 * Static lists from /rest/v1/lists.json. Its `name` parameter matches whole
 * names only, so the lists are read (300 per page) and filtered here - what a
 * user typing "vip" expects.
 */
export async function searchStaticLists(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const lists = (await marketoApiRequestAllItems.call(this, {
		method: 'GET',
		path: '/rest/v1/lists.json',
		qs: { batchSize: 300 },
		idempotent: true,
	})) as NamedRecord[];
	const results = lists
		.filter(
			(list) =>
				typeof list.name === 'string' && list.id !== undefined && matchesFilter(list.name, filter),
		)
		.sort((a, b) => String(a.name).localeCompare(String(b.name)))
		.map((list) => toSearchItem(list, list.programName ?? list.workspaceName));
	return { results };
}

const PROGRAM_PAGE_SIZE = 200;
/** Pages read per dropdown request, so a filter matching nothing does not read the whole instance at once. */
const PROGRAM_PAGES_PER_REQUEST = 5;
/** Enough matches to fill the dropdown; more load when the user scrolls. */
const PROGRAM_RESULTS_TARGET = 50;

/** Pure: the next offset to read, or undefined once a short page said there is no more. */
export function nextProgramOffset(
	offset: number,
	pageLength: number,
	pageSize: number,
): number | undefined {
	return pageLength < pageSize ? undefined : offset + pageSize;
}

/**
 * An asset list read by offset/maxReturn pages (the asset API has no name filter, so pages are
 * filtered here); the pagination token is the next offset. A few pages per request, so a filter
 * matching nothing does not read the whole instance at once.
 */
async function searchAssetPages(
	context: ILoadOptionsFunctions,
	path: string,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	let offset: number | undefined = paginationToken ? Number(paginationToken) || 0 : 0;
	const results: INodeListSearchItems[] = [];
	for (let page = 0; page < PROGRAM_PAGES_PER_REQUEST && offset !== undefined; page++) {
		const records = (await marketoApiRequest.call(context, {
			method: 'GET',
			path,
			qs: { offset, maxReturn: PROGRAM_PAGE_SIZE },
			idempotent: true,
		})) as NamedRecord[];
		for (const record of records) {
			if (
				typeof record.name === 'string' &&
				record.id !== undefined &&
				matchesFilter(record.name, filter)
			) {
				results.push(toSearchItem(record));
			}
		}
		offset = nextProgramOffset(offset, records.length, PROGRAM_PAGE_SIZE);
		if (results.length >= PROGRAM_RESULTS_TARGET) break;
	}
	return { results, paginationToken: offset === undefined ? undefined : String(offset) };
}

/** Programs from /rest/asset/v1/programs.json. */
export async function searchPrograms(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchAssetPages(this, '/rest/asset/v1/programs.json', filter, paginationToken);
}

/** Smart lists from /rest/asset/v1/smartLists.json. */
export async function searchSmartLists(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchAssetPages(this, '/rest/asset/v1/smartLists.json', filter, paginationToken);
}
