/**
 * The items an extract outputs once every job has completed: its files downloaded (any not yet
 * in n8n's binary data), then one file (the windows joined), one per job, or the records as
 * items. Wait Until Done and Check Once end here alike, so both output the same.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { delimiterOf, fileExtensionOf, mimeTypeOf } from '../../../shared/csv/formats';
import { BYTES_PER_MB, type QuotaReading } from '../../../shared/jobs/exportQuota';
import { describeRequest, type ExtractRequest } from '../plan/extractPlan';
import type { RunJob } from '../run/runErrors';
import { partItems, storeJobFile, storeJoinedFile, type StoredFile } from './fileOutput';
import { recordItems } from './recordItems';
import { storeLimit } from './storeLimit';

export type OutputFiles = 'oneFile' | 'filePerJob' | 'items';

export interface OutputSettings {
	itemIndex: number;
	output: OutputFiles;
	binaryProperty: string;
	fileName: string;
	/** Marketo's daily allocation for this instance, MB */
	dailyAllocationMb: number;
	/** Max File Size (MB): the largest output file, cut between rows; 0: by n8n's binary data store */
	maxFileMb: number;
}

/** Pure: the name of job `index`'s file ("marketo-leads.csv", or "-02" per job). */
export function fileNameOf(
	request: ExtractRequest,
	settings: OutputSettings,
	jobCount: number,
	index: number,
): string {
	const extension = fileExtensionOf(request.format);
	const base = settings.fileName.replace(/\.(csv|tsv|ssv|txt)$/i, '');
	return jobCount === 1 || settings.output === 'oneFile'
		? `${base}.${extension}`
		: `${base}-${String(index + 1).padStart(2, '0')}.${extension}`;
}

/** The files of an extract as they are stored, by job index. */
export class ExtractFiles {
	private readonly stored = new Map<number, StoredFile>();

	/** The largest file n8n's binary data store takes, for a file of a given size. */
	readonly limitOf: (expectedBytes: number | null) => Promise<number>;

	constructor(
		private readonly context: IExecuteFunctions,
		private readonly request: ExtractRequest,
		private readonly settings: OutputSettings,
		private readonly jobCount: number,
	) {
		this.limitOf = storeLimit(context, settings.maxFileMb);
	}

	/** A Completed job's file into n8n's binary data (verified; see fileOutput.ts). */
	async store(run: RunJob): Promise<void> {
		this.stored.set(
			run.index,
			await storeJobFile(this.context, this.request.target, run.job!, {
				fileName: fileNameOf(this.request, this.settings, this.jobCount, run.index),
				mimeType: mimeTypeOf(this.request.format),
				delimiter: delimiterOf(this.request.format),
				itemIndex: this.settings.itemIndex,
				maxBytes: await this.limitOf(run.job!.fileSize ?? null),
			}),
		);
		run.stored = true;
	}

	/** Every file, in job order, downloading those not yet stored. */
	async all(runs: RunJob[]): Promise<StoredFile[]> {
		for (const run of runs) if (!this.stored.has(run.index)) await this.store(run);
		return runs.map((run) => this.stored.get(run.index) as StoredFile);
	}
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

/** Pure: what every output item of an extract says about it (what, format, the quota). */
export function commonJson(
	request: ExtractRequest,
	settings: Pick<OutputSettings, 'dailyAllocationMb'>,
	quota: QuotaReading,
	usedBytes: number,
): IDataObject {
	return {
		extractType: request.target.extractType,
		...(request.target.objectApiName ? { objectApiName: request.target.objectApiName } : {}),
		extract: describeRequest(request),
		format: request.format,
		quota: {
			usedBeforeMb: Number((quota.usedBytes / BYTES_PER_MB).toFixed(3)),
			usedByThisMb: Number((usedBytes / BYTES_PER_MB).toFixed(3)),
			leftMb: Number((Math.max(0, quota.leftBytes - usedBytes) / BYTES_PER_MB).toFixed(3)),
			allocationMb: settings.dailyAllocationMb,
			resetsAt: new Date(quota.resetsAt).toISOString(),
		},
	};
}

/** The output of an extract whose jobs have all completed. */
export async function outputCompleted(
	context: IExecuteFunctions,
	request: ExtractRequest,
	settings: OutputSettings,
	quota: QuotaReading,
	runs: RunJob[],
	extractFiles: ExtractFiles,
): Promise<INodeExecutionData[]> {
	const { itemIndex } = settings;
	const files = await extractFiles.all(runs);
	const nameOf = (index: number) => fileNameOf(request, settings, runs.length, index);
	const usedBytes = files.reduce((sum, file) => sum + file.bytes, 0);
	const common = commonJson(request, settings, quota, usedBytes);
	const recordsOf = (list: RunJob[]) =>
		list.reduce((sum, run) => sum + (run.job?.numberOfRecords ?? 0), 0);

	if (settings.output === 'items') {
		return await recordItems(
			context,
			files.flatMap((file) => file.parts.map((part) => part.binary)),
			{
				delimiter: delimiterOf(request.format),
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
		mimeType: mimeTypeOf(request.format),
		delimiter: delimiterOf(request.format),
		itemIndex,
		maxBytes: await extractFiles.limitOf(usedBytes),
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
