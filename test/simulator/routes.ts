/**
 * The routes the simulator serves: name, method, OpenAPI path template and operationId
 * (the contract test compares them with openapi-facts.json), the parameters each reads,
 * the permission it needs, and its handler.
 */
import { importTime, problemFile, statusMessage, type ImportJob, type NewJob } from './bulkImport';
import type { IncomingHttpHeaders } from 'node:http';
import type { SimulatorCore } from './core';
import { DEFAULT_PARTITION_ID } from './database';
import { DELIMITERS, parseDelimited, parseFormat } from './delimited';
import { EXTRACT_ROUTES } from './extract';
import { isBlankRow } from './rows';
import { allowedLookupFields } from './schema';
import type {
	CustomObjectDefinition,
	FieldDefinition,
	ImportKind,
	SimulatorPermissions,
} from './types';

export interface UploadedFile {
	fieldName: string;
	fileName: string;
	bytes: Buffer;
}

export interface RequestContext {
	method: string;
	path: string;
	pathParams: Record<string, string>;
	query: Record<string, string>;
	form: Record<string, string>;
	file?: UploadedFile;
	now: number;
	headers: IncomingHttpHeaders;
	/** The parsed body of a `json` route; jsonProblem when it was sent but is not JSON. */
	json?: unknown;
	jsonProblem?: boolean;
	/** The API user whose token the call carries (set once the token is accepted). */
	clientId?: string;
}

export type RouteAnswer =
	| { type: 'result'; result: unknown[]; extra?: Record<string, unknown> }
	| { type: 'error'; code: string; message: string }
	| {
			type: 'text';
			status: number;
			body: string;
			contentType: string;
			headers?: Record<string, string>;
	  }
	/** A body produced piece by piece (extract files), `length` bytes in all. */
	| {
			type: 'stream';
			status: number;
			contentType: string;
			headers: Record<string, string>;
			length: number;
			chunks: () => Iterable<Buffer>;
	  };

export interface ParamSpec {
	name: string;
	in: 'query' | 'path' | 'formData';
	/** Other spellings the simulator also accepts (e.g. channel byName's `name` vs `Name`). */
	aliases?: string[];
}

export interface RouteDefinition {
	name: string;
	method: 'GET' | 'POST';
	/** The OpenAPI path template, parameter names included. */
	template: string;
	operationId: string;
	params: ParamSpec[];
	/** undefined = identity (no token, no limits). */
	permission?: keyof SimulatorPermissions;
	/** The asset API always sends `errors: []` and `warnings: []`; the lead database API omits empty ones. */
	api: 'identity' | 'mapi' | 'asset';
	/** Bulk uploads are subject to maxUploadBytes (HTTP 413). */
	upload?: boolean;
	/** Returns a file (failures/warnings), not an envelope, on success. */
	file?: boolean;
	/** Takes a JSON body (extract create). */
	json?: boolean;
	handle?: (ctx: RequestContext, core: SimulatorCore) => RouteAnswer;
}

const ok = (result: unknown[], extra?: Record<string, unknown>): RouteAnswer => ({
	type: 'result',
	result,
	extra,
});
const fail = (code: string, message: string): RouteAnswer => ({ type: 'error', code, message });

/** Parameters the bulk docs send either in the query or as multipart fields; both work. */
function param(ctx: RequestContext, name: string): string | undefined {
	return ctx.query[name] ?? ctx.form[name];
}

