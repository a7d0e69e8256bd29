/**
 * A 6-window back-fill of leads (186 days, one job per 31 days) run in-process: the extract node
 * on n8n-core's real execution context (test/harness, binary data in filesystem mode) against the
 * simulator, both on one scaled clock. Marketo's pace is kept as it is (status refreshed once a
 * minute, the node reading it once a minute); only time runs `SPEED_UP` times faster, so a
 * 15-minute job takes 7.5 s. Everything real the node does (calls, downloads, the join) counts
 * at that rate too: a 60 ms download shows as 7.2 simulated seconds.
 *
 * Measured on the simulator's records (its queue's start and end times, its call log):
 * - makespan ratio = ideal / actual; ideal = the jobs' total processing time (records / the
 *   simulator's speed) over Marketo's two lanes; actual = the node's start to its output;
 * - status calls per job beyond one per minute of the job's processing (the worst job).
 *
 * Not a bench module itself (the runner only loads `*.bench.ts`).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { configurePacing, resetPacing } from '../../nodes/shared/pacing';
import { runNode, simulatorCredentials } from '../../test/harness';
import { startSimulator } from '../../test/simulator';
import type { BenchContext } from '../types';
import { extractNode, scaledClock } from './inProcess';

const DAY_MS = 24 * 60 * 60 * 1000;
const WINDOWS = 6;
const RANGE_START = Date.UTC(2025, 6, 1);
const RANGE_END = RANGE_START + WINDOWS * 31 * DAY_MS;
/** The simulated time the run starts at: after the range, on a minute like any other. */
const SIM_START = Date.UTC(2026, 0, 15, 9, 0, 0);

export interface BackfillShape {
	/** Records in each 31-day window. */
	recordsPerWindow: number;
	/** The simulator's extract speed (records/s): with the records, each job's processing time. */
	recordsPerSecond: number;
	/** How much faster than real time the shared clock runs. */
	speedUp: number;
}

/**
 * Each job processes for 15 minutes (3,600 records at 4 records/s); 1 simulated minute = 1 s.
 * Few records keep the real work small (the simulator writing its files runs in this process).
 */
export const BACKFILL_FULL: BackfillShape = {
	recordsPerWindow: 3_600,
	recordsPerSecond: 4,
	speedUp: 60,
};
/** The same jobs, time 4 times faster still (the figures mean less: real work counts 240 times). */
export const BACKFILL_QUICK: BackfillShape = { ...BACKFILL_FULL, speedUp: 240 };

export interface BackfillMeasured {
	idealMs: number;
	actualMs: number;
	jobs: Array<{
		exportId: string;
		records: number;
		processingMinutes: number;
		statusCalls: number;
		queuedAt: number;
		startedAt: number;
		finishedAt: number;
	}>;
	/** Worst job: status calls beyond one per minute of its processing. */
	worstStatusCallsOver: number;
	/** Time between a lane's job end and the start of its next job, per hand-over (simulated ms). */
	laneGapsMs: number[];
	records: number;
}

/**
 * Pure: how long a lane stood free before its next job, per hand-over. With two lanes, the k-th
 * job to start (from the third on) takes the lane of the (k-2)-th job to end.
 */
export function laneGaps(jobs: Array<{ startedAt: number; finishedAt: number }>): number[] {
	const starts = jobs.map((job) => job.startedAt).sort((a, b) => a - b);
	const ends = jobs.map((job) => job.finishedAt).sort((a, b) => a - b);
	return starts.slice(2).map((start, k) => start - ends[k]);
}

export async function measureBackfill(
	ctx: BenchContext,
	shape: BackfillShape,
): Promise<BackfillMeasured> {
	const clock = scaledClock(shape.speedUp, SIM_START);
	const simulator = await startSimulator({
		seed: 9,
		clock,
		extract: { recordsPerSecond: shape.recordsPerSecond, statusRefreshMs: 60_000 },
	});
	configurePacing({ clock });
	try {
		simulator.state.addGeneratedLeads(shape.recordsPerWindow * WINDOWS, RANGE_START, RANGE_END);
		ctx.log(
			`extract-backfill: ${WINDOWS} windows of ${shape.recordsPerWindow} records at ${shape.recordsPerSecond} records/s, clock x${shape.speedUp}...`,
		);
		const extract = async (rangeStart: number, rangeEnd: number) =>
			await runNode({
				node: extractNode(),
				parameters: {
					operation: 'extractLeads',
					fieldsSource: 'selected',
					fields: ['id', 'email', 'createdAt'],
					leadFilter: 'createdAt',
					rangeStart: new Date(rangeStart).toISOString(),
					rangeEnd: new Date(rangeEnd).toISOString(),
					output: 'oneFile',
				},
				input: [{ json: {} }],
				credentials: { marketoApi: simulatorCredentials(simulator) },
			});
		// A first small extract loads and initialises what n8n has ready before any workflow runs
		// (n8n-core's binary data service, the modules): at this speed-up its second would be minutes.
		await extract(RANGE_END + DAY_MS, RANGE_END + 2 * DAY_MS);
		const warmUpCalls = simulator.state.calls.length;
		const warmUpJobs = new Set(simulator.state.extractJobs.map((job) => job.exportId));
		const startedAt = clock.now();
		const result = await extract(RANGE_START, RANGE_END);
		const actualMs = clock.now() - startedAt;
		const [item] = result.outputs[0] as INodeExecutionData[];
		const ours = simulator.state.extractJobs.filter(
			(job) => job.owner === simulator.clientId && !warmUpJobs.has(job.exportId),
		);
		const records = ours.reduce((sum, job) => sum + (job.numberOfRecords ?? 0), 0);
		if (
			ours.length !== WINDOWS ||
			ours.some((job) => job.status !== 'Completed') ||
			item?.json.records !== records ||
			records !== shape.recordsPerWindow * WINDOWS
		) {
			throw new Error(
				`extract-backfill: expected ${WINDOWS} Completed jobs and every record once, got ${ours.map((job) => job.status).join(', ')} and ${String(item?.json.records)} records`,
			);
		}
		const statusCalls = new Map<string, number>();
		for (const call of simulator.state.calls.slice(warmUpCalls)) {
			if (call.route !== 'leadExportStatus') continue;
			const id = /\/export\/([^/]+)\/status\.json$/.exec(call.path)?.[1] ?? '';
			statusCalls.set(id, (statusCalls.get(id) ?? 0) + 1);
		}
		const jobs = ours.map((job) => ({
			exportId: job.exportId,
			records: job.numberOfRecords ?? 0,
			processingMinutes: (job.finishedAt! - job.startedAt!) / 60_000,
			statusCalls: statusCalls.get(job.exportId) ?? 0,
			queuedAt: job.queuedAt!,
			startedAt: job.startedAt!,
			finishedAt: job.finishedAt!,
		}));
		const totalProcessingMs = (records / shape.recordsPerSecond) * 1000;
		return {
			idealMs: totalProcessingMs / 2,
			actualMs,
			jobs,
			worstStatusCallsOver: Math.max(...jobs.map((job) => job.statusCalls - job.processingMinutes)),
			laneGapsMs: laneGaps(jobs),
			records,
		};
	} finally {
		resetPacing();
		await simulator.close();
	}
}
