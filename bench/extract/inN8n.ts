/**
 * One Marketo Bulk Extract run in a real n8n (line 2, `n8n execute`, binary data in filesystem
 * mode as n8nEnv sets it) against a simulator that serves generated leads: the workflow is a
 * Manual Trigger and the extract node, one 30-day window, so one job and one file. n8n's memory
 * is sampled every 100 ms (VmRSS) so the growth during the download can be read against the
 * moment the file call reached the simulator.
 *
 * Not a bench module itself (the runner only loads `*.bench.ts`).
 */
import * as fs from 'node:fs';

import * as n8n from '../../scripts/n8n-runtime';
import type { N8nItem, N8nRun, Runtime } from '../../scripts/n8n-runtime';
import { startSimulator, type RunningSimulator } from '../../test/simulator';
import { readMemoryKb } from '../large-import';
import type { BenchContext } from '../types';

/** The columns of the generated leads' files (about 128 bytes a row). */
export const EXTRACT_FIELDS = [
	'id',
	'email',
	'firstName',
	'lastName',
	'company',
	'leadScore',
	'createdAt',
	'updatedAt',
];
/** One window: Marketo takes 31 days per job, so this range is one job. */
export const RANGE_START = Date.UTC(2026, 0, 1);
export const RANGE_END = Date.UTC(2026, 0, 30);

const NODE_NAME = 'Extract leads';
const SAMPLE_EVERY_MS = 100;

export interface ExtractRunShape {
	rows: number;
	fields: string[];
	output: 'oneFile' | 'items';
	label: string;
}

export interface MemorySample {
	at: number;
	rssKb: number;
}

export interface ExtractRun {
	run: N8nRun;
	simulator: RunningSimulator;
	exportId: string;
	fileSize: number;
	fileChecksum: string;
	/** When the file call reached the simulator (ms since epoch). */
	fileCallAt: number;
	nodeStart: number;
	nodeEnd: number;
	samples: MemorySample[];
	/** VmHWM of the n8n process at its end. */
	peakKb: number;
	output: N8nItem[];
}

function workflowOf(credential: { id: string; name: string }, shape: ExtractRunShape) {
	return {
		id: `benchExtract${shape.output}`,
		name: `Extract bench (${shape.label})`,
		active: false,
		settings: {},
		connections: { Start: { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
		nodes: [
			{
				id: 'bench-extract-start',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 300],
				parameters: {},
			},
			{
				id: 'bench-extract-leads',
				name: NODE_NAME,
				type: 'n8n-nodes-marketo-bulk.marketoBulkExtract',
				typeVersion: 1,
				position: [250, 300],
				parameters: {
					operation: 'extractLeads',
					fieldsSource: 'selected',
					fields: shape.fields,
					leadFilter: 'createdAt',
					rangeStart: new Date(RANGE_START).toISOString(),
					rangeEnd: new Date(RANGE_END).toISOString(),
					output: shape.output,
					options: { fileName: 'bench-leads' },
				},
				credentials: { marketoApi: credential },
			},
		],
	};
}

/**
 * Runs the extract; the simulator is left running (the caller reads the file from it for the
 * baselines) and must be closed by the caller.
 */
export async function runExtractInN8n(
	ctx: BenchContext,
	runtime: Runtime,
	tarball: string,
	shape: ExtractRunShape,
): Promise<ExtractRun> {
	// Processing takes no time here: the bench measures the download, not Marketo's queue. The
	// node reads the status 60 s after enqueueing (its fixed once-a-minute pace).
	const simulator = await startSimulator({
		seed: 7,
		extract: { recordsPerSecond: 1e9, statusRefreshMs: 1_000 },
	});
	const userFolder = n8n.createUserFolder('n8n-bench-extract-');
	try {
		simulator.state.addGeneratedLeads(shape.rows, RANGE_START, RANGE_END);
		n8n.installPackage(runtime, userFolder, tarball);
		const credential = {
			id: 'benchExtractCred1',
			name: 'Marketo simulator (extract bench)',
			type: 'marketoApi',
			data: {
				restEndpoint: simulator.restUrl,
				identityEndpoint: simulator.identityUrl,
				clientId: simulator.clientId,
				clientSecret: simulator.clientSecret,
			},
		};
		await n8n.importCredentials(runtime, userFolder, [credential]);
		const workflow = workflowOf({ id: credential.id, name: credential.name }, shape);
		await n8n.importWorkflow(runtime, userFolder, workflow);

		ctx.log(`extract: n8n run, ${shape.label} (${shape.rows} rows)...`);
		const samples: MemorySample[] = [];
		let pid = 0;
		let peakKb = 0;
		let timer: NodeJS.Timeout | undefined;
		const sample = () => {
			const rssKb = readMemoryKb(pid, 'VmRSS');
			if (rssKb > 0) samples.push({ at: Date.now(), rssKb });
			peakKb = Math.max(peakKb, readMemoryKb(pid));
		};
		const result = await n8n.executeWorkflow(runtime, userFolder, workflow.id, {
			timeoutMs: 30 * 60 * 1000,
			onSpawn: (child) => {
				pid = child.pid!;
				timer = setInterval(sample, SAMPLE_EVERY_MS);
				child.on('exit', () => clearInterval(timer));
			},
		});
		clearInterval(timer);
		const run = result.run;
		if (result.code !== 0 || !run || run.data.resultData.error) {
			const error = run?.data.resultData.error;
			throw new Error(
				`extract (${shape.label}): the n8n run failed: ${error?.message ?? (result.stdout + result.stderr).slice(-2000)}`,
			);
		}
		const task = run.data.resultData.runData[NODE_NAME]?.at(-1);
		if (!task) throw new Error(`extract (${shape.label}): the extract node did not run`);
		const jobs = simulator.state.extractJobs.filter((job) => job.owner === simulator.clientId);
		const fileCalls = simulator.state.calls.filter((call) => call.route === 'leadExportFile');
		if (jobs.length !== 1 || jobs[0].status !== 'Completed' || fileCalls.length === 0) {
			throw new Error(
				`extract (${shape.label}): expected one Completed job and its download, got ${jobs.map((job) => job.status).join(', ')} and ${fileCalls.length} file calls`,
			);
		}
		return {
			run,
			simulator,
			exportId: jobs[0].exportId,
			fileSize: jobs[0].fileSize ?? 0,
			fileChecksum: jobs[0].fileChecksum ?? '',
			fileCallAt: fileCalls[0].time,
			nodeStart: task.startTime,
			nodeEnd: task.startTime + task.executionTime,
			samples,
			peakKb,
			output: n8n.nodeOutput(run, NODE_NAME) ?? [],
		};
	} catch (error) {
		await simulator.close();
		throw error;
	} finally {
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
}

/** Pure: n8n's resident memory just before `from`, and its highest from `from` to `to` (kB). */
export function memoryGrowthKb(
	samples: MemorySample[],
	from: number,
	to: number,
): { baselineKb: number; peakKb: number; growthKb: number } {
	const before = samples.filter((sample) => sample.at <= from);
	const during = samples.filter((sample) => sample.at > from && sample.at <= to);
	const baselineKb = before.at(-1)?.rssKb ?? samples[0]?.rssKb ?? 0;
	const peakKb = Math.max(baselineKb, ...during.map((sample) => sample.rssKb));
	return { baselineKb, peakKb, growthKb: peakKb - baselineKb };
}