function isoTime(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Seeded assets share a fixed creation time so answers are stable. */
const SEED_TIME = '2024-01-08T09:30:00Z';

/* ---------------- bulk import: create ---------------- */

interface ParsedUpload {
	format: NewJob['format'];
	header: string[];
	rows: string[][];
}

function parseUpload(ctx: RequestContext): ParsedUpload | RouteAnswer {
	const rawFormat = param(ctx, 'format');
	if (rawFormat === undefined || rawFormat === '') {
		return fail('1003', 'Format is required, must be one of csv, tsv, ssv');
	}
	const format = parseFormat(rawFormat);
	if (!format) return fail('1003', `Invalid format '${rawFormat}', must be one of csv, tsv, ssv`);
	if (!ctx.file)
		return fail('1003', "File is required: send it as a multipart/form-data part named 'file'");
	const text = ctx.file.bytes.toString('utf8');
	if (text.replace(/^\uFEFF/, '').trim() === '') return fail('1003', 'Empty file');
	const all = parseDelimited(text, DELIMITERS[format]);
	const [header, ...rest] = all;
	return { format, header, rows: rest.filter((row) => !isBlankRow(row)) };
}

function queueRefusal(
	core: SimulatorCore,
	ctx: RequestContext,
	listId?: number,
): RouteAnswer | undefined {
	core.queue.advanceTo(ctx.now);
	const active = core.queue.activeJobs();
	if (active.length >= core.options.queue.maxQueued) {
		return fail(
			'1016',
			`There are ${active.length} imports currently being processed. Please try again later`,
		);
	}
	if (listId !== undefined && core.options.rejectConcurrentListImports) {
		if (active.some((job) => job.kind === 'leads' && job.listId === listId)) {
			return fail('1019', `Import to list ${listId} is already in progress`);
		}
	}
	return undefined;
}

function createdAnswer(job: ImportJob): RouteAnswer {
	const base = { batchId: job.batchId, importId: String(job.batchId), status: job.status };
	if (job.kind === 'customObjects')
		return ok([{ ...base, operation: 'upsert', objectApiName: job.objectApiName }]);
	return ok([base]);
}

function importLeads(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const upload = parseUpload(ctx);
	if ('type' in upload) return upload;
	const lookupField = param(ctx, 'lookupField') || 'email';
	if (!allowedLookupFields(core.schema.leadFields).has(lookupField)) {
		return fail('1006', `Lookup field '${lookupField}' not supported`);
	}
	let listId: number | undefined;
	const rawListId = param(ctx, 'listId');
	if (rawListId !== undefined && rawListId !== '') {
		listId = /^\d+$/.test(rawListId) ? Number(rawListId) : NaN;
		if (!core.schema.staticLists.some((list) => list.id === listId))
			return fail('1013', 'Static list not found');
	}
	let partitionId = DEFAULT_PARTITION_ID;
	const partitionName = param(ctx, 'partitionName');
	if (partitionName !== undefined && partitionName !== '') {
		const partition = core.schema.partitions.find((p) => p.name === partitionName);
		if (!partition) return fail('1013', `Partition '${partitionName}' not found`);
		partitionId = partition.id;
	}
	const refusal = queueRefusal(core, ctx, listId);
	if (refusal) return refusal;
	const job = core.queue.enqueue(
		{ kind: 'leads', ...upload, lookupField, listId, partitionId },
		ctx.now,
	);
	return createdAnswer(job);
}

function progressionStatusNames(core: SimulatorCore, programId: number): string[] | undefined {
	const program = core.schema.programs.find((p) => p.id === programId);
	if (!program) return undefined;
	const channel = core.schema.channels.find((c) => c.name === program.channel);
	return (channel?.progressionStatuses ?? []).map((s) => s.name);
}

function importProgramMembers(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const rawProgramId = ctx.pathParams.programId;
	const programId = /^\d+$/.test(rawProgramId) ? Number(rawProgramId) : NaN;
	const statuses = progressionStatusNames(core, programId);
	if (!statuses) return fail('1013', 'Program not found');
	const status = param(ctx, 'programMemberStatus');
	if (status === undefined || status === '') return fail('1003', 'programMemberStatus is required');
	if (!statuses.includes(status)) return fail('1025', 'Program status not found');
	const upload = parseUpload(ctx);
	if ('type' in upload) return upload;
	const refusal = queueRefusal(core, ctx);
	if (refusal) return refusal;
	const job = core.queue.enqueue(
		{ kind: 'programMembers', ...upload, programId, programMemberStatus: status },
		ctx.now,
	);
	return createdAnswer(job);
}

function findCustomObject(
	core: SimulatorCore,
	apiName: string,
): CustomObjectDefinition | undefined {
	return core.schema.customObjects.find((o) => o.apiName === apiName);
}

function importCustomObjects(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const object = findCustomObject(core, ctx.pathParams.apiName);
	if (!object) return fail('1013', `Custom object '${ctx.pathParams.apiName}' not found`);
	const upload = parseUpload(ctx);
	if ('type' in upload) return upload;
	const refusal = queueRefusal(core, ctx);
	if (refusal) return refusal;
	const job = core.queue.enqueue(
		{ kind: 'customObjects', ...upload, objectApiName: object.apiName },
		ctx.now,
	);
	return createdAnswer(job);
}

/* ---------------- bulk import: status and files ---------------- */

function findBatch(
	ctx: RequestContext,
	core: SimulatorCore,
	kind: ImportKind,
): ImportJob | undefined {
	const raw = ctx.pathParams.batchId;
	if (!/^\d+$/.test(raw)) return undefined;
	const job = core.queue.find(Number(raw), ctx.now);
	if (!job || job.owner !== 'own' || job.kind !== kind) return undefined;
	if (kind === 'customObjects' && job.objectApiName !== ctx.pathParams.apiName) return undefined;
	return job;
}

const batchNotFound = () => fail('1003', 'Batch ID not found');

function batchStatus(kind: ImportKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const job = findBatch(ctx, core, kind);
		if (!job) return batchNotFound();
		if (kind === 'customObjects') {
			const time = importTime(job);
			return ok([
				{
					batchId: job.batchId,
					importId: String(job.batchId),
					operation: 'upsert',
					objectApiName: job.objectApiName,
					status: job.status,
					numOfObjectsProcessed: job.numImported,
					numOfRowsFailed: job.numFailed,
					numOfRowsWithWarning: job.numWarnings,
					...(time !== undefined ? { importTime: time } : {}),
					message: statusMessage(job),
				},
			]);
		}
		return ok([
			{
				batchId: job.batchId,
				importId: String(job.batchId),
				status: job.status,
				numOfLeadsProcessed: job.numImported,
				numOfRowsFailed: job.numFailed,
				numOfRowsWithWarning: job.numWarnings,
				message: statusMessage(job),
			},
		]);
	};
}

