/**
 * The soak's extract workflow (issue 22): Manual Trigger (a Webhook in queue mode) -> Marketo
 * Bulk Extract (Extract Leads created in a range longer than 31 days, so several windows and
 * jobs) -> Read/Write Files writing each output file to the data folder. Its faults: downloads
 * cut mid-file (resumed with Range), a corrupted download (downloaded again), a full export
 * queue (another integration's jobs), a job that ends Failed (created again), and tokens that
 * expire during the minute the node waits between status reads.
 *
 * Accounting, from the simulator (what Marketo made) and the files n8n wrote: every lead in
 * the range exactly once, and every file byte-identical to the simulator's (One File: the jobs'
 * files joined in window order, header once; One File per Job: each job's file as it is).
 */
import * as fs from 'node:fs';

import type { Prng } from '../../test/simulator/prng';
import type { RunningSimulator } from '../../test/simulator';
import type { FaultAnswer, SimulatorState } from '../../test/simulator/types';
import type { N8nRun } from '../n8n-runtime';

export const EXTRACT_NODE = 'Extract leads';
export const WRITE_NODE = 'Write files';
const DAY = 24 * 60 * 60 * 1000;
/** The extracted range ends well before the simulator's own leads (made "now") exist. */
const RANGE_END = Date.UTC(2026, 5, 30);
export const EXTRACT_FIELDS = ['id', 'email', 'firstName', 'lastName', 'createdAt'];
/** Marketo refreshes a job's status once a minute; the soak's simulator every 5 s (the node still reads once a minute). */
export const EXTRACT_STATUS_REFRESH_MS = 5_000;
export const EXTRACT_FAILED_MESSAGE = 'Export failed: internal error (simulated by the soak)';

export interface ExtractPlan {
	leads: number;
	days: number;
	output: 'oneFile' | 'filePerJob';
	/** Answers for the n-th download call (1-based): a cut connection or one changed byte. */
	downloadFaults: Array<{ onDownloadCall: number; answer: FaultAnswer }>;
	/** Another integration's jobs filling the shared export queue before ours is enqueued. */
	foreignJobs?: { count: number; records: number };
	/** The n-th enqueued job of ours processes, then ends Failed. */
	failJobAtEnqueue?: number;
}

function between(prng: Prng, low: number, high: number): number {
	return Math.floor(low + prng.next() * (high - low + 1));
}

/** Drawn from the run's PRNG; every draw is made whether used or not (see plan.ts). */
export function planExtract(prng: Prng): ExtractPlan {
	const leads = between(prng, 200, 1500);
	const days = between(prng, 40, 100);
	const output = prng.next() < 0.5 ? 'oneFile' : 'filePerJob';
	const drops = between(prng, 0, 2);
	const dropAt = [between(prng, 1, 2), between(prng, 3, 4)];
	const dropBytes = [between(prng, 20, 4000), between(prng, 20, 4000)];
	const corrupt = { present: prng.next() < 0.4, onDownloadCall: between(prng, 1, 5) };
	const foreign = {
		present: prng.next() < 0.4,
		count: between(prng, 8, 10),
		records: between(prng, 5_000, 30_000),
	};
	const fail = { present: prng.next() < 0.3, atEnqueue: between(prng, 1, 2) };
	const downloadFaults: ExtractPlan['downloadFaults'] = [];
	for (let i = 0; i < drops; i++)
		downloadFaults.push({
			onDownloadCall: dropAt[i],
			answer: { kind: 'truncate', afterBytes: dropBytes[i] },
		});
	if (corrupt.present && !downloadFaults.some((f) => f.onDownloadCall === corrupt.onDownloadCall))
		downloadFaults.push({ onDownloadCall: corrupt.onDownloadCall, answer: { kind: 'corrupt' } });
	return {
		leads,
		days,
		output,
		downloadFaults: downloadFaults.sort((a, b) => a.onDownloadCall - b.onDownloadCall),
		foreignJobs: foreign.present ? { count: foreign.count, records: foreign.records } : undefined,
		failJobAtEnqueue: fail.present ? fail.atEnqueue : undefined,
	};
}

