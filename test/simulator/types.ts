/**
 * Public types of the Marketo simulator. Other parts of the project (integration tests,
 * the harness, the demo, benchmarks) code against these, so change them only additively.
 *
 * Every option is optional; the default is given in the comment and lives in
 * `DEFAULT_OPTIONS` (server.ts) so the CLI and tests agree.
 */
import type { Clock } from '../../nodes/shared/clock';
import type {
	ApiUserDefinition,
	ExtractOptions,
	ExtractState,
	SmartListDefinition,
} from './extract/types';

export * from './extract/types';

/**
 * Where time comes from: token expiry, rate windows, queue processing and batch expiry read
 * it, and delays sleep on it. The product's clock type, so one fake clock can drive the
 * simulator and the nodes together.
 */
export type { Clock };

export type ImportKind = 'leads' | 'programMembers' | 'customObjects';

export type DelimitedFormat = 'csv' | 'tsv' | 'ssv';

/** What the API-only user's role may do. Missing permission answers 603 "Access denied". Default: all true. */
export interface SimulatorPermissions {
	/** describe2, partitions, lists.json, program member describe, usage stats. */
	readLead: boolean;
	/** Lead and program member imports (create, status, failures, warnings). */
	writeLead: boolean;
	/** programs, program by id, channels, channel by name, staticLists. */
	readAssets: boolean;
	/** customobjects.json and custom object describe. */
	readCustomObjects: boolean;
	/** Custom object imports (create, status, failures, warnings). */
	writeCustomObjects: boolean;
	/** Activity extracts and activity types ("Read-Only Activity"). */
	readActivity: boolean;
}

export interface SimulatorLimits {
	/** Calls allowed in the sliding window, default 100 (606 past it). */
	callsPerWindow: number;
	/** Sliding window length, default 20 s. */
	windowSeconds: number;
	/** Calls in flight at once, default 10 (615 past it). */
	maxConcurrent: number;
	/** Calls per day (US Central calendar day), default 50000 (607 past it). */
	dailyQuota: number;
}

export interface QueueOptions {
	/** Jobs processed at the same time, default 2. */
	maxProcessing: number;
	/** Jobs allowed in the queue including the processing ones, default 10 (1016 past it). */
	maxQueued: number;
	/** A job is not picked up before this many ms after creation, default 0. */
	startDelayMs: number;
}

/** Envelope error codes the random fault injector can answer with. */
export type TransientEnvelopeCode = '604' | '608' | '611' | '713';

/** Random faults, drawn from the seeded PRNG on every API call (identity excluded unless said). */
export interface RandomFaults {
	/** Fraction of calls answered with HTTP 500/503 (plain text body). Default 0. */
	http5xxRate: number;
	/** Fraction of calls answered with HTTP 502 and an HTML gateway page. Default 0. */
	gateway502Rate: number;
	/** Fraction of calls answered with HTTP 200 + that envelope error code. Default none. */
	envelopeErrorRates: Partial<Record<TransientEnvelopeCode, number>>;
	/** Fraction of calls whose socket is destroyed before any answer. Default 0. */
	connectionResetRate: number;
	/** Fraction of calls delayed by `slowResponseMs` before they are handled. Default 0. */
	slowResponseRate: number;
	/** Delay for slow responses, default 0. */
	slowResponseMs: number;
	/** Only these route names get random faults (undefined = every API route). */
	routes?: string[];
	/** Also inject random faults into identity calls. Default false. */
	includeIdentity: boolean;
}

/** What a scripted fault answers instead of (or after) the normal handling. */
export type FaultAnswer =
	| { kind: 'http'; status: number; body?: string; contentType?: string }
	| { kind: 'gateway502' }
	| { kind: 'envelope'; code: string; message?: string }
	| { kind: 'reset' }
	| { kind: 'delay'; ms: number }
	/** The call is handled; its answer is cut after this many body bytes and the connection dropped. */
	| { kind: 'truncate'; afterBytes: number }
	/** The call is handled; one byte of its body (offset `atByte`, default 0) is changed. */
	| { kind: 'corrupt'; atByte?: number };

