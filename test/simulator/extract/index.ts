/**
 * The Bulk Extract side of the simulator: its options, the activity log imports write to,
 * the extract queue and the generated leads, held together for the routes (routes.ts) and
 * `state`. Its routes join the simulator's table from here (EXTRACT_ROUTES).
 */
import type { InstanceDatabase } from '../database';
import type { Prng } from '../prng';
import type { InstanceSchema } from '../schema';
import { ActivityLog } from './activities';
import { ExtractQueue } from './queue';
import type { GeneratedLeads } from './select';
import type { ExtractOptions } from './types';

export { EXTRACT_ROUTES } from './routes';
export { SEED_SMART_LISTS } from './select';

export const DEFAULT_EXTRACT_OPTIONS: ExtractOptions = {
	recordsPerSecond: 2000,
	statusRefreshMs: 60_000,
	maxProcessing: 2,
	maxQueued: 10,
	dailyQuotaBytes: 500_000_000,
	fileRetentionDays: 7,
	listDays: 7,
	statusRetentionDays: 30,
	advancedFilters: true,
};

export interface ExtractService {
	options: ExtractOptions;
	activities: ActivityLog;
	queue: ExtractQueue;
	generated: GeneratedLeads[];
}

/** Marketo's export ids are GUIDs; these come from the seeded id PRNG, so runs repeat. */
function guid(prng: Prng): string {
	const variant = '89ab'[Math.floor(prng.next() * 4)];
	return `${prng.hex(8)}-${prng.hex(4)}-4${prng.hex(3)}-${variant}${prng.hex(3)}-${prng.hex(12)}`;
}

/** The activity log comes first: the database reports its changes to it. */
export function createActivityLog(schema: InstanceSchema): ActivityLog {
	return new ActivityLog(schema);
}

export function createExtractService(
	options: Partial<ExtractOptions> | undefined,
	schema: InstanceSchema,
	db: InstanceDatabase,
	activities: ActivityLog,
	prng: Prng,
): ExtractService {
	const resolved = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
	const generated: GeneratedLeads[] = [];
	const queue = new ExtractQueue(
		resolved,
		{ schema, db, activities: activities.activities, generated },
		() => guid(prng),
	);
	return { options: resolved, activities, queue, generated };
}
