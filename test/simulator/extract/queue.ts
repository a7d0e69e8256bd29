/**
 * The extract jobs and their one queue, shared by the four object types and every API user
 * (imports have their own). Processing is replayed from the clock on each request, as the
 * import queue does: jobs start when one of the lanes is free, in enqueue order, and last
 * records / recordsPerSecond. What clients see of it lags: Marketo refreshes a job's status
 * at most once a minute (`statusRefreshMs`), see `shownState`.
 */
import type { ExtractJobView, ExtractOptions, ExtractStatus } from './types';
import { ExportFile, FileFolder } from './file';
import type { JobSpec } from './validate';
import { selectRows, type SelectionSources } from './select';

const DAY_MS = 24 * 3600 * 1000;

const centralDayFormat = new Intl.DateTimeFormat('en-CA', {
	timeZone: 'America/Chicago',
	year: 'numeric',
	month: '2-digit',
	day: '2-digit',
});

/** The US Central calendar day of a time (the quota day: it resets at midnight Central, DST included). */
export function centralDay(ms: number): string {
	return centralDayFormat.format(new Date(ms));
}

export interface ExtractJob {
	exportId: string;
	/** Client id of the API user that created it, or 'foreign'. */
	owner: string;
	spec: JobSpec;
	status: ExtractStatus;
	createdAt: number;
	queuedAt?: number;
	startedAt?: number;
	finishedAt?: number;
	/** Set at start: how long processing lasts. */
	records?: number;
	file?: ExportFile;
	/** Foreign jobs have a size instead of a file. */
	foreignFileSize?: number;
	/** failNextExtract: processes, then ends Failed with this. */
	forcedFailure?: string;
	/** Order of enqueueing (ties on queuedAt keep it). */
	sequence?: number;
}

/** A job as status.json shows it (see shownState). */
export interface ShownJob {
	status: ExtractStatus;
	queuedAt?: number;
	startedAt?: number;
	finishedAt?: number;
}

export class ExtractQueue {
	readonly jobs: ExtractJob[] = [];
	private readonly byId = new Map<string, ExtractJob>();
	private simTime = 0;
	private sequence = 0;
	private pendingFailure?: string;
	private readonly folder = new FileFolder();
	/** Per owner, the most jobs it held Queued or Processing at once (see peakHeld). */
	private readonly peaks = new Map<string, number>();

	constructor(
		public options: ExtractOptions,
		private readonly sources: SelectionSources,
		private readonly newId: () => string,
	) {}

	private durationMs(job: ExtractJob): number {
		return ((job.records ?? 0) / this.options.recordsPerSecond) * 1000;
	}

	create(spec: JobSpec, owner: string, now: number): ExtractJob {
		this.advanceTo(now);
		const job: ExtractJob = {
			exportId: this.newId(),
			owner,
			spec,
			status: 'Created',
			createdAt: now,
		};
		this.jobs.push(job);
		this.byId.set(job.exportId, job);
		return job;
	}

	find(exportId: string): ExtractJob | undefined {
		return this.byId.get(exportId);
	}

	/** Jobs holding a place in the queue (Queued or Processing), every API user's. */
	activeJobs(): ExtractJob[] {
		return this.jobs.filter((j) => j.status === 'Queued' || j.status === 'Processing');
	}

	enqueue(job: ExtractJob, now: number): void {
		this.advanceTo(now);
		job.status = 'Queued';
		job.queuedAt = now;
		job.sequence = this.sequence++;
		if (this.pendingFailure !== undefined && job.owner !== 'foreign') {
			job.forcedFailure = this.pendingFailure;
			this.pendingFailure = undefined;
		}
		const held = this.activeJobs().filter((j) => j.owner === job.owner).length;
		this.peaks.set(job.owner, Math.max(held, this.peaks.get(job.owner) ?? 0));
		// Not advanced: the enqueue answer says Queued; a free lane takes it from the next look on.
	}

	cancel(job: ExtractJob, now: number): void {
		this.advanceTo(now);
		job.status = 'Cancelled';
		job.finishedAt = undefined;
		// A cancelled job writes no file: stop spending time (and disk) on it.
		job.file = undefined;
		this.advanceTo(now);
	}

	/**
	 * The most jobs `owner` held in the queue (Queued or Processing) at any one time. A job only
	 * takes a place when it is enqueued, so counting at each enqueue sees every peak.
	 */
	peakHeld(owner: string): number {
		return this.peaks.get(owner) ?? 0;
	}

	failNext(message: string): void {
		this.pendingFailure = message;
	}

	addForeign(count: number, records: number, fileSize: number, now: number): string[] {
		this.advanceTo(now);
		const ids: string[] = [];
		for (let i = 0; i < count; i++) {
			const job = this.create(
				{ kind: 'leads', format: 'CSV', fields: [], headers: [], filter: {} },
				'foreign',
				now,
			);
			job.records = records;
			job.foreignFileSize = fileSize;
			this.enqueue(job, now);
			ids.push(job.exportId);
		}
		return ids;
	}

	private finishTime(job: ExtractJob): number {
		return (job.startedAt as number) + this.durationMs(job);
	}

