/**
 * The bulk import queue and its processing.
 *
 * One FIFO queue is shared by lead, program member and custom object imports (Adobe does
 * not say; a shared queue is the harder assumption). Processing is computed lazily from
 * the clock: every request first calls `advanceTo(now)`, which replays what happened since
 * the last request (jobs starting, rows being applied, jobs finishing), so a fake clock
 * drives it exactly and no timer is needed.
 *
 * Replaying is O(rows applied): each row is applied once, whatever the number of status
 * calls. The server calls `catchUp(now)` before each request so that a large backlog (a
 * status call after 100,000 rows' worth of time) is applied in short slices, yielding to
 * the event loop between them instead of blocking it; the slices reach the same state as
 * one synchronous `advanceTo(now)`.
 */
import { DEFAULT_PARTITION_ID, InstanceDatabase } from './database';
import { DELIMITERS, writeDelimited } from './delimited';
import { checkRow, mapHeader, type HeaderMapping, type RowRules } from './rows';
import type { InstanceSchema } from './schema';
import type { BatchStatus, DelimitedFormat, ImportKind, QueueJobView, QueueOptions } from './types';

export interface RowProblem {
	row: string[];
	reason: string;
}

export interface ImportJob {
	batchId: number;
	owner: 'own' | 'foreign';
	kind: ImportKind;
	format: DelimitedFormat;
	objectApiName?: string;
	programId?: number;
	programMemberStatus?: string;
	listId?: number;
	lookupField?: string;
	partitionId?: number;
	header: string[];
	rows: string[][];
	/** Foreign jobs have no rows of their own, only a size. */
	rowCount: number;
	createdAt: number;
	startedAt?: number;
	finishedAt?: number;
	status: BatchStatus;
	rowsProcessed: number;
	numImported: number;
	numFailed: number;
	numWarnings: number;
	failures: RowProblem[];
	warnings: RowProblem[];
	/** Set by failNextBatch: the job runs, then ends Failed with this message. */
	forcedFailure?: string;
	/** Set at start when the whole batch cannot be processed (e.g. unknown columns). */
	batchFailure?: string;
	mapping?: HeaderMapping;
	/** Key fields and field sets of this job's rows, fixed when it starts. */
	rules?: RowRules;
}

export interface ImportSettings {
	rowsPerSecond: number;
	queue: QueueOptions;
	headerMatching: 'case-insensitive' | 'exact';
	unknownColumns: 'ignore' | 'fail-batch';
	batchExpiryDays: number;
	firstBatchId?: number;
}

export type NewJob = Pick<
	ImportJob,
	| 'kind'
	| 'format'
	| 'objectApiName'
	| 'programId'
	| 'programMemberStatus'
	| 'listId'
	| 'lookupField'
	| 'partitionId'
	| 'header'
	| 'rows'
>;

/** How long one slice of `catchUp` may run before it yields to other requests. */
const SLICE_MS = 50;
/** Rows applied between two looks at the clock within a slice. */
const ROWS_PER_CHECK = 1000;

export class ImportQueue {
	readonly jobs: ImportJob[] = [];
	private readonly jobsById = new Map<number, ImportJob>();
	private nextBatchId: number;
	private simTime = 0;
	private pendingForcedFailure?: string;

	constructor(
		private readonly settings: ImportSettings,
		private readonly schema: InstanceSchema,
		private readonly db: InstanceDatabase,
	) {
		this.nextBatchId = settings.firstBatchId ?? 1001;
	}

	/** Jobs still taking a slot (queued or processing). */
	activeJobs(): ImportJob[] {
		return this.jobs.filter((job) => job.status === 'Queued' || job.status === 'Importing');
	}

	failNextBatch(message: string): void {
		this.pendingForcedFailure = message;
	}

	enqueue(job: NewJob, now: number): ImportJob {
		this.advanceTo(now);
		const created = this.newJob({ ...job, owner: 'own', rowCount: job.rows.length }, now);
		if (this.pendingForcedFailure !== undefined) {
			created.forcedFailure = this.pendingForcedFailure;
			this.pendingForcedFailure = undefined;
		}
		// Not advanced here: the create call answers "Queued", processing shows from the next request on.
		return created;
	}

