/**
 * What the benches that run the 1,000,000-row import in a real n8n share (e2e-throughput: n8n as
 * one process; queue-throughput: a worker in queue mode), so both measure the same thing the same
 * way: the lead file and its sizes, the simulator's speed, the ideal makespan, how the makespan is
 * read from n8n's run data, every row accounted for, and a process's peak memory.
 *
 * Not a bench module itself (the runner only loads `*.bench.ts`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expectedOutcomes, generateLeadsCsv } from '../scripts/generate-leads';
import type { N8nRun } from '../scripts/n8n-runtime';
import type { BenchContext, BenchResult } from './types';

export interface LargeImportShape {
	rows: number;
	/** The simulator's import speed per lane. */
	rowsPerSecond: number;
	partSizeMb: number;
}

/** Full run: 1,000,000 rows (~125 MB, parts of 10 MB). --quick: 10,000 rows in 10 small parts. */
export const LARGE_IMPORT_FULL: LargeImportShape = {
	rows: 1_000_000,
	rowsPerSecond: 20_000,
	partSizeMb: 10,
};
export const LARGE_IMPORT_QUICK: LargeImportShape = {
	rows: 10_000,
	rowsPerSecond: 500,
	partSizeMb: 0.125,
};

/** One row in 10,000 refused by Marketo, one in 10,000 imported with a warning. */
export const LARGE_IMPORT_FILE_SHAPE = { failEvery: 10_000, warnEvery: 10_000 };

export interface LargeImportFile {
	file: string;
	bytes: number;
	/** Row numbers Marketo refuses / warns about. */
	expected: { failed: number[]; warned: number[] };
}

/** Writes the lead file of `shape` into the module's folder. */
export async function generateLargeImportFile(
	ctx: BenchContext,
	shape: LargeImportShape,
	options: { fileName?: string; repeatEmailEvery?: number; repeatEmailDistance?: number } = {},
): Promise<LargeImportFile> {
	const { fileName = 'bench-leads.csv', ...repeats } = options;
	const file = path.join(ctx.tmpDir, fileName);
	const generated = await generateLeadsCsv(file, {
		rows: shape.rows,
		...LARGE_IMPORT_FILE_SHAPE,
		...repeats,
	});
	return {
		file,
		bytes: generated.bytes,
		expected: expectedOutcomes(shape.rows, LARGE_IMPORT_FILE_SHAPE),
	};
}

/** The Import node's options in both benches: parts of the shape's size, and room to wait for the queue. */
export function largeImportOptions(shape: LargeImportShape): Record<string, number> {
	return { partSizeMb: shape.partSizeMb, queueWaitMinutes: 60 };
}

/** Total processing time of the file on one lane. */
export function processingMs(shape: LargeImportShape): number {
	return (shape.rows / shape.rowsPerSecond) * 1000;
}

/** Pure: makespan ideal with `lanes` lanes once the first part is uploaded. */
export function idealMakespanMs(processingMs: number, firstUploadMs: number, lanes = 2): number {
	return processingMs / lanes + firstUploadMs;
}

/**
 * The makespan line of both benches: ideal / actual, whose target is the same wherever n8n runs
 * the import (within 10 % of the ideal).
 */
export function makespanResult(
	name: string,
	measured: { idealMs: number; actualMs: number; firstUploadMs: number },
	details: Record<string, unknown>,
): BenchResult {
	return {
		name,
		value: measured.idealMs / measured.actualMs,
		unit: 'x',
		target: { op: '>=', value: 0.9 },
		details: { ...details, ...measured },
	};
}

export interface ImportTiming {
	parts: Array<{ batchId: number; rows: number; submittedAt: number }>;
	/** The Import node's start. */
	importStart: number;
	/** From the Import node's start to the end of Wait for Batch. */
	makespanMs: number;
	/** From the Import node's start to the first part's submission. */
	firstUploadMs: number;
	/** Rows each part held back for a later part (the same-key guard). */
	rowsHeldBack: number[];
	/** Batches each part waited for before it was uploaded (the same-key guard). */
	waitedFor: number[];
}

function lastTask(data: N8nRun['data'], node: string) {
	const task = data.resultData.runData[node]?.at(-1);
	if (!task) throw new Error(`node ${node} did not run`);
	return task;
}

/** Pure: the parts and the makespan of an import, from n8n's run data (`n8n execute` or a stored execution). */
export function importTiming(
	data: N8nRun['data'],
	importNode: string,
	waitNode: string,
): ImportTiming {
	const importTask = lastTask(data, importNode);
	const waitTask = lastTask(data, waitNode);
	const items = importTask.data?.main?.[0] ?? [];
	const parts = items.map((item) => ({
		batchId: Number(item.json.batchId),
		rows: Number(item.json.rows),
		submittedAt: Date.parse(String(item.json.submittedAt)),
	}));
	const importStart = importTask.startTime;
	return {
		parts,
		importStart,
		makespanMs: waitTask.startTime + waitTask.executionTime - importStart,
		firstUploadMs: Math.min(...parts.map((part) => part.submittedAt)) - importStart,
		rowsHeldBack: items.map((item) => Number(item.json.rowsHeldBack ?? 0)),
		waitedFor: items.map((item) =>
			Array.isArray(item.json.waitedForBatchIds) ? item.json.waitedForBatchIds.length : 0,
		),
	};
}

/** Throws unless the run reported exactly the refused and warned rows of the file. */
export function assertRowsAccountedFor(
	label: string,
	counted: { failedRows: number; warningRows: number },
	expected: LargeImportFile['expected'],
): void {
	if (
		counted.failedRows !== expected.failed.length ||
		counted.warningRows !== expected.warned.length
	) {
		throw new Error(
			`${label}: rows unaccounted for: ${counted.failedRows}/${expected.failed.length} failed, ${counted.warningRows}/${expected.warned.length} warnings`,
		);
	}
}

/** A process's resident memory (VmRSS) or its peak so far (VmHWM), in kB; 0 once it is gone. */
export function readMemoryKb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmHWM'): number {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status);
		return match ? Number(match[1]) : 0;
	} catch {
		return 0;
	}
}

/**
 * Reads the peak memory of processes every 250 ms while they live (VmHWM is lost with the
 * process); `peakKb(pid)` is the highest seen, `stop()` reads once more and ends the sampling.
 */
export function samplePeakRss(pids: number[]): { peakKb(pid: number): number; stop(): void } {
	const peaks = new Map(pids.map((pid) => [pid, 0]));
	const read = () => {
		for (const pid of pids) peaks.set(pid, Math.max(peaks.get(pid)!, readMemoryKb(pid)));
	};
	const timer = setInterval(read, 250);
	return {
		peakKb: (pid) => peaks.get(pid) ?? 0,
		stop() {
			read();
			clearInterval(timer);
		},
	};
}