function batchFile(kind: ImportKind, which: 'failures' | 'warnings') {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const job = findBatch(ctx, core, kind);
		if (!job) return batchNotFound();
		const body = problemFile(job, which, core.options.failureFileOmitsEmptyColumns);
		if (
			body === '' &&
			kind === 'customObjects' &&
			core.options.customObjectEmptyFileStatus === 404
		) {
			return { type: 'text', status: 404, body: '', contentType: 'text/plain' };
		}
		return { type: 'text', status: 200, body, contentType: 'text/plain;charset=UTF-8' };
	};
}

/* ---------------- read endpoints ---------------- */

function describeFields(fields: FieldDefinition[]) {
	return fields.map((f) => ({
		name: f.name,
		displayName: f.displayName,
		dataType: f.dataType,
		...(f.length !== undefined ? { length: f.length } : {}),
		updateable: f.updateable,
		crmManaged: f.crmManaged ?? false,
	}));
}

function describeLeads(_ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const names = new Set(core.schema.leadFields.map((f) => f.name));
	const searchable = [...allowedLookupFields(core.schema.leadFields)]
		.filter((n) => names.has(n))
		.map((n) => [n]);
	return ok([
		{
			name: 'API Lead',
			searchableFields: searchable,
			fields: describeFields(core.schema.leadFields),
		},
	]);
}

function describeProgramMembers(_ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	return ok([
		{
			name: 'API Program Membership',
			description: 'Map for API program membership fields',
			createdAt: SEED_TIME,
			updatedAt: SEED_TIME,
			dedupeFields: ['leadId', 'programId'],
			searchableFields: [['leadId'], ['programId']],
			fields: describeFields(core.schema.programMemberFields),
		},
	]);
}

function partitions(_ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	return ok(
		core.schema.partitions.map((p) => ({
			id: p.id,
			name: p.name,
			description: p.description ?? '',
		})),
	);
}

/** Paging token of lists.json: an opaque-looking encoding of the next offset. */
function encodePageToken(offset: number): string {
	return Buffer.from(`offset:${offset}`).toString('base64');
}

function decodePageToken(token: string): number | undefined {
	const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
	return match ? Number(match[1]) : undefined;
}

