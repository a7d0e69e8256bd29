/**
 * One input item's extract, from the request to the output items: today's quota read first
 * (nothing is created over a limit), the columns resolved, the jobs run, each file stored as its
 * job completes, then one file (the windows joined) or one per window.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { delimiterOf, fileExtensionOf, mimeTypeOf } from '../../../shared/csv/formats';
import {
	customObjectDescribePath,
	fetchDescribe,
	LEAD_DESCRIBE_PATH,
	PROGRAM_MEMBER_DESCRIBE_PATH,
} from '../../../shared/instance/describe';
import {
	BYTES_PER_MB,
	formatMb,
	quotaReading,
	readQuotaUse,
	type QuotaReading,
} from '../../../shared/jobs/exportQuota';
import { toNodeError } from '../../../shared/nodeErrors';
import { currentClock } from '../../../shared/pacing';
import { describeRequest, planJobs, type ExtractRequest } from '../plan/extractPlan';
import { partItems, storeJobFile, storeJoinedFile, type StoredFile } from '../output/fileOutput';
import { storeLimit } from '../output/storeLimit';
import { recordItems } from '../output/recordItems';
import { runJobs, type RunSettings } from './jobRunner';
import type { RunJob } from './runErrors';

export type OutputFiles = 'oneFile' | 'filePerJob' | 'items';

export interface ExtractSettings extends RunSettings {
	output: OutputFiles;
	binaryProperty: string;
	fileName: string;
	/** Marketo's daily allocation for this instance, MB */
	dailyAllocationMb: number;
	/** refuse to start when today's use is already at or past this many MB (0: Marketo's allocation) */
	stopAboveMb: number;
	/** true: every field the instance describes (the request's `fields` are ignored) */
	allFields: boolean;
	/** Max File Size (MB): the largest output file, cut between rows; 0: by n8n's binary data store */
	maxFileMb: number;
}

function describePathOf(request: ExtractRequest): string | null {
	switch (request.target.extractType) {
		case 'leads':
			return LEAD_DESCRIBE_PATH;
		case 'programMembers':
			return PROGRAM_MEMBER_DESCRIBE_PATH;
		case 'customObjects':
			return customObjectDescribePath(request.target.objectApiName ?? '');
		case 'activities':
			return null;
	}
}

async function allFieldsOf(
	context: IExecuteFunctions,
	request: ExtractRequest,
	itemIndex: number,
): Promise<string[] | null> {
	const path = describePathOf(request);
	if (path === null) return null;
	const described = await fetchDescribe(context, path, itemIndex);
	const names = (described?.fields ?? [])
		.map((field) => field.name)
		.filter((name): name is string => typeof name === 'string' && name !== '');
	if (names.length === 0) {
		throw new NodeOperationError(context.getNode(), `Marketo described no fields for ${path}`, {
			itemIndex,
		});
	}
	return names;
}

/** The quota before anything is created; an extract over the user's limit stops here. */
async function checkQuota(
	context: IExecuteFunctions,
	request: ExtractRequest,
	settings: ExtractSettings,
): Promise<QuotaReading> {
	const now = currentClock().now();
	const used = await readQuotaUse(context, request.target.objectApiName, now, settings.itemIndex);
	const reading = quotaReading(used, settings.dailyAllocationMb, now);
	const limitBytes =
		settings.stopAboveMb > 0 ? settings.stopAboveMb * BYTES_PER_MB : reading.allocationBytes;
	if (used >= limitBytes) {
		throw new NodeOperationError(
			context.getNode(),
			`This API user's extracts already used ${formatMb(used)} of Marketo's daily export quota today, at or over the ${formatMb(limitBytes)} this node may start from; nothing was created`,
			{
				itemIndex: settings.itemIndex,
				description: `The quota resets at midnight US Central Time (${new Date(reading.resetsAt).toISOString()}). Raise "Stop If Today's Use Reaches (MB)" or "Daily Export Allocation (MB)" in the options if your instance has more, or run later.`,
			},
		);
	}
	return reading;
}

function jobJson(run: RunJob, stored: StoredFile | undefined): IDataObject {
	return {
		exportId: run.job?.exportId ?? null,
		window: run.plan.window ? { ...run.plan.window } : null,
		records: run.job?.numberOfRecords ?? null,
		bytes: stored?.bytes ?? null,
		fileChecksum: stored ? `sha256:${stored.sha256}` : null,
	};
}

