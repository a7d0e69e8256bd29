/**
 * The Bulk Extract routes: create, enqueue, status, file, cancel and the job list for each of
 * the four object types (the OpenAPI paths and operationIds), and the activity types. Jobs are
 * seen only by the API user that created them: another user's job answers as an unknown one.
 */
import type { SimulatorCore } from '../core';
import type { ParamSpec, RequestContext, RouteAnswer, RouteDefinition } from '../routes';
import type { SimulatorPermissions } from '../types';
import { ACTIVITY_TYPES } from './activities';
import type { ExtractJob } from './queue';
import { isoTime } from './select';
import type { ExtractKind, ExtractStatus } from './types';
import { checkCreateBody, isRefusal } from './validate';

const ok = (result: unknown[], extra?: Record<string, unknown>): RouteAnswer => ({
	type: 'result',
	result,
	extra,
});
const fail = (code: string, message: string): RouteAnswer => ({ type: 'error', code, message });

const QUOTA_EXCEEDED = fail('1029', 'Export daily quota exceeded');

/** Path of each type under /bulk/v1, and the words of its route names. */
const TYPES: Array<{
	kind: ExtractKind;
	base: string;
	noun: string;
	ids: string;
	permission: keyof SimulatorPermissions;
}> = [
	{ kind: 'leads', base: '/bulk/v1/leads', noun: 'Lead', ids: 'Leads', permission: 'readLead' },
	{
		kind: 'activities',
		base: '/bulk/v1/activities',
		noun: 'Activity',
		ids: 'Activities',
		permission: 'readActivity',
	},
	{
		kind: 'programMembers',
		base: '/bulk/v1/program/members',
		noun: 'ProgramMember',
		ids: 'ProgramMembers',
		permission: 'readLead',
	},
	{
		kind: 'customObjects',
		base: '/bulk/v1/customobjects/{apiName}',
		noun: 'CustomObject',
		ids: 'CustomObjects',
		permission: 'readCustomObjects',
	},
];

function answerOf(job: ExtractJob, core: SimulatorCore, now: number): Record<string, unknown> {
	const queue = core.extract.queue;
	const shown = queue.shownState(job, now);
	const done = shown.status === 'Completed';
	return {
		exportId: job.exportId,
		format: job.spec.format,
		status: shown.status,
		createdAt: isoTime(job.createdAt),
		...(shown.queuedAt !== undefined ? { queuedAt: isoTime(shown.queuedAt) } : {}),
		...(shown.startedAt !== undefined ? { startedAt: isoTime(shown.startedAt) } : {}),
		...(shown.finishedAt !== undefined ? { finishedAt: isoTime(shown.finishedAt) } : {}),
		...(done
			? {
					numberOfRecords: job.records ?? 0,
					fileSize: queue.fileSize(job) ?? 0,
					fileChecksum: job.file?.checksum,
				}
			: {}),
		...(shown.status === 'Failed' ? { errorMsg: job.forcedFailure } : {}),
	};
}

/** The custom object of the path, when it exists. */
function objectOf(
	ctx: RequestContext,
	core: SimulatorCore,
	kind: ExtractKind,
): string | RouteAnswer | undefined {
	if (kind !== 'customObjects') return undefined;
	const apiName = ctx.pathParams.apiName;
	if (!core.schema.customObjects.some((o) => o.apiName === apiName))
		return fail('1013', `Custom object '${apiName}' not found`);
	return apiName;
}

/** A job of this type (and object) that the caller created and may still see. */
function ownJob(
	ctx: RequestContext,
	core: SimulatorCore,
	kind: ExtractKind,
): ExtractJob | RouteAnswer {
	const object = objectOf(ctx, core, kind);
	if (typeof object === 'object') return object;
	const job = core.extract.queue.find(ctx.pathParams.exportId);
	if (
		!job ||
		job.owner !== ctx.clientId ||
		job.spec.kind !== kind ||
		job.spec.objectApiName !== object ||
		core.extract.queue.statusExpired(job, ctx.now)
	)
		return fail('1003', `Export job '${ctx.pathParams.exportId}' not found`);
	return job;
}

const isJob = (v: ExtractJob | RouteAnswer): v is ExtractJob => 'exportId' in v;