	/** Replays starts and finishes up to `now`, in time order. */
	advanceTo(now: number): void {
		if (now < this.simTime) now = this.simTime;
		for (;;) {
			const processing = this.jobs.filter((j) => j.status === 'Processing');
			const next = processing.reduce<ExtractJob | undefined>(
				(best, j) => (!best || this.finishTime(j) < this.finishTime(best) ? j : best),
				undefined,
			);
			const head = this.jobs
				.filter((j) => j.status === 'Queued')
				.sort((a, b) => (a.sequence as number) - (b.sequence as number))[0];
			const finishAt = next ? this.finishTime(next) : Infinity;
			const laneFree = processing.length < this.options.maxProcessing;
			const startAt = head && laneFree ? Math.max(this.simTime, head.queuedAt as number) : Infinity;
			const at = Math.min(finishAt, startAt);
			if (at > now) break;
			this.simTime = at;
			// A lane frees before the next job takes it when both happen at the same instant.
			if (next && finishAt <= startAt) this.finish(next, at);
			else if (head) this.start(head, at);
		}
		this.simTime = now;
	}

	private start(job: ExtractJob, at: number): void {
		job.status = 'Processing';
		job.startedAt = at;
		if (job.owner === 'foreign') return;
		const { header, rows } = selectRows(job.spec, this.sources);
		job.file = new ExportFile(header, rows, job.spec.format, this.folder);
		job.records = rows.count;
	}

	private finish(job: ExtractJob, at: number): void {
		job.finishedAt = at;
		if (job.forcedFailure !== undefined) {
			job.status = 'Failed';
			job.file = undefined;
		} else job.status = 'Completed';
	}

	/**
	 * Brings the queue to `now` and writes the files of started jobs in slices, yielding in
	 * between: their content is fixed when they start, and writing while they process (as
	 * Marketo does) keeps a status call after the end from waiting for a large file.
	 */
	async catchUp(now: number): Promise<void> {
		this.advanceTo(now);
		for (const job of this.jobs) {
			if (job.file && !job.file.scanned) await job.file.scanAsync();
		}
	}

	fileSize(job: ExtractJob): number | undefined {
		if (job.status !== 'Completed') return undefined;
		return job.owner === 'foreign' ? job.foreignFileSize : job.file?.size;
	}

	/** Bytes of files finished on the Central day of `now`, every API user's. */
	usedToday(now: number): number {
		this.advanceTo(now);
		const today = centralDay(now);
		let used = 0;
		for (const job of this.jobs) {
			if (job.finishedAt === undefined || centralDay(job.finishedAt) !== today) continue;
			used += this.fileSize(job) ?? 0;
		}
		return used;
	}

	quotaReached(now: number): boolean {
		return this.usedToday(now) >= this.options.dailyQuotaBytes;
	}

	/**
	 * The job as status and list answers show it: processing changes become visible at the
	 * first refresh tick after them (ticks every statusRefreshMs on the simulator clock), while
	 * what the client did itself (create, enqueue, cancel) shows at once.
	 */
	shownState(job: ExtractJob, now: number): ShownJob {
		this.advanceTo(now);
		if (job.status === 'Created' || job.status === 'Cancelled' || job.queuedAt === undefined)
			return { status: job.status, queuedAt: job.queuedAt, startedAt: job.startedAt };
		const tick = Math.floor(now / this.options.statusRefreshMs) * this.options.statusRefreshMs;
		if (tick <= job.queuedAt || job.startedAt === undefined || job.startedAt > tick)
			return { status: 'Queued', queuedAt: job.queuedAt };
		if (job.finishedAt === undefined || job.finishedAt > tick)
			return { status: 'Processing', queuedAt: job.queuedAt, startedAt: job.startedAt };
		return {
			status: job.status,
			queuedAt: job.queuedAt,
			startedAt: job.startedAt,
			finishedAt: job.finishedAt,
		};
	}

	/** Status stays readable this long after the end; a job never finished stays readable. */
	statusExpired(job: ExtractJob, now: number): boolean {
		return (
			job.finishedAt !== undefined &&
			now >= job.finishedAt + this.options.statusRetentionDays * DAY_MS
		);
	}

	/** The file, when it is there to download: completed, and within the retention period. */
	servedFile(job: ExtractJob, now: number): ExportFile | undefined {
		this.advanceTo(now);
		if (job.status !== 'Completed' || !job.file) return undefined;
		if (now >= (job.finishedAt as number) + this.options.fileRetentionDays * DAY_MS)
			return undefined;
		return job.file;
	}

	/** Removes the files written to disk (the simulator closes). */
	dispose(): void {
		this.folder.dispose();
	}

	listedSince(now: number): number {
		return now - this.options.listDays * DAY_MS;
	}

	view(job: ExtractJob): ExtractJobView {
		const completed = job.status === 'Completed';
		return {
			exportId: job.exportId,
			kind: job.spec.kind,
			...(job.spec.objectApiName ? { objectApiName: job.spec.objectApiName } : {}),
			owner: job.owner,
			status: job.status,
			format: job.spec.format,
			createdAt: job.createdAt,
			queuedAt: job.queuedAt,
			startedAt: job.startedAt,
			finishedAt: job.finishedAt,
			numberOfRecords: completed ? job.records : undefined,
			fileSize: this.fileSize(job),
			fileChecksum: completed && job.file ? job.file.checksum : undefined,
			errorMsg: job.status === 'Failed' ? job.forcedFailure : undefined,
		};
	}
}