export async function runExtract(
	context: IExecuteFunctions,
	request: ExtractRequest,
	settings: ExtractSettings,
): Promise<INodeExecutionData[]> {
	const { itemIndex } = settings;
	const quota = await checkQuota(context, request, settings);
	const fields = settings.allFields
		? await allFieldsOf(context, request, itemIndex)
		: request.fields;
	const resolved: ExtractRequest = { ...request, fields };
	const planned = planJobs(resolved);
	const extension = fileExtensionOf(request.format);
	const mimeType = mimeTypeOf(request.format);
	const base = settings.fileName.replace(/\.(csv|tsv|ssv|txt)$/i, '');
	const nameOf = (index: number) =>
		planned.length === 1 || settings.output === 'oneFile'
			? `${base}.${extension}`
			: `${base}-${String(index + 1).padStart(2, '0')}.${extension}`;

	const delimiter = delimiterOf(request.format);
	const limitOf = storeLimit(context, settings.maxFileMb);
	const stored = new Map<number, StoredFile>();
	const runs = await runJobs(context, request.target, planned, settings, async (run) => {
		stored.set(
			run.index,
			await storeJobFile(context, request.target, run.job!, {
				fileName: nameOf(run.index),
				mimeType,
				delimiter,
				itemIndex,
				maxBytes: await limitOf(run.job!.fileSize ?? null),
			}),
		);
	});

	const files = runs.map((run) => stored.get(run.index) as StoredFile);
	const usedBytes = files.reduce((sum, file) => sum + file.bytes, 0);
	const quotaJson = {
		usedBeforeMb: Number((quota.usedBytes / BYTES_PER_MB).toFixed(3)),
		usedByThisMb: Number((usedBytes / BYTES_PER_MB).toFixed(3)),
		leftMb: Number((Math.max(0, quota.leftBytes - usedBytes) / BYTES_PER_MB).toFixed(3)),
		allocationMb: settings.dailyAllocationMb,
		resetsAt: new Date(quota.resetsAt).toISOString(),
	};
	const common: IDataObject = {
		extractType: request.target.extractType,
		...(request.target.objectApiName ? { objectApiName: request.target.objectApiName } : {}),
		extract: describeRequest(request),
		format: request.format,
		quota: quotaJson,
	};
	const recordsOf = (list: RunJob[]) =>
		list.reduce((sum, run) => sum + (run.job?.numberOfRecords ?? 0), 0);

	if (settings.output === 'items') {
		return await recordItems(
			context,
			files.flatMap((file) => file.parts.map((part) => part.binary)),
			{
				delimiter,
				extractType: request.target.extractType,
				itemIndex,
			},
		);
	}
	if (settings.output === 'filePerJob' || runs.length === 1) {
		return runs.flatMap((run) =>
			partItems(
				files[run.index].parts,
				{
					...common,
					records: recordsOf([run]),
					bytes: files[run.index].bytes,
					fileName: nameOf(run.index),
					jobs: [jobJson(run, files[run.index])],
				},
				settings.binaryProperty,
				itemIndex,
			),
		);
	}
	const joined = await storeJoinedFile(context, files, {
		fileName: nameOf(0),
		mimeType,
		delimiter,
		itemIndex,
		maxBytes: await limitOf(usedBytes),
	});
	return partItems(
		joined,
		{
			...common,
			records: recordsOf(runs),
			bytes: joined[0]?.bytes ?? joined[0]?.binary.bytes ?? null,
			fileName: nameOf(0),
			jobs: runs.map((run) => jobJson(run, files[run.index])),
		},
		settings.binaryProperty,
		itemIndex,
	);
}

/**
 * An operation over the node's input: one extract per item, in order (they share Marketo's
 * queue and quota, so running them at once would only make them wait on each other). With
 * Settings > On Error > Continue, a failed item becomes an error item and the next one runs.
 */
export async function runExtractOperation(
	context: IExecuteFunctions,
	build: (itemIndex: number) => { request: ExtractRequest; settings: ExtractSettings },
): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	const items = context.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const outcome = await Promise.resolve()
			.then(async () => {
				const { request, settings } = build(itemIndex);
				return await runExtract(context, request, settings);
			})
			.then(
				(produced) => ({ produced, error: null }),
				(error: unknown) => ({ produced: null, error }),
			);
		if (outcome.produced !== null) {
			output.push(...outcome.produced);
			continue;
		}
		const failure = toNodeError(context.getNode(), outcome.error, itemIndex);
		if (!context.continueOnFail()) throw failure;
		output.push({
			json: {
				error: failure.message,
				...(failure.description ? { description: failure.description } : {}),
			},
			pairedItem: { item: itemIndex },
		});
	}
	return output;
}