	addForeignJobs(count: number, rowsEach: number, now: number): number[] {
		this.advanceTo(now);
		const ids: number[] = [];
		for (let i = 0; i < count; i++) {
			const job = this.newJob(
				{
					kind: 'leads',
					format: 'csv',
					header: [],
					rows: [],
					owner: 'foreign',
					rowCount: rowsEach,
				},
				now,
			);
			ids.push(job.batchId);
		}
		this.advanceTo(now);
		return ids;
	}

	private newJob(partial: NewJob & Pick<ImportJob, 'owner' | 'rowCount'>, now: number): ImportJob {
		const job: ImportJob = {
			...partial,
			batchId: this.nextBatchId++,
			createdAt: now,
			status: 'Queued',
			rowsProcessed: 0,
			numImported: 0,
			numFailed: 0,
			numWarnings: 0,
			failures: [],
			warnings: [],
		};
		this.jobs.push(job);
		this.jobsById.set(job.batchId, job);
		return job;
	}

	/** A job by id, unless it never existed or expired (then Marketo says "not found"). */
	find(batchId: number, now: number): ImportJob | undefined {
		this.advanceTo(now);
		const job = this.jobsById.get(batchId);
		if (!job) return undefined;
		const expiresAt = job.createdAt + this.settings.batchExpiryDays * 24 * 3600 * 1000;
		return now >= expiresAt ? undefined : job;
	}

	private durationMs(job: ImportJob): number {
		return (job.rowCount / this.settings.rowsPerSecond) * 1000;
	}

	private finishTime(job: ImportJob): number {
		return job.batchFailure !== undefined
			? (job.startedAt as number)
			: (job.startedAt as number) + this.durationMs(job);
	}

	/** Replays the queue up to `now`: starts, row progress and finishes in time order. */
	advanceTo(now: number): void {
		this.advanceWithin(now, Infinity);
	}

	/**
	 * advanceTo in slices of about SLICE_MS, yielding to the event loop in between, so one
	 * request with a big backlog does not stall the server.
	 */
	async catchUp(now: number, sliceMs = SLICE_MS): Promise<void> {
		for (;;) {
			const sliceEnds = Date.now() + sliceMs;
			if (this.advanceWithin(now, sliceEnds)) return;
			await new Promise<void>((resolve) => setImmediate(resolve));
		}
	}

	/**
	 * Replays up to `now`, stopping early (returning false) once the wall clock passes
	 * `stopAt`. All progress lives in the jobs (status, rowsProcessed) and `simTime`, so a
	 * later call resumes exactly where this one stopped.
	 */
	private advanceWithin(now: number, stopAt: number): boolean {
		if (now < this.simTime) now = this.simTime;
		for (;;) {
			const processing = this.jobs.filter((j) => j.status === 'Importing');
			const nextToFinish = processing.reduce<ImportJob | undefined>(
				(best, j) => (!best || this.finishTime(j) < this.finishTime(best) ? j : best),
				undefined,
			);
			const head = this.jobs.find((j) => j.status === 'Queued');
			const laneFree = processing.length < this.settings.queue.maxProcessing;
			const finishAt = nextToFinish ? this.finishTime(nextToFinish) : Infinity;
			const startAt =
				head && laneFree
					? Math.max(this.simTime, head.createdAt + this.settings.queue.startDelayMs)
					: Infinity;
			const eventAt = Math.min(finishAt, startAt);
			if (eventAt > now) break;
			this.simTime = eventAt;
			// A lane frees before the next job takes it when both happen at the same instant.
			if (nextToFinish && finishAt <= startAt) {
				if (!this.finish(nextToFinish, eventAt, stopAt)) return false;
			} else if (head) this.start(head, eventAt);
		}
		this.simTime = now;
		for (const job of this.jobs) {
			if (job.status === 'Importing' && !this.applyRowsUpTo(job, now, false, stopAt)) return false;
		}
		return true;
	}

	private start(job: ImportJob, at: number): void {
		job.status = 'Importing';
		job.startedAt = at;
		if (job.owner === 'foreign') return;
		const fieldSets = this.fieldSetsFor(job);
		job.mapping = mapHeader(job.header, fieldSets, this.settings.headerMatching);
		job.rules = this.rulesFor(job);
		if (this.settings.unknownColumns === 'fail-batch' && job.mapping.unknown.length > 0) {
			job.batchFailure = `Import failed: unknown field(s) in header: ${job.mapping.unknown.join(', ')}`;
		}
	}

