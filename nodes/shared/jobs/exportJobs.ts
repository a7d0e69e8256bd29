/**
 * One Bulk Extract job's calls: create, enqueue, status, cancel, and the job lists. Marketo
 * answers 1029 for three different reasons (a full queue, the daily quota, a job already
 * queued), so enqueue reads that code itself and says which one it was.
 */
import { NodeApiError, type IDataObject } from 'n8n-workflow';

import {
	exportCreatePath,
	exportJobPath,
	exportListPath,
	type ExtractTarget,
} from '../extractTypes';
import { currentClock } from '../pacing';
import { marketoApiRequest, marketoApiRequestAllItems, type MarketoContext } from '../transport';

export type ExportStatusName =
	| 'Created'
	| 'Queued'
	| 'Processing'
	| 'Completed'
	| 'Failed'
	| 'Cancelled';

export interface ExportJob {
	exportId: string;
	status: ExportStatusName;
	createdAt?: string;
	queuedAt?: string;
	startedAt?: string;
	finishedAt?: string;
	numberOfRecords?: number;
	/** bytes, on Completed */
	fileSize?: number;
	/** `sha256:<hex>`, on Completed */
	fileChecksum?: string;
	errorMsg?: string;
	/** when the answer was read, on the pacing's clock */
	readAt: number;
}

/** Pure: Marketo's job object as the node uses it ("Canceled" and "Cancelled" both appear in its docs). */
export function normalizeExportJob(raw: IDataObject, readAt: number): ExportJob {
	const status = String(raw.status ?? '');
	const known: ExportStatusName[] = ['Created', 'Queued', 'Processing', 'Completed', 'Failed'];
	const text = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
	const count = (key: string) =>
		raw[key] === undefined || raw[key] === null || !Number.isFinite(Number(raw[key]))
			? undefined
			: Number(raw[key]);
	return {
		exportId: String(raw.exportId ?? ''),
		status: /^cancel/i.test(status)
			? 'Cancelled'
			: (known.find((name) => name.toLowerCase() === status.toLowerCase()) ?? 'Failed'),
		createdAt: text('createdAt'),
		queuedAt: text('queuedAt'),
		startedAt: text('startedAt'),
		finishedAt: text('finishedAt'),
		numberOfRecords: count('numberOfRecords'),
		fileSize: count('fileSize'),
		fileChecksum: text('fileChecksum'),
		errorMsg: text('errorMsg'),
		readAt,
	};
}

export function isFinishedExport(status: ExportStatusName): boolean {
	return status === 'Completed' || status === 'Failed' || status === 'Cancelled';
}

async function jobCall(
	context: MarketoContext,
	call: Parameters<typeof marketoApiRequest>[0],
): Promise<ExportJob> {
	const result = (await marketoApiRequest.call(context, call)) as IDataObject[];
	return normalizeExportJob(result[0] ?? {}, currentClock().now());
}

export type JobOutcome =
	| { kind: 'done'; job: ExportJob }
	| { kind: 'queueFull'; message: string }
	| { kind: 'quotaExceeded'; message: string };

/** Pure: which of 1029's reasons Marketo gave. */
export function reasonOf1029(message: string): 'queueFull' | 'quotaExceeded' | 'alreadyQueued' {
	if (/quota/i.test(message)) return 'quotaExceeded';
	if (/already/i.test(message)) return 'alreadyQueued';
	return 'queueFull';
}

/** A create or enqueue call, with 1029 read here rather than retried by the transport. */
async function callReading1029(
	context: MarketoContext,
	call: Parameters<typeof marketoApiRequest>[0],
	onAlreadyQueued: () => Promise<ExportJob>,
): Promise<JobOutcome> {
	const answer = await jobCall(context, { ...call, callerHandles: ['1029'] }).then(
		(job) => ({ job, error: null }),
		(error: unknown) => ({ job: null, error }),
	);
	if (answer.job !== null) return { kind: 'done', job: answer.job };
	const { error } = answer;
	if (!(error instanceof NodeApiError) || error.httpCode !== '1029') throw error;
	const reason = reasonOf1029(error.message);
	if (reason === 'alreadyQueued') return { kind: 'done', job: await onAlreadyQueued() };
	return { kind: reason, message: error.message };
}