function splitMulti(value: string | undefined): string[] | undefined {
	return value === undefined || value === '' ? undefined : value.split(',').map((v) => v.trim());
}

function lists(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const batchSize = ctx.query.batchSize === undefined ? 300 : Number(ctx.query.batchSize);
	if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 300) {
		return fail('1003', 'Invalid batchSize, must be between 1 and 300');
	}
	let offset = 0;
	if (ctx.query.nextPageToken) {
		const decoded = decodePageToken(ctx.query.nextPageToken);
		if (decoded === undefined) return fail('1003', 'Invalid nextPageToken');
		offset = decoded;
	}
	const ids = splitMulti(ctx.query.id)?.map(Number);
	const names = splitMulti(ctx.query.name);
	const programNames = splitMulti(ctx.query.programName);
	const workspaces = splitMulti(ctx.query.workspaceName);
	const matching = core.schema.staticLists.filter(
		(l) =>
			(!ids || ids.includes(l.id)) &&
			(!names || names.includes(l.name)) &&
			(!programNames || (l.programName !== undefined && programNames.includes(l.programName))) &&
			(!workspaces || workspaces.includes(l.workspaceName ?? 'Default')),
	);
	const page = matching.slice(offset, offset + batchSize).map((l) => ({
		id: l.id,
		name: l.name,
		description: '',
		...(l.programName !== undefined ? { programName: l.programName } : {}),
		workspaceName: l.workspaceName ?? 'Default',
		createdAt: SEED_TIME,
		updatedAt: SEED_TIME,
	}));
	const more = offset + batchSize < matching.length;
	return ok(
		page,
		more ? { nextPageToken: encodePageToken(offset + batchSize), moreResult: true } : undefined,
	);
}

/** offset/maxReturn paging of the asset API; past the end answers 702. */
function assetPage<T>(ctx: RequestContext, items: T[], defaultMax: number): RouteAnswer | T[] {
	const maxReturn = ctx.query.maxReturn === undefined ? defaultMax : Number(ctx.query.maxReturn);
	const offset = ctx.query.offset === undefined ? 0 : Number(ctx.query.offset);
	if (!Number.isInteger(maxReturn) || maxReturn < 1 || maxReturn > 200) {
		return fail('1003', 'maxReturn must be between 1 and 200');
	}
	if (!Number.isInteger(offset) || offset < 0)
		return fail('1003', 'offset must be a non-negative integer');
	const page = items.slice(offset, offset + maxReturn);
	if (page.length === 0) return fail('702', 'No assets found for the given search criteria.');
	return page;
}

function staticLists(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const page = assetPage(
		ctx,
		core.schema.staticLists.map((l) => ({
			id: l.id,
			name: l.name,
			description: '',
			createdAt: SEED_TIME,
			updatedAt: SEED_TIME,
			url: `https://app-sj01.marketo.com/#ST${l.id}A1`,
			folder: { id: 19, type: 'Folder' },
			workspace: l.workspaceName ?? 'Default',
		})),
		20,
	);
	return Array.isArray(page) ? ok(page) : page;
}

function programAsset(program: SimulatorCore['schema']['programs'][number]) {
	return {
		id: program.id,
		name: program.name,
		description: '',
		createdAt: SEED_TIME,
		updatedAt: SEED_TIME,
		url: `https://app-sj01.marketo.com/#PG${program.id}A1`,
		type: program.type,
		channel: program.channel,
		folder: { id: program.folderId ?? 30, type: 'Folder' },
		status: 'unlocked',
		workspace: program.workspace ?? 'Default',
	};
}

function programs(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const page = assetPage(ctx, core.schema.programs.map(programAsset), 20);
	return Array.isArray(page) ? ok(page) : page;
}

function programById(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const id = /^\d+$/.test(ctx.pathParams.id) ? Number(ctx.pathParams.id) : NaN;
	const program = core.schema.programs.find((p) => p.id === id);
	if (!program) return fail('702', 'Program not found');
	return ok([{ ...programAsset(program), tags: [], costs: [] }]);
}