function create(kind: ExtractKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const object = objectOf(ctx, core, kind);
		if (typeof object === 'object') return object;
		if (ctx.jsonProblem) return fail('609', 'Invalid JSON');
		const spec = checkCreateBody(
			ctx.json,
			kind,
			core.schema,
			core.extract.options.advancedFilters,
			object,
		);
		if (isRefusal(spec)) return fail(spec.code, spec.message);
		if (core.extract.queue.quotaReached(ctx.now)) return QUOTA_EXCEEDED;
		const job = core.extract.queue.create(spec, ctx.clientId ?? '', ctx.now);
		return ok([
			{
				exportId: job.exportId,
				format: spec.format,
				status: job.status,
				createdAt: isoTime(job.createdAt),
			},
		]);
	};
}

function enqueue(kind: ExtractKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const job = ownJob(ctx, core, kind);
		if (!isJob(job)) return job;
		const queue = core.extract.queue;
		queue.advanceTo(ctx.now);
		if (job.status === 'Queued' || job.status === 'Processing')
			return fail('1029', 'Job already queued');
		if (job.status !== 'Created')
			return fail(
				'1003',
				`Export job '${job.exportId}' cannot be queued: its status is ${job.status}`,
			);
		if (queue.quotaReached(ctx.now)) return QUOTA_EXCEEDED;
		if (queue.activeJobs().length >= queue.options.maxQueued)
			return fail('1029', 'Too many jobs in queue');
		queue.enqueue(job, ctx.now);
		return ok([answerOf(job, core, ctx.now)]);
	};
}

function status(kind: ExtractKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const job = ownJob(ctx, core, kind);
		return isJob(job) ? ok([answerOf(job, core, ctx.now)]) : job;
	};
}

function cancel(kind: ExtractKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const job = ownJob(ctx, core, kind);
		if (!isJob(job)) return job;
		core.extract.queue.advanceTo(ctx.now);
		if (job.status === 'Completed' || job.status === 'Failed' || job.status === 'Cancelled')
			return fail(
				'1003',
				`Export job '${job.exportId}' cannot be cancelled: its status is ${job.status}`,
			);
		core.extract.queue.cancel(job, ctx.now);
		return ok([answerOf(job, core, ctx.now)]);
	};
}

const notFound: RouteAnswer = {
	type: 'text',
	status: 404,
	body: 'Not Found',
	contentType: 'text/plain',
};

/** `bytes=a-b`, `bytes=a-` or `bytes=-n`; undefined when absent or not one byte range. */
function parseRange(
	header: string | undefined,
	size: number,
): { first: number; last: number } | 'unsatisfiable' | undefined {
	const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
	if (!m || (m[1] === '' && m[2] === '')) return undefined;
	if (m[1] === '') {
		const suffix = Number(m[2]);
		return suffix === 0 ? 'unsatisfiable' : { first: Math.max(0, size - suffix), last: size - 1 };
	}
	const first = Number(m[1]);
	const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
	if (first >= size || last < first) return 'unsatisfiable';
	return { first, last };
}

function file(kind: ExtractKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const job = ownJob(ctx, core, kind);
		// Adobe: an unknown id or a job not completed answers 404 with a plain-text message.
		if (!isJob(job)) return notFound;
		const exportFile = core.extract.queue.servedFile(job, ctx.now);
		if (!exportFile) return notFound;
		const size = exportFile.size;
		const headers = { 'Accept-Ranges': 'bytes' };
		const contentType = 'text/plain;charset=UTF-8';
		const range = parseRange(ctx.headers.range, size);
		if (range === 'unsatisfiable')
			return {
				type: 'text',
				status: 416,
				body: '',
				contentType,
				headers: { ...headers, 'Content-Range': `bytes */${size}` },
			};
		if (!range)
			return {
				type: 'stream',
				status: 200,
				contentType,
				headers,
				length: size,
				chunks: () => exportFile.bytes(),
			};
		return {
			type: 'stream',
			status: 206,
			contentType,
			headers: { ...headers, 'Content-Range': `bytes ${range.first}-${range.last}/${size}` },
			length: range.last - range.first + 1,
			chunks: () => exportFile.bytes(range.first, range.last),
		};
	};
}

const STATUS_WORDS: Record<string, ExtractStatus> = {
	created: 'Created',
	queued: 'Queued',
	processing: 'Processing',
	cancelled: 'Cancelled',
	canceled: 'Cancelled',
	completed: 'Completed',
	failed: 'Failed',
};