/**
 * A new job (status Created), or the daily quota Marketo says is used up. Sent once more after an
 * unknown outcome like any read: a Created job that was never enqueued holds no queue place and
 * no quota, and expires with the others.
 */
export async function createExportJob(
	context: MarketoContext,
	target: ExtractTarget,
	body: IDataObject,
	itemIndex?: number,
): Promise<JobOutcome> {
	const path = exportCreatePath(target);
	return await callReading1029(
		context,
		{ method: 'POST', path, json: body, idempotent: true, itemIndex },
		async () => {
			throw new NodeApiError(
				context.getNode(),
				{ message: 'Job already queued' },
				{
					message: `Marketo answered "Job already queued" to a new job (${path})`,
					itemIndex,
				},
			);
		},
	);
}

/** Statuses an enqueue that went through can have moved on to by the time it is sent again. */
const ENQUEUED_STATUSES: ExportStatusName[] = ['Queued', 'Processing', 'Completed'];

/**
 * Enqueues a job. A full queue and the daily quota come back as outcomes for the caller to wait
 * out or report; "already queued" (a resent enqueue that had gone through) is read as queued.
 * A resent enqueue can also meet a job that has run meanwhile (a small job, an idle queue):
 * Marketo then answers 1003, a job not in Created, and the status read once tells which.
 */
export async function enqueueExportJob(
	context: MarketoContext,
	target: ExtractTarget,
	exportId: string,
	itemIndex?: number,
): Promise<JobOutcome> {
	const answer = await callReading1029(
		context,
		{
			method: 'POST',
			path: exportJobPath(target, exportId, 'enqueue'),
			idempotent: true,
			itemIndex,
		},
		async () => await fetchExportStatus(context, target, exportId, itemIndex),
	).then(
		(outcome) => ({ outcome, refusal: null }),
		(refusal: unknown) => ({ outcome: null, refusal }),
	);
	if (answer.outcome !== null) return answer.outcome;
	const { refusal } = answer;
	if (!(refusal instanceof NodeApiError) || refusal.httpCode !== '1003') throw refusal;
	// A status that cannot be read (an unknown or expired id) leaves the refusal as Marketo gave it.
	const job = await fetchExportStatus(context, target, exportId, itemIndex).catch(() => null);
	if (job === null) throw refusal;
	if (ENQUEUED_STATUSES.includes(job.status)) return { kind: 'done', job };
	throw new NodeApiError(
		context.getNode(),
		{ message: refusal.message },
		{
			message: `${refusal.message} (its status, read after the refusal: ${job.status})`,
			description: refusal.description ?? undefined,
			httpCode: '1003',
			itemIndex,
		},
	);
}

export async function fetchExportStatus(
	context: MarketoContext,
	target: ExtractTarget,
	exportId: string,
	itemIndex?: number,
): Promise<ExportJob> {
	return await jobCall(context, {
		method: 'GET',
		path: exportJobPath(target, exportId, 'status'),
		idempotent: true,
		itemIndex,
	});
}

/** Cancels a job that has not finished; a job that ended meanwhile is left as it is. */
export async function cancelExportJob(
	context: MarketoContext,
	target: ExtractTarget,
	exportId: string,
	itemIndex?: number,
): Promise<ExportJob> {
	return await jobCall(context, {
		method: 'POST',
		path: exportJobPath(target, exportId, 'cancel'),
		idempotent: true,
		itemIndex,
		evenIfCancelled: true,
	});
}

/** This API user's jobs of the last seven days (Marketo keeps the lists that long). */
export async function listExportJobs(
	context: MarketoContext,
	target: ExtractTarget,
	statuses?: ExportStatusName[],
	itemIndex?: number,
): Promise<ExportJob[]> {
	const raw = (await marketoApiRequestAllItems.call(context, {
		method: 'GET',
		path: exportListPath(target),
		qs: { batchSize: 300, ...(statuses ? { status: statuses.join(',') } : {}) },
		idempotent: true,
		itemIndex,
	})) as IDataObject[];
	const readAt = currentClock().now();
	return raw.map((job) => normalizeExportJob(job, readAt));
}