function channelAsset(channel: SimulatorCore['schema']['channels'][number]) {
	return {
		id: channel.id,
		name: channel.name,
		createdAt: SEED_TIME,
		updatedAt: SEED_TIME,
		applicableProgramType: channel.applicableProgramType,
		progressionStatuses: channel.progressionStatuses.map((s) => ({
			name: s.name,
			step: s.step,
			description: s.description ?? '',
			hidden: s.hidden ?? false,
			success: s.success ?? false,
			type: s.type ?? 'Progression',
		})),
	};
}

function channels(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const page = assetPage(ctx, core.schema.channels.map(channelAsset), 20);
	return Array.isArray(page) ? ok(page) : page;
}

function channelByName(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	// The OpenAPI names the parameter `Name`, the docs `name`; both are accepted.
	const name = ctx.query.Name ?? ctx.query.name;
	if (name === undefined || name === '') return fail('1003', 'Name is required');
	const channel = core.schema.channels.find((c) => c.name === name);
	if (!channel) return fail('702', 'No assets found for the given search criteria.');
	return ok([channelAsset(channel)]);
}

function customObjectMeta(object: CustomObjectDefinition) {
	return {
		name: object.apiName,
		apiName: object.apiName,
		displayName: object.displayName,
		pluralName: object.pluralName,
		description: object.description,
		createdAt: SEED_TIME,
		updatedAt: SEED_TIME,
		idField: 'marketoGUID',
		dedupeFields: object.dedupeFields,
		searchableFields: [object.dedupeFields, ['marketoGUID']],
		relationships: object.fields.some((f) => f.name === 'customerId')
			? [{ field: 'customerId', type: 'child', relatedTo: { name: 'Lead', field: 'Id' } }]
			: [],
		state: 'approved',
		status: 'approved',
		version: 'approved',
	};
}

function customObjects(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const names = splitMulti(ctx.query.names);
	const matching = core.schema.customObjects.filter((o) => !names || names.includes(o.apiName));
	return ok(matching.map((o) => ({ ...customObjectMeta(o), fields: describeFields(o.fields) })));
}

function describeCustomObject(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const object = findCustomObject(core, ctx.pathParams.customObjectName);
	if (!object) return fail('1013', `Custom object '${ctx.pathParams.customObjectName}' not found`);
	return ok([{ ...customObjectMeta(object), fields: describeFields(object.fields) }]);
}

function usage(ctx: RequestContext, core: SimulatorCore): RouteAnswer {
	const day = new Date(ctx.now);
	day.setUTCHours(0, 0, 0, 0);
	const total = core.limiter.dailyCount;
	return ok([
		{
			date: isoTime(day.getTime()),
			total,
			users: [{ userId: core.options.apiUserEmail, count: total }],
		},
	]);
}

/* ---------------- the table ---------------- */

const q = (name: string, aliases?: string[]): ParamSpec => ({
	name,
	in: 'query',
	...(aliases ? { aliases } : {}),
});
const p = (name: string): ParamSpec => ({ name, in: 'path' });
const fileParam: ParamSpec = { name: 'file', in: 'formData' };