function list(kind: ExtractKind) {
	return (ctx: RequestContext, core: SimulatorCore): RouteAnswer => {
		const object = objectOf(ctx, core, kind);
		if (typeof object === 'object') return object;
		const words = ctx.query.status
			? ctx.query.status.split(',').map((s) => s.trim().toLowerCase())
			: [];
		const unknown = words.find((w) => !STATUS_WORDS[w]);
		if (unknown !== undefined) return fail('1003', `Invalid status '${unknown}'`);
		const wanted = new Set(words.map((w) => STATUS_WORDS[w]));
		const batchSize = ctx.query.batchSize === undefined ? 300 : Number(ctx.query.batchSize);
		if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 300)
			return fail('1003', 'Invalid batchSize, must be between 1 and 300');
		let offset = 0;
		if (ctx.query.nextPageToken) {
			const m = /^export-offset:(\d+)$/.exec(
				Buffer.from(ctx.query.nextPageToken, 'base64').toString('utf8'),
			);
			if (!m) return fail('1003', 'Invalid nextPageToken');
			offset = Number(m[1]);
		}
		const queue = core.extract.queue;
		const since = queue.listedSince(ctx.now);
		const answers = queue.jobs
			.filter(
				(j) => j.owner === ctx.clientId && j.spec.kind === kind && j.spec.objectApiName === object,
			)
			.filter((j) => j.createdAt > since)
			.map((j) => answerOf(j, core, ctx.now))
			.filter((a) => wanted.size === 0 || wanted.has(a.status as ExtractStatus));
		const page = answers.slice(offset, offset + batchSize);
		const more = offset + batchSize < answers.length;
		const token = Buffer.from(`export-offset:${offset + batchSize}`).toString('base64');
		return ok(page, more ? { nextPageToken: token } : undefined);
	};
}

function activityTypes(): RouteAnswer {
	return ok(ACTIVITY_TYPES);
}

const q = (name: string): ParamSpec => ({ name, in: 'query' });
const p = (name: string): ParamSpec => ({ name, in: 'path' });

function routesOf(type: (typeof TYPES)[number]): RouteDefinition[] {
	const { kind, base, noun, ids, permission } = type;
	const apiName = kind === 'customObjects' ? [p('apiName')] : [];
	const withId = [...apiName, p('exportId')];
	const route = (
		name: string,
		method: 'GET' | 'POST',
		path: string,
		operationId: string,
		params: ParamSpec[],
		handle: RouteDefinition['handle'],
		extra: Partial<RouteDefinition> = {},
	): RouteDefinition => ({
		name,
		method,
		template: `${base}${path}`,
		operationId,
		params,
		permission,
		api: 'mapi',
		handle,
		...extra,
	});
	return [
		route(
			`create${noun}Export`,
			'POST',
			'/export/create.json',
			`createExport${ids}UsingPOST`,
			apiName,
			create(kind),
			{ json: true },
		),
		route(
			`enqueue${noun}Export`,
			'POST',
			'/export/{exportId}/enqueue.json',
			`enqueueExport${ids}UsingPOST`,
			withId,
			enqueue(kind),
		),
		route(
			`${lower(noun)}ExportStatus`,
			'GET',
			'/export/{exportId}/status.json',
			`getExport${ids}StatusUsingGET`,
			withId,
			status(kind),
		),
		route(
			`${lower(noun)}ExportFile`,
			'GET',
			'/export/{exportId}/file.json',
			`getExport${ids}FileUsingGET`,
			withId,
			file(kind),
			{ file: true },
		),
		route(
			`cancel${noun}Export`,
			'POST',
			'/export/{exportId}/cancel.json',
			`cancelExport${ids}UsingPOST`,
			withId,
			cancel(kind),
		),
		route(
			`${lower(noun)}Exports`,
			'GET',
			'/export.json',
			`getExport${ids}UsingGET`,
			[...apiName, q('status'), q('batchSize'), q('nextPageToken')],
			list(kind),
		),
	];
}

function lower(noun: string): string {
	return noun[0].toLowerCase() + noun.slice(1);
}

export const EXTRACT_ROUTES: RouteDefinition[] = [
	...TYPES.flatMap(routesOf),
	{
		name: 'activityTypes',
		method: 'GET',
		template: '/rest/v1/activities/types.json',
		operationId: 'getAllActivityTypesUsingGET',
		params: [],
		permission: 'readActivity',
		api: 'mapi',
		handle: activityTypes,
	},
];