export function describeExtractPlan(plan: ExtractPlan): string[] {
	const parts = [
		`${plan.leads} leads over ${plan.days} days (${Math.ceil(plan.days / 31)} windows), ${plan.output}`,
	];
	for (const fault of plan.downloadFaults)
		parts.push(
			fault.answer.kind === 'truncate'
				? `download #${fault.onDownloadCall} cut after ${fault.answer.afterBytes} bytes`
				: `download #${fault.onDownloadCall} with one byte changed`,
		);
	if (plan.foreignJobs)
		parts.push(
			`${plan.foreignJobs.count} foreign export jobs of ${plan.foreignJobs.records} records`,
		);
	if (plan.failJobAtEnqueue)
		parts.push(`export job enqueued #${plan.failJobAtEnqueue} ends Failed`);
	return parts;
}

export function extractRange(plan: ExtractPlan): { from: number; to: number } {
	return { from: RANGE_END - plan.days * DAY, to: RANGE_END };
}

/** The leads the extract must bring out, made up by the simulator over the range. */
export function seedExtractLeads(
	state: SimulatorState,
	plan: ExtractPlan,
): { firstId: number; lastId: number } {
	const { from, to } = extractRange(plan);
	// Inside the range's ends: a lead exactly on a window's edge is still in one window only.
	return state.addGeneratedLeads(plan.leads, from + 1000, to - 1000);
}

/** Ties the plan's faults to the calls as they arrive (like director.ts); returns the stop. */
export function directExtractFaults(state: SimulatorState, plan: ExtractPlan): () => void {
	let downloads = 0;
	let enqueues = 0;
	return state.onCall((call) => {
		if (call.route === 'leadExportFile') {
			downloads++;
			const fault = plan.downloadFaults.find((f) => f.onDownloadCall === downloads);
			if (fault) state.scriptFault({ route: call.route, times: 1, answer: fault.answer });
		}
		if (call.route === 'enqueueLeadExport') {
			enqueues++;
			if (plan.foreignJobs && enqueues === 1)
				state.addForeignExtractJobs(plan.foreignJobs.count, { records: plan.foreignJobs.records });
			if (plan.failJobAtEnqueue === enqueues) state.failNextExtract(EXTRACT_FAILED_MESSAGE);
		}
	});
}

/** The workflow's extract node and the node writing its files (`dir`/soak-extract-<item>.csv). */
export function extractNodes(
	plan: ExtractPlan,
	credential: { id: string; name: string },
	dir: string,
	limitMinutes: number,
): Array<Record<string, unknown>> {
	const { from, to } = extractRange(plan);
	return [
		{
			id: '6d1f4a0e-00e0-4c3e-9a51-000000000002',
			name: EXTRACT_NODE,
			type: 'n8n-nodes-marketo-bulk.marketoBulkExtract',
			typeVersion: 1,
			position: [300, 300],
			parameters: {
				operation: 'extractLeads',
				fieldsSource: 'selected',
				fields: EXTRACT_FIELDS,
				leadFilter: 'createdAt',
				rangeStart: new Date(from).toISOString(),
				rangeEnd: new Date(to).toISOString(),
				output: plan.output,
				options: { queueWaitMinutes: limitMinutes, timeLimitMinutes: limitMinutes },
			},
			credentials: { marketoApi: credential },
		},
		{
			id: '6d1f4a0e-00e0-4c3e-9a51-000000000003',
			name: WRITE_NODE,
			type: 'n8n-nodes-base.readWriteFile',
			typeVersion: 1,
			position: [600, 300],
			parameters: {
				operation: 'write',
				fileName: `=${dir}/soak-extract-{{ $itemIndex }}.csv`,
				dataPropertyName: 'data',
				options: {},
			},
		},
	];
}

export function extractOutputFile(dir: string, itemIndex: number): string {
	return `${dir}/soak-extract-${itemIndex}.csv`;
}

export interface ExtractAccount {
	records: number;
	recordsOut: number;
	recordsLost: number;
	recordsDuplicated: number;
	/** Ids in a file that are not leads of the range (should never happen). */
	recordsUnexpected: number;
	files: number;
	filesNotIdentical: number;
	jobs: number;
	failedJobs: number;
	/** Set when the run did not end with its files (the soak fails then: every fault planned is recoverable). */
	error?: string;
	notes: string[];
}