export const ROUTES: RouteDefinition[] = [
	{
		name: 'identity',
		method: 'GET',
		template: '/identity/oauth/token',
		operationId: 'identityUsingGET',
		params: [q('client_id'), q('client_secret'), q('grant_type')],
		api: 'identity',
	},
	{
		name: 'identity',
		method: 'POST',
		template: '/identity/oauth/token',
		operationId: 'identityUsingPOST',
		params: [q('client_id'), q('client_secret'), q('grant_type')],
		api: 'identity',
	},
	{
		name: 'importLeads',
		method: 'POST',
		template: '/bulk/v1/leads.json',
		operationId: 'importLeadUsingPOST',
		params: [q('format'), q('lookupField'), q('partitionName'), q('listId'), fileParam],
		permission: 'writeLead',
		api: 'mapi',
		upload: true,
		handle: importLeads,
	},
	{
		name: 'leadBatchStatus',
		method: 'GET',
		template: '/bulk/v1/leads/batch/{batchId}.json',
		operationId: 'getImportLeadStatusUsingGET',
		params: [p('batchId')],
		permission: 'writeLead',
		api: 'mapi',
		handle: batchStatus('leads'),
	},
	{
		name: 'leadBatchFailures',
		method: 'GET',
		template: '/bulk/v1/leads/batch/{batchId}/failures.json',
		operationId: 'getImportLeadFailuresUsingGET',
		params: [p('batchId')],
		permission: 'writeLead',
		api: 'mapi',
		file: true,
		handle: batchFile('leads', 'failures'),
	},
	{
		name: 'leadBatchWarnings',
		method: 'GET',
		template: '/bulk/v1/leads/batch/{batchId}/warnings.json',
		operationId: 'getImportLeadWarningsUsingGET',
		params: [p('batchId')],
		permission: 'writeLead',
		api: 'mapi',
		file: true,
		handle: batchFile('leads', 'warnings'),
	},
	{
		name: 'importProgramMembers',
		method: 'POST',
		template: '/bulk/v1/program/{programId}/members/import.json',
		operationId: 'importProgramMemberUsingPOST',
		params: [p('programId'), q('programMemberStatus'), q('format'), fileParam],
		permission: 'writeLead',
		api: 'mapi',
		upload: true,
		handle: importProgramMembers,
	},
	{
		name: 'programMemberBatchStatus',
		method: 'GET',
		template: '/bulk/v1/program/members/import/{batchId}/status.json',
		operationId: 'getImportProgramMemberStatusUsingGET',
		params: [p('batchId')],
		permission: 'writeLead',
		api: 'mapi',
		handle: batchStatus('programMembers'),
	},
	{
		name: 'programMemberBatchFailures',
		method: 'GET',
		template: '/bulk/v1/program/members/import/{batchId}/failures.json',
		operationId: 'getImportProgramMemberFailuresUsingGET',
		params: [p('batchId')],
		permission: 'writeLead',
		api: 'mapi',
		file: true,
		handle: batchFile('programMembers', 'failures'),
	},
	{
		name: 'programMemberBatchWarnings',
		method: 'GET',
		template: '/bulk/v1/program/members/import/{batchId}/warnings.json',
		operationId: 'getImportProgramMemberWarningsUsingGET',
		params: [p('batchId')],
		permission: 'writeLead',
		api: 'mapi',
		file: true,
		handle: batchFile('programMembers', 'warnings'),
	},
	{
		name: 'importCustomObjects',
		method: 'POST',
		template: '/bulk/v1/customobjects/{apiName}/import.json',
		operationId: 'importCustomObjectUsingPOST',
		params: [p('apiName'), q('format'), fileParam],
		permission: 'writeCustomObjects',
		api: 'mapi',
		upload: true,
		handle: importCustomObjects,
	},
	{
		name: 'customObjectBatchStatus',
		method: 'GET',
		template: '/bulk/v1/customobjects/{apiName}/import/{batchId}/status.json',
		operationId: 'getImportCustomObjectStatusUsingGET',
		params: [p('apiName'), p('batchId')],
		permission: 'writeCustomObjects',
		api: 'mapi',
		handle: batchStatus('customObjects'),
	},
	{
		name: 'customObjectBatchFailures',
		method: 'GET',
		template: '/bulk/v1/customobjects/{apiName}/import/{batchId}/failures.json',
		operationId: 'getImportCustomObjectFailuresUsingGET',
		params: [p('apiName'), p('batchId')],
		permission: 'writeCustomObjects',
		api: 'mapi',
		file: true,
		handle: batchFile('customObjects', 'failures'),
	},
	{
		name: 'customObjectBatchWarnings',
		method: 'GET',
		template: '/bulk/v1/customobjects/{apiName}/import/{batchId}/warnings.json',
		operationId: 'getImportCustomObjectWarningsUsingGET',
		params: [p('apiName'), p('batchId')],
		permission: 'writeCustomObjects',
		api: 'mapi',
		file: true,
		handle: batchFile('customObjects', 'warnings'),
	},
	{
		name: 'describeLeads',
		method: 'GET',
		template: '/rest/v1/leads/describe2.json',
		operationId: 'describeUsingGET_6',
		params: [],
		permission: 'readLead',
		api: 'mapi',
		handle: describeLeads,
	},
	{
		name: 'leadPartitions',
		method: 'GET',
		template: '/rest/v1/leads/partitions.json',
		operationId: 'getLeadPartitionsUsingGET',
		params: [],
		permission: 'readLead',
		api: 'mapi',
		handle: partitions,
	},
	{
		name: 'lists',
		method: 'GET',
		template: '/rest/v1/lists.json',
		operationId: 'getListsUsingGET',
		params: [
			q('id'),
			q('name'),
			q('programName'),
			q('workspaceName'),
			q('batchSize'),
			q('nextPageToken'),
		],
		permission: 'readLead',
		api: 'mapi',
		handle: lists,
	},
	{
		name: 'describeProgramMembers',
		method: 'GET',
		template: '/rest/v1/programs/members/describe.json',
		operationId: 'describeProgramMemberUsingGET2',
		params: [],
		permission: 'readLead',
		api: 'mapi',
		handle: describeProgramMembers,
	},
	{
		name: 'customObjects',
		method: 'GET',
		template: '/rest/v1/customobjects.json',
		operationId: 'listCustomObjectsUsingGET',
		params: [q('names')],
		permission: 'readCustomObjects',
		api: 'mapi',
		handle: customObjects,
	},
	{
		name: 'describeCustomObject',
		method: 'GET',
		template: '/rest/v1/customobjects/{customObjectName}/describe.json',
		operationId: 'describeUsingGET_1',
		params: [p('customObjectName')],
		permission: 'readCustomObjects',
		api: 'mapi',
		handle: describeCustomObject,
	},
	{
		name: 'usage',
		method: 'GET',
		template: '/rest/v1/stats/usage.json',
		operationId: 'getDailyUsageUsingGET',
		params: [],
		permission: 'readLead',
		api: 'mapi',
		handle: usage,
	},
	{
		name: 'staticLists',
		method: 'GET',
		template: '/rest/asset/v1/staticLists.json',
		operationId: 'getStaticListsUsingGET',
		params: [q('offset'), q('maxReturn')],
		permission: 'readAssets',
		api: 'asset',
		handle: staticLists,
	},
	{
		name: 'programs',
		method: 'GET',
		template: '/rest/asset/v1/programs.json',
		operationId: 'browseProgramsUsingGET',
		params: [q('maxReturn'), q('offset')],
		permission: 'readAssets',
		api: 'asset',
		handle: programs,
	},
	{
		name: 'programById',
		method: 'GET',
		template: '/rest/asset/v1/program/{id}.json',
		operationId: 'getProgramByIdUsingGET',
		params: [p('id')],
		permission: 'readAssets',
		api: 'asset',
		handle: programById,
	},
	{
		name: 'channels',
		method: 'GET',
		template: '/rest/asset/v1/channels.json',
		operationId: 'getAllChannelsUsingGET',
		params: [q('maxReturn'), q('offset')],
		permission: 'readAssets',
		api: 'asset',
		handle: channels,
	},
	{
		name: 'channelByName',
		method: 'GET',
		template: '/rest/asset/v1/channel/byName.json',
		operationId: 'getChannelByNameUsingGET',
		params: [q('Name', ['name'])],
		permission: 'readAssets',
		api: 'asset',
		handle: channelByName,
	},
	...EXTRACT_ROUTES,
];

export interface MatchedRoute {
	route: RouteDefinition;
	pathParams: Record<string, string>;
}

const compiled = ROUTES.map((route) => {
	const names: string[] = [];
	const pattern = route.template
		.split(/(\{[^}]+\})/)
		.map((part) => {
			const m = /^\{([^}]+)\}$/.exec(part);
			if (m) {
				names.push(m[1]);
				return '([^/]+?)';
			}
			return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		})
		.join('');
	return { route, names, regex: new RegExp(`^${pattern}$`) };
});

/** The route for a method and path, with decoded path parameters. */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
	for (const { route, names, regex } of compiled) {
		if (route.method !== method) continue;
		const m = regex.exec(path);
		if (!m) continue;
		const pathParams: Record<string, string> = {};
		names.forEach((name, i) => {
			pathParams[name] = decodeURIComponent(m[i + 1]);
		});
		return { route, pathParams };
	}
	return undefined;
}