/** "The next `times` calls matching this answer X". Matched in the order they were added. */
export interface ScriptedFault {
	/** Route name, e.g. 'importLeads', 'leadBatchStatus', 'identity'. */
	route?: string;
	/** Exact request path (without query) or a RegExp tested against it. */
	path?: string | RegExp;
	method?: 'GET' | 'POST';
	/** How many calls it applies to, default 1. */
	times?: number;
	answer: FaultAnswer;
	/**
	 * 'before' (default): the request is NOT handled (nothing is created).
	 * 'after': the request IS handled (an import is really queued) and the answer is then
	 * replaced - the "response lost on the way back" case. Ignored for kind 'delay'.
	 */
	when?: 'before' | 'after';
}

export type SimpleDataType =
	| 'string'
	| 'text'
	| 'email'
	| 'phone'
	| 'url'
	| 'integer'
	| 'float'
	| 'currency'
	| 'boolean'
	| 'date'
	| 'datetime'
	| 'reference'
	| 'textarea'
	| 'link';

/** A field as describe endpoints return it (lead, program member or custom object). */
export interface FieldDefinition {
	name: string;
	displayName: string;
	dataType: SimpleDataType;
	/** Max length for string-like fields. */
	length?: number;
	updateable: boolean;
	crmManaged?: boolean;
}

export interface PartitionDefinition {
	id: number;
	name: string;
	description?: string;
}

export interface ProgressionStatusDefinition {
	name: string;
	step: number;
	type?: string;
	success?: boolean;
	hidden?: boolean;
	description?: string;
}

export interface ChannelDefinition {
	id: number;
	name: string;
	applicableProgramType: string;
	progressionStatuses: ProgressionStatusDefinition[];
}

export interface ProgramDefinition {
	id: number;
	name: string;
	/** Channel NAME (as the asset API returns it). */
	channel: string;
	type: 'program' | 'event' | 'webinar' | 'nurture';
	workspace?: string;
	folderId?: number;
}

export interface StaticListDefinition {
	id: number;
	name: string;
	programName?: string;
	workspaceName?: string;
}

export interface CustomObjectDefinition {
	apiName: string;
	displayName: string;
	pluralName: string;
	description: string;
	/** One entry = one key; the simulator supports single and compound keys. */
	dedupeFields: string[];
	fields: FieldDefinition[];
}

/** Replaces parts of the seeded instance. Omitted parts keep the seed (see schema.ts). */
export interface SchemaOverrides {
	/** Replace the whole lead field list. */
	leadFields?: FieldDefinition[];
	/** Added to the (seeded or replaced) lead field list. */
	extraLeadFields?: FieldDefinition[];
	programMemberFields?: FieldDefinition[];
	partitions?: PartitionDefinition[];
	channels?: ChannelDefinition[];
	programs?: ProgramDefinition[];
	staticLists?: StaticListDefinition[];
	customObjects?: CustomObjectDefinition[];
	/** Smart lists (extract filters). Default: 3001 Partners, 3002 Gold and Platinum Customers. */
	smartLists?: SmartListDefinition[];
}

