/**
 * Public types of the simulator's Bulk Extract side. Re-exported by `../types.ts`; the Bulk
 * Extract node and its tests code against them, so change them only additively.
 */

export type ExtractKind = 'leads' | 'activities' | 'programMembers' | 'customObjects';

/** Marketo's job statuses. The docs spell the cancelled one both ways; answers say "Cancelled". */
export type ExtractStatus =
	| 'Created'
	| 'Queued'
	| 'Processing'
	| 'Completed'
	| 'Failed'
	| 'Cancelled';

export interface ExtractOptions {
	/** Extract processing speed, default 2000 records/s (a job lasts records / speed). */
	recordsPerSecond: number;
	/**
	 * Marketo refreshes a job's status at most once a minute: status and list answers show the
	 * job as it was at the last refresh (multiples of this on the simulator clock). Default 60000.
	 */
	statusRefreshMs: number;
	/** Jobs Processing at once, default 2. */
	maxProcessing: number;
	/** Jobs Queued or Processing at once, all API users together, default 10 (1029 past it). */
	maxQueued: number;
	/** Daily export allocation in bytes of files, default 500,000,000 (1029 once reached). */
	dailyQuotaBytes: number;
	/** A completed file is served this many days after it finished, default 7. */
	fileRetentionDays: number;
	/** Job lists show jobs created within this many days, default 7. */
	listDays: number;
	/** Status stays readable this many days after a job finished, default 30. */
	statusRetentionDays: number;
	/**
	 * The subscription has the lead `updatedAt` and smart list filters (default true). false:
	 * those filters answer 1035 for leads, program members (`updatedAt`) and custom objects
	 * (smart lists).
	 */
	advancedFilters: boolean;
}

/** One more API-only user of the same instance (its own client id, secret and jobs). */
export interface ApiUserDefinition {
	clientId: string;
	clientSecret: string;
	/** Returned as the token's `scope`. Default `<clientId>@simulator.example.com`. */
	apiUserEmail?: string;
}

/** A smart list: the leads whose fields match every condition (values compared without case). */
export interface SmartListDefinition {
	id: number;
	name: string;
	conditions: Array<{ field: string; values: string[] }>;
}

/** A job as the simulator knows it now (not as the once-a-minute status shows it). */
export interface ExtractJobView {
	exportId: string;
	kind: ExtractKind;
	objectApiName?: string;
	/** The client id of the API user that created it, or 'foreign' (addForeignExtractJobs). */
	owner: string;
	status: ExtractStatus;
	format: 'CSV' | 'TSV' | 'SSV';
	createdAt: number;
	queuedAt?: number;
	startedAt?: number;
	finishedAt?: number;
	numberOfRecords?: number;
	fileSize?: number;
	/** `sha256:<hex>` of the file. */
	fileChecksum?: string;
	errorMsg?: string;
}

export interface ForeignExtractJobOptions {
	/** Records the job processes (its duration at recordsPerSecond), default 1000. */
	records?: number;
	/** Its file's size, counted toward the daily quota when it completes, default 0. */
	fileSize?: number;
}

/** What `state` adds for Bulk Extract. */
export interface ExtractState {
	/** Every extract job (all API users and foreign ones), brought up to the clock's now. */
	readonly extractJobs: ExtractJobView[];
	/** The bytes of a completed job's file (test comparisons; holds the whole file in memory). */
	extractFile(exportId: string): Buffer;
	/** Bytes of files finished today (US Central day), all API users: what the quota counts. */
	readonly extractQuotaUsed: number;
	/** Jobs of another integration, queued at once in the shared extract queue; returns their ids. */
	addForeignExtractJobs(count: number, options?: ForeignExtractJobOptions): string[];
	/**
	 * The most extract jobs one API user (its client id, or 'foreign') held Queued or Processing
	 * at once since the simulator started: its share of the shared queue at its peak.
	 */
	extractQueuePeak(owner: string): number;
	/** The next job enqueued by any API user processes, then ends Failed with this errorMsg. */
	failNextExtract(message?: string): void;
	/**
	 * `count` leads made up on demand (not stored, invisible to imports and lookups): lead i is
	 * created at from + i * (to - from) / count, with fields derived from i. For extracts of
	 * any size (a 1 GB file) without holding the data. Returns the first and last lead id.
	 */
	addGeneratedLeads(count: number, from: number, to: number): { firstId: number; lastId: number };
}