	/** Returns false when the time budget ran out before all rows were applied (the job stays Importing). */
	private finish(job: ImportJob, at: number, stopAt: number): boolean {
		if (job.batchFailure === undefined && !this.applyRowsUpTo(job, at, true, stopAt)) return false;
		job.finishedAt = at;
		job.status =
			job.batchFailure !== undefined || job.forcedFailure !== undefined ? 'Failed' : 'Complete';
		return true;
	}

	/** Returns false when the wall clock passed `stopAt` before reaching the target row. */
	private applyRowsUpTo(job: ImportJob, at: number, all: boolean, stopAt: number): boolean {
		if (job.batchFailure !== undefined) return true;
		const elapsed = at - (job.startedAt as number);
		const target = all
			? job.rowCount
			: Math.min(job.rowCount, Math.floor((elapsed * this.settings.rowsPerSecond) / 1000));
		if (job.owner === 'foreign') {
			job.rowsProcessed = Math.max(job.rowsProcessed, target);
			job.numImported = job.rowsProcessed;
			return true;
		}
		while (job.rowsProcessed < target) {
			const checkpoint = Math.min(target, job.rowsProcessed + ROWS_PER_CHECK);
			while (job.rowsProcessed < checkpoint) {
				this.applyRow(job, job.rows[job.rowsProcessed], at);
				job.rowsProcessed++;
			}
			if (job.rowsProcessed < target && stopAt !== Infinity && Date.now() >= stopAt) return false;
		}
		return true;
	}

	/** step of each status of the program's channel */
	private statusSteps(programId: number): Map<string, number> {
		const program = this.schema.programs.find((p) => p.id === programId);
		const channel = this.schema.channels.find((c) => c.name === program?.channel);
		return new Map((channel?.progressionStatuses ?? []).map((s) => [s.name, s.step]));
	}

	private fieldSetsFor(job: ImportJob) {
		if (job.kind === 'leads') return [this.schema.leadFields];
		if (job.kind === 'programMembers')
			return [this.schema.leadFields, this.schema.programMemberFields];
		const object = this.schema.customObjects.find((o) => o.apiName === job.objectApiName);
		return [object?.fields ?? []];
	}

	private rulesFor(job: ImportJob): RowRules {
		if (job.kind === 'leads')
			return { keyFields: [job.lookupField ?? 'email'], keyLabel: 'lookup', fieldSetCount: 1 };
		if (job.kind === 'programMembers')
			return { keyFields: ['email'], keyLabel: 'lookup', fieldSetCount: 2 };
		const object = this.schema.customObjects.find((o) => o.apiName === job.objectApiName);
		return { keyFields: object?.dedupeFields ?? [], keyLabel: 'dedupe', fieldSetCount: 1 };
	}

	private applyRow(job: ImportJob, row: string[], now: number): void {
		const verdict = checkRow(job.mapping as HeaderMapping, row, job.rules ?? this.rulesFor(job));
		const fail = (reason: string) => {
			job.numFailed++;
			job.failures.push({ row, reason });
		};
		if (verdict.outcome === 'failed') return fail(verdict.reason ?? 'Failed');

		if (job.kind === 'leads') {
			const lookupField = job.lookupField ?? 'email';
			const lookupValue = verdict.keys[lookupField];
			const partitionId = job.partitionId ?? DEFAULT_PARTITION_ID;
			const existing =
				lookupField === 'id'
					? this.db.leadById(Number(lookupValue))
					: this.db.findLead(lookupField, lookupValue, partitionId);
			// lookupField=id makes the import update-only.
			if (!existing && lookupField === 'id') return fail('Lead not found');
			const lead = existing ?? this.db.createLead(verdict.values[0], partitionId, now);
			if (existing) this.db.updateLead(existing, verdict.values[0], now);
			if (job.listId !== undefined) this.db.addToList(job.listId, lead.id, now);
		} else if (job.kind === 'programMembers') {
			const email = verdict.keys.email;
			const existing = this.db.findLead('email', email, DEFAULT_PARTITION_ID);
			const lead = existing ?? this.db.createLead(verdict.values[0], DEFAULT_PARTITION_ID, now);
			if (existing) this.db.updateLead(existing, verdict.values[0], now);
			const programId = job.programId as number;
			const current = this.db
				.programMembers(programId)
				.find((member) => member.leadId === lead.id)?.status;
			const status = statusAfterImport(
				current,
				job.programMemberStatus as string,
				this.statusSteps(programId),
			);
			this.db.upsertProgramMember(programId, lead, status, verdict.values[1], now);
		} else {
			// The rules' key fields are the object's dedupe fields, in order.
			const dedupeValues = (job.rules ?? this.rulesFor(job)).keyFields.map(
				(name) => verdict.keys[name],
			);
			this.db.upsertCustomObject(job.objectApiName as string, dedupeValues, verdict.values[0], now);
		}
		job.numImported++;
		if (verdict.outcome === 'warning') {
			job.numWarnings++;
			job.warnings.push({ row, reason: verdict.reason ?? '' });
		}
	}
}