export interface SimulatorOptions {
	/** 0 = any free port (tests). The CLI defaults to 8765. Default 0. */
	port?: number;
	/** Default 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'. */
	clientId?: string;
	/** Default 'Zm9rZVNlY3JldEZvclNpbXVsYXRvcg0123456789ab'. */
	clientSecret?: string;
	/** The API-only user name returned as `scope`. Default 'n8n-api-user@simulator.example.com'. */
	apiUserEmail?: string;
	/** Default 3600. */
	tokenLifetimeSeconds?: number;
	/** Import processing speed, default 2000 rows/s. Tests use e.g. 1e6. */
	rowsPerSecond?: number;
	queue?: Partial<QueueOptions>;
	limits?: Partial<SimulatorLimits>;
	/** Largest accepted bulk upload, default 10_000_000 bytes (HTTP 413 past it). */
	maxUploadBytes?: number;
	/**
	 * What maxUploadBytes measures. 'body' (default, the hardest): the whole multipart request
	 * body, boundaries included; 'file': only the file part's bytes.
	 */
	uploadLimitAppliesTo?: 'body' | 'file';
	/** A batch id is unknown this many days after creation. Default 7. */
	batchExpiryDays?: number;
	clock?: Clock;
	/** How upload headers are matched to REST API names. Default 'case-insensitive'. */
	headerMatching?: 'case-insensitive' | 'exact';
	/** A header that is no field: 'ignore' the column (default) or end the batch 'Failed'. */
	unknownColumns?: 'ignore' | 'fail-batch';
	/** Failure/warning files drop columns empty in every listed row. Default true. */
	failureFileOmitsEmptyColumns?: boolean;
	/** HTTP status of an empty custom object failures/warnings file. Default 404 (200 = empty body). */
	customObjectEmptyFileStatus?: 404 | 200;
	/** 1019 when a leads import targets a list with an import in progress. Default true. */
	rejectConcurrentListImports?: boolean;
	/** Role of the API-only user. Default: every permission. */
	permissions?: Partial<SimulatorPermissions>;
	schema?: SchemaOverrides;
	faults?: Partial<RandomFaults>;
	/** Seed for the fault PRNG and generated ids. Default 1. */
	seed?: number;
	/**
	 * The first batch id handed out, default 1001. Marketo never hands out an id twice: a
	 * simulator started again for the same n8n (the soak) continues where the last one ended.
	 */
	firstBatchId?: number;
	/** Bulk Extract settings (defaults in extract/index.ts). */
	extract?: Partial<ExtractOptions>;
	/** More API-only users of the instance, each with its own tokens and extract jobs. */
	apiUsers?: ApiUserDefinition[];
}

/* ---------- inspection records ---------- */

export type AuthStyle = 'bearer' | 'query' | 'form' | 'none';

export interface CallRecord {
	/** Clock time when the call arrived (ms). */
	time: number;
	method: string;
	/** Path without query string. */
	path: string;
	/** Route name ('identity', 'importLeads', ...) or 'unknown'. */
	route: string;
	/** Query parameters; secrets (client_secret, access_token) are replaced by '***'. */
	query: Record<string, string>;
	/** Non-file multipart/urlencoded form fields; secrets redacted. */
	formFields: Record<string, string>;
	/** Name of the multipart part carrying a file, when one was sent. */
	fileField?: string;
	fileName?: string;
	fileBytes?: number;
	authStyle: AuthStyle;
	/** HTTP status sent (0 when the connection was reset). */
	httpStatus: number;
	/** Marketo error code of the envelope, when the answer was an error envelope. */
	marketoCode?: string;
	/** Envelope `success`, when the answer was a JSON envelope. */
	success?: boolean;
	/** Name of the injected fault, when one answered. */
	fault?: string;
	/** The JSON request body, when one was sent (extract create). */
	jsonBody?: unknown;
	/** The `Range` header, when one was sent (export files). */
	range?: string;
	/** The API user (client id) whose token the call carried, once the token was accepted. */
	clientId?: string;
}

export interface TokenRecord {
	/** The token itself (tests may need it to send a request by hand). */
	accessToken: string;
	issuedAt: number;
	expiresAt: number;
	revoked: boolean;
	/** The API user it was issued to. */
	clientId: string;
}

export interface LeadRecord {
	id: number;
	partitionId: number;
	/** REST API name -> stored string value. */
	fields: Record<string, string>;
	createdAt: number;
	updatedAt: number;
}

export interface ProgramMemberRecord {
	programId: number;
	leadId: number;
	email: string;
	status: string;
	/** Program member custom fields. */
	fields: Record<string, string>;
}

export interface CustomObjectRecord {
	marketoGUID: string;
	fields: Record<string, string>;
}

export type BatchStatus = 'Queued' | 'Importing' | 'Complete' | 'Failed';

export interface QueueJobView {
	batchId: number;
	owner: 'own' | 'foreign';
	kind: ImportKind;
	objectApiName?: string;
	programId?: number;
	listId?: number;
	status: BatchStatus;
	rows: number;
	rowsProcessed: number;
	numImported: number;
	numFailed: number;
	numWarnings: number;
	message: string;
	createdAt: number;
	startedAt?: number;
	finishedAt?: number;
}

/** What one row of an import job did (see ledger.ts). */
export interface LedgerRow {
	/** The row's values as uploaded. */
	cells: string[];
	/** 'not-processed': the job has not reached the row (yet), or the whole batch failed before processing. */
	outcome: 'imported' | 'warning' | 'failed' | 'not-processed';
	/** Marketo's reason, for failed and warning rows. */
	reason?: string;
	/** The record the row wrote (imported and warning rows), e.g. `lead/partition 1/email=ada@example.com`. */
	key?: string;
}

