/**
 * Everything one simulated instance holds, resolved from the options. Routes read and
 * change it; the server owns the HTTP side.
 */
import { REAL_CLOCK } from '../../nodes/shared/clock';
import { ImportQueue } from './bulkImport';
import { InstanceDatabase } from './database';
import { createActivityLog, createExtractService, type ExtractService } from './extract';
import { FaultInjector } from './faults';
import { TokenStore } from './identity';
import { ApiLimiter } from './limits';
import { createPrng, type Prng } from './prng';
import { buildInstanceSchema, type InstanceSchema } from './schema';
import type {
	ApiUserDefinition,
	Clock,
	QueueOptions,
	SimulatorLimits,
	SimulatorOptions,
	SimulatorPermissions,
} from './types';

export const DEFAULT_CLIENT_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
export const DEFAULT_CLIENT_SECRET = 'Zm9rZVNlY3JldEZvclNpbXVsYXRvcg0123456789ab';

export interface ResolvedOptions {
	clientId: string;
	clientSecret: string;
	apiUserEmail: string;
	tokenLifetimeSeconds: number;
	rowsPerSecond: number;
	queue: QueueOptions;
	limits: SimulatorLimits;
	maxUploadBytes: number;
	uploadLimitAppliesTo: 'body' | 'file';
	batchExpiryDays: number;
	headerMatching: 'case-insensitive' | 'exact';
	unknownColumns: 'ignore' | 'fail-batch';
	failureFileOmitsEmptyColumns: boolean;
	customObjectEmptyFileStatus: 404 | 200;
	rejectConcurrentListImports: boolean;
	seed: number;
	firstBatchId: number;
	/** Every API user: the one of clientId/clientSecret first, then the apiUsers option. */
	apiUsers: Array<Required<ApiUserDefinition>>;
}

export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
	const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
	const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
	const apiUserEmail = options.apiUserEmail ?? 'n8n-api-user@simulator.example.com';
	return {
		clientId,
		clientSecret,
		apiUserEmail,
		apiUsers: [
			{ clientId, clientSecret, apiUserEmail },
			...(options.apiUsers ?? []).map((user) => ({
				...user,
				apiUserEmail: user.apiUserEmail ?? `${user.clientId}@simulator.example.com`,
			})),
		],
		tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
		rowsPerSecond: options.rowsPerSecond ?? 2000,
		queue: { maxProcessing: 2, maxQueued: 10, startDelayMs: 0, ...options.queue },
		limits: {
			callsPerWindow: 100,
			windowSeconds: 20,
			maxConcurrent: 10,
			dailyQuota: 50000,
			...options.limits,
		},
		maxUploadBytes: options.maxUploadBytes ?? 10_000_000,
		uploadLimitAppliesTo: options.uploadLimitAppliesTo ?? 'body',
		batchExpiryDays: options.batchExpiryDays ?? 7,
		headerMatching: options.headerMatching ?? 'case-insensitive',
		unknownColumns: options.unknownColumns ?? 'ignore',
		failureFileOmitsEmptyColumns: options.failureFileOmitsEmptyColumns ?? true,
		customObjectEmptyFileStatus: options.customObjectEmptyFileStatus ?? 404,
		rejectConcurrentListImports: options.rejectConcurrentListImports ?? true,
		seed: options.seed ?? 1,
		firstBatchId: options.firstBatchId ?? 1001,
	};
}

export interface SimulatorCore {
	options: ResolvedOptions;
	clock: Clock;
	schema: InstanceSchema;
	db: InstanceDatabase;
	queue: ImportQueue;
	tokens: TokenStore;
	limiter: ApiLimiter;
	faults: FaultInjector;
	permissions: SimulatorPermissions;
	extract: ExtractService;
	/** Request ids and tokens; kept apart from the fault PRNG so faults stay reproducible. */
	idPrng: Prng;
}

export function createCore(options: SimulatorOptions): SimulatorCore {
	const resolved = resolveOptions(options);
	const clock = options.clock ?? REAL_CLOCK;
	const schema = buildInstanceSchema(options.schema);
	const activities = createActivityLog(schema);
	const db = new InstanceDatabase(schema.leadFields, activities);
	const idPrng = createPrng(resolved.seed ^ 0x5eed);
	// Export ids have a PRNG of their own, so creating extracts shifts no other id.
	const extract = createExtractService(
		options.extract,
		schema,
		db,
		activities,
		createPrng(resolved.seed ^ 0xe7c7),
	);
	return {
		options: resolved,
		clock,
		schema,
		db,
		queue: new ImportQueue(
			{
				rowsPerSecond: resolved.rowsPerSecond,
				queue: resolved.queue,
				headerMatching: resolved.headerMatching,
				unknownColumns: resolved.unknownColumns,
				batchExpiryDays: resolved.batchExpiryDays,
				firstBatchId: resolved.firstBatchId,
			},
			schema,
			db,
		),
		tokens: new TokenStore(resolved.tokenLifetimeSeconds, idPrng),
		limiter: new ApiLimiter({ ...resolved.limits }),
		faults: new FaultInjector(options.faults ?? {}, createPrng(resolved.seed)),
		permissions: {
			readLead: true,
			writeLead: true,
			readAssets: true,
			readCustomObjects: true,
			writeCustomObjects: true,
			readActivity: true,
			...options.permissions,
		},
		extract,
		idPrng,
	};
}