/**
 * A member's status after a bulk import row: the imported status, unless the member already
 * has a status of a higher step, which it keeps (docs/DECISIONS.md "A bulk import never moves a
 * member's status back"): Marketo's program statuses only move forward, as its flow step and its
 * status sync do; its bulk import documentation is silent. The row still counts as imported.
 */
function statusAfterImport(
	current: string | undefined,
	imported: string,
	steps: Map<string, number>,
): string {
	if (current === undefined) return imported;
	const currentStep = steps.get(current);
	const importedStep = steps.get(imported);
	if (currentStep === undefined || importedStep === undefined) return imported;
	return importedStep < currentStep ? current : imported;
}

/**
 * Status messages, worded like the Adobe examples ("Import succeeded, 8 records imported
 * (8 members)"). Marketo does not pluralise "records"; "warning" is kept singular too.
 */
export function statusMessage(job: ImportJob): string {
	if (job.status === 'Queued') return 'Queued for processing';
	if (job.status === 'Importing')
		return `Import in progress, ${job.rowsProcessed} of ${job.rowCount} rows processed`;
	if (job.status === 'Failed') return job.batchFailure ?? job.forcedFailure ?? 'Import failed';
	const imported = `${job.numImported} records imported (${job.numImported} members)`;
	const warned = job.numWarnings > 0 ? `, ${job.numWarnings} warning.` : '';
	if (job.numFailed > 0)
		return `Import completed with errors, ${imported}, ${job.numFailed} failed${warned}`;
	return `Import succeeded, ${imported}${warned}`;
}

/** "12 seconds": the custom object status' importTime (format undocumented). */
export function importTime(job: ImportJob): string | undefined {
	if (job.finishedAt === undefined || job.startedAt === undefined) return undefined;
	return `${Math.max(1, Math.round((job.finishedAt - job.startedAt) / 1000))} seconds`;
}

/**
 * The failures or warnings file: the upload's delimiter, the uploaded columns (minus those
 * empty in every listed row when `omitEmptyColumns`), then the reason column.
 */
export function problemFile(
	job: ImportJob,
	which: 'failures' | 'warnings',
	omitEmptyColumns: boolean,
): string {
	const problems = which === 'failures' ? job.failures : job.warnings;
	if (problems.length === 0) return '';
	const reasonColumn = which === 'failures' ? 'Import Failure Reason' : 'Import Warning Reason';
	const keep = job.header
		.map((_, index) => index)
		.filter((index) => !omitEmptyColumns || problems.some((p) => (p.row[index] ?? '') !== ''));
	const lines = [
		[...keep.map((i) => job.header[i]), reasonColumn],
		...problems.map((p) => [...keep.map((i) => p.row[i] ?? ''), p.reason]),
	];
	return writeDelimited(lines, DELIMITERS[job.format]);
}

export function jobView(job: ImportJob): QueueJobView {
	return {
		batchId: job.batchId,
		owner: job.owner,
		kind: job.kind,
		objectApiName: job.objectApiName,
		programId: job.programId,
		listId: job.listId,
		status: job.status,
		rows: job.rowCount,
		rowsProcessed: job.rowsProcessed,
		numImported: job.numImported,
		numFailed: job.numFailed,
		numWarnings: job.numWarnings,
		message: statusMessage(job),
		createdAt: job.createdAt,
		startedAt: job.startedAt,
		finishedAt: job.finishedAt,
	};
}