/** One import job: when it processed and what each of its rows did. Foreign jobs have no rows. */
export interface JobLedgerEntry {
	batchId: number;
	owner: 'own' | 'foreign';
	kind: ImportKind;
	objectApiName?: string;
	programId?: number;
	listId?: number;
	lookupField?: string;
	status: BatchStatus;
	createdAt: number;
	/** Processing interval on the simulator's clock; finishedAt is missing while it imports. */
	startedAt?: number;
	finishedAt?: number;
	header: string[];
	rows: LedgerRow[];
}

/** Two jobs that processed at the same time and wrote the same records. */
export interface ConcurrentDuplicate {
	batchIds: [number, number];
	/** When both were processing (clock ms). */
	overlap: { from: number; to: number };
	/** The record keys both applied. */
	keys: string[];
}

/** Inspection and control of a running simulator. */
export interface SimulatorState extends ExtractState {
	/** Every call, in arrival order. */
	readonly calls: CallRecord[];
	callsTo(routeName: string): CallRecord[];
	clearCalls(): void;
	/** Tokens issued so far. */
	readonly tokens: TokenRecord[];
	/** Leads in the database (a snapshot). */
	readonly leads: LeadRecord[];
	findLead(field: string, value: string): LeadRecord | undefined;
	/** Leads in a static list. */
	listMembers(listId: number): LeadRecord[];
	programMembers(programId: number): ProgramMemberRecord[];
	customObjectRecords(apiName: string): CustomObjectRecord[];
	/** Every job the queue knows (own and foreign), processing brought up to the clock's now. */
	readonly queue: QueueJobView[];
	/** The queue as far as it has been replayed, without catching up to now (see BACKGROUND_CATCH_UP_MS). */
	readonly replayedQueue: QueueJobView[];
	/** Calls counted toward the daily quota today. */
	readonly dailyCallCount: number;

	/** The next own batch processes and then ends 'Failed' with this message. */
	failNextBatch(message: string): void;
	/** Puts `count` jobs of another integration in the queue (they take lanes and slots). */
	addForeignJobs(count: number, rowsEach: number): number[];
	/** Every token issued so far becomes invalid (601); identity then issues a new one. */
	revokeTokens(): void;
	/** Every token issued so far has expired: its next use answers 602, then 601; identity issues a new one. */
	expireTokens(): void;
	/** Merges into the current random fault settings. */
	setFaults(faults: Partial<RandomFaults>): void;
	readonly faults: RandomFaults;
	/** Adds a one-shot (or N-shot) fault. */
	scriptFault(fault: ScriptedFault): void;
	clearScriptedFaults(): void;
	setPermissions(permissions: Partial<SimulatorPermissions>): void;
	setLimits(limits: Partial<SimulatorLimits>): void;
	/** Forgets the calls counted by the rate window and the daily quota. */
	resetUsage(): void;
	/** Adds a lead directly (test setup); returns it. */
	seedLead(fields: Record<string, string>, partitionId?: number): LeadRecord;
	/**
	 * Calls `listener` with each call's record as the call arrives, before its faults are
	 * decided (so a fault scripted from the listener applies to that very call). The answer
	 * fields are filled in later. Returns a function that removes the listener.
	 */
	onCall(listener: (call: CallRecord) => void): () => void;
	/** Every job (own and foreign) with its processing interval and each row's outcome and record key. */
	jobLedger(): JobLedgerEntry[];
	/** Jobs that were processing at the same time and applied the same record keys: rows imported by two batches at once. */
	concurrentDuplicates(): ConcurrentDuplicate[];
}

export interface RunningSimulator {
	/** http://127.0.0.1:<port> */
	baseUrl: string;
	/** http://127.0.0.1:<port>/rest - what an admin pastes as "REST API endpoint". */
	restUrl: string;
	/** http://127.0.0.1:<port>/identity */
	identityUrl: string;
	port: number;
	clientId: string;
	clientSecret: string;
	state: SimulatorState;
	/** Stops the server, destroys open sockets, clears timers. */
	close(): Promise<void>;
}
