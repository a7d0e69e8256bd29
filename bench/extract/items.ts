/**
 * Records as Items for a large extract, in-process: the extract node on n8n-core's real execution
 * context (test/harness, binary data in filesystem mode) against the simulator, on a clock whose
 * waits take no time (the node's first status read comes a minute after enqueueing). Measured
 * from the moment the file call reaches the simulator to the node's output (download, binary
 * store, read back, one item per record), and the process's resident memory over that span.
 *
 * Why not in a real n8n like the download: `n8n execute` prints the run data and exits, and a
 * run data of a million items is cut off in the pipe (seen with 20,000), so neither the items nor
 * the node's times can be read back from it.
 *
 * Not a bench module itself (the runner only loads `*.bench.ts`).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { configurePacing, resetPacing } from '../../nodes/shared/pacing';
import { runNode, simulatorCredentials } from '../../test/harness';
import { startSimulator } from '../../test/simulator';
import type { BenchContext } from '../types';
import { extractNode, skippingClock } from './inProcess';
import { EXTRACT_FIELDS, memoryGrowthKb, RANGE_END, RANGE_START, type MemorySample } from './inN8n';

export interface ItemsMeasured {
	rows: number;
	bytes: number;
	/** file call to output, ms */
	ms: number;
	baselineMb: number;
	peakMb: number;
	growthMb: number;
}

export async function measureItemsInProcess(
	ctx: BenchContext,
	rows: number,
): Promise<ItemsMeasured> {
	const clock = skippingClock();
	const simulator = await startSimulator({
		seed: 7,
		clock,
		extract: { recordsPerSecond: 1e9, statusRefreshMs: 1_000 },
	});
	configurePacing({ clock });
	const samples: MemorySample[] = [];
	const sample = () => samples.push({ at: clock.now(), rssKb: process.memoryUsage.rss() / 1024 });
	const timer = setInterval(sample, 50);
	try {
		simulator.state.addGeneratedLeads(rows, RANGE_START, RANGE_END);
		ctx.log(`extract-items: ${rows} records as items, in-process...`);
		let outputs: INodeExecutionData[][] = [];
		outputs = (
			await runNode({
				node: extractNode(),
				parameters: {
					operation: 'extractLeads',
					fieldsSource: 'selected',
					fields: EXTRACT_FIELDS,
					leadFilter: 'createdAt',
					rangeStart: new Date(RANGE_START).toISOString(),
					rangeEnd: new Date(RANGE_END).toISOString(),
					output: 'items',
				},
				input: [{ json: {} }],
				credentials: { marketoApi: simulatorCredentials(simulator) },
			})
		).outputs;
		sample();
		const end = clock.now();
		const items = outputs[0] ?? [];
		const fileCall = simulator.state.calls.find((call) => call.route === 'leadExportFile');
		const job = simulator.state.extractJobs.find((one) => one.owner === simulator.clientId);
		if (!fileCall || !job || items.length !== rows || items[rows - 1]?.json.id === undefined) {
			throw new Error(`extract-items: ${items.length} items for ${rows} records`);
		}
		const memory = memoryGrowthKb(samples, fileCall.time, end);
		return {
			rows,
			bytes: job.fileSize ?? 0,
			ms: end - fileCall.time,
			baselineMb: memory.baselineKb / 1024,
			peakMb: memory.peakKb / 1024,
			growthMb: memory.growthKb / 1024,
		};
	} finally {
		clearInterval(timer);
		resetPacing();
		await simulator.close();
	}
}