/** The data lines of a CSV file as Marketo writes it (header first, "\n" after each line). */
function dataLines(bytes: Buffer): string[] {
	return bytes
		.toString('utf8')
		.split('\n')
		.slice(1)
		.filter((line) => line !== '');
}

/** Pure enough: reads the files n8n wrote and compares them with the simulator's. */
export function accountExtract(
	simulator: RunningSimulator,
	expectedIds: { firstId: number; lastId: number },
	run: N8nRun | undefined,
	dir: string,
	harnessError?: string,
): ExtractAccount {
	const ours = simulator.state.extractJobs.filter((job) => job.owner === simulator.clientId);
	const completed = ours.filter((job) => job.status === 'Completed');
	const records = expectedIds.lastId - expectedIds.firstId + 1;
	const account: ExtractAccount = {
		records,
		recordsOut: 0,
		recordsLost: 0,
		recordsDuplicated: 0,
		recordsUnexpected: 0,
		files: 0,
		filesNotIdentical: 0,
		jobs: ours.length,
		failedJobs: ours.filter((job) => job.status === 'Failed').length,
		notes: [],
	};
	const runError = run?.data.resultData.error;
	const written = run?.data.resultData.runData[WRITE_NODE]?.at(-1)?.data?.main?.[0] ?? [];
	if (runError || harnessError || written.length === 0) {
		account.error = runError
			? `${runError.message} ${runError.description ?? ''}`.trim()
			: (harnessError ?? 'the workflow wrote no file');
		account.recordsLost = records;
		return account;
	}
	const simulatorFile = (exportId: string) => simulator.state.extractFile(exportId);
	const firstId = (bytes: Buffer) => Number(dataLines(bytes)[0]?.split(',')[0] ?? 0);
	const expectedFiles: Buffer[] = [];
	// Each file against the simulator's files of the jobs its item names (a killed execution's
	// jobs, completed too, are no part of the re-run's files). One File joins its jobs in window
	// order (their leads' ids rise with time), header once, whatever order the item lists them in.
	const isCompleted = new Set(completed.map((job) => job.exportId));
	for (const item of written) {
		const jobs = ((item.json.jobs as Array<{ exportId: string }> | undefined) ?? []).map(
			(job) => job.exportId,
		);
		const missing = jobs.filter((id) => !isCompleted.has(id));
		if (missing.length > 0)
			account.notes.push(`jobs named but not Completed: ${missing.join(', ')}`);
		const files = jobs.filter((id) => isCompleted.has(id)).map(simulatorFile);
		files.sort((a, b) => firstId(a) - firstId(b));
		if (files.length <= 1) expectedFiles.push(files[0] ?? Buffer.alloc(0));
		else {
			const header = files[0].subarray(0, files[0].indexOf('\n') + 1);
			expectedFiles.push(
				Buffer.concat([header, ...files.map((file) => file.subarray(file.indexOf('\n') + 1))]),
			);
		}
	}
	const named = new Set(
		written.flatMap((item) =>
			((item.json.jobs as Array<{ exportId: string }> | undefined) ?? []).map((j) => j.exportId),
		),
	);
	const unnamed = completed.filter((job) => !named.has(job.exportId));
	if (unnamed.length > 0)
		account.notes.push(`completed jobs in no output: ${unnamed.map((j) => j.exportId).join(', ')}`);
	const seen = new Map<number, number>();
	written.forEach((_, index) => {
		const file = extractOutputFile(dir, index);
		account.files++;
		const bytes = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
		if (!bytes.equals(expectedFiles[index] ?? Buffer.alloc(0))) {
			account.filesNotIdentical++;
			account.notes.push(`file ${index + 1} (${bytes.length} bytes) differs from the simulator's`);
		}
		for (const line of dataLines(bytes)) {
			const id = Number(line.split(',')[0]);
			seen.set(id, (seen.get(id) ?? 0) + 1);
		}
	});
	for (const [id, count] of seen) {
		account.recordsOut += count;
		if (id < expectedIds.firstId || id > expectedIds.lastId) account.recordsUnexpected += count;
		else if (count > 1) account.recordsDuplicated += count - 1;
	}
	for (let id = expectedIds.firstId; id <= expectedIds.lastId; id++)
		if (!seen.has(id)) account.recordsLost++;
	return account;
}
