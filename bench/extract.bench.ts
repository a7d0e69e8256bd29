/**
 * Marketo Bulk Extract (issue 22):
 * - extract-download: a 1 GB extract downloaded by the node in a real n8n (line 2, binary data in
 *   filesystem mode), as a ratio to one raw HTTP read of the same file from the simulator, read
 *   side by side in the same run by a plain client process (the better of two reads); and n8n's
 *   memory growth from just before the download to its end. A plain Node.js download that hashes
 *   and writes the file is measured beside them for reference (details).
 * - extract-backfill: a 6-window back-fill in-process on a scaled clock (bench/extract/backfill.ts):
 *   makespan against the ideal of both lanes busy, and status calls per job.
 * - extract-items: Records as Items for a 1,000,000-row extract, in-process (bench/extract/items.ts
 *   says why): the time from the file call to the node's output, and the memory growth (reported).
 *
 * Full: a 1.0 GB file (7.8 million rows) and 1,000,000 records as items. --quick: 20 MB and
 * 20,000 records. The real-n8n run waits a minute for the node's first status read.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as n8n from '../scripts/n8n-runtime';
import type { Runtime } from '../scripts/n8n-runtime';
import type { RunningSimulator } from '../test/simulator';
import { BACKFILL_FULL, BACKFILL_QUICK, measureBackfill } from './extract/backfill';
import { EXTRACT_FIELDS, memoryGrowthKb, runExtractInN8n } from './extract/inN8n';
import { measureItemsInProcess } from './extract/items';
import type { BenchContext, BenchResult } from './types';

/** About 128 bytes a row with EXTRACT_FIELDS: 7,800,000 rows make 1.0 GB. */
const DOWNLOAD_ROWS = { full: 7_800_000, quick: 160_000 };
const ITEM_ROWS = { full: 1_000_000, quick: 20_000 };
const MB = 1024 * 1024;

interface Baseline {
	bytes: number;
	ms: number;
	sha256?: string;
}

/** One baseline download in a child process (bench/extract/rawDownload.ts). */
async function baselineDownload(
	ctx: BenchContext,
	mode: 'raw' | 'hash-write',
	url: string,
	token: string,
): Promise<Baseline> {
	const outFile = path.join(ctx.tmpDir, 'hash-write.csv');
	const script = path.join(__dirname, 'extract', 'rawDownload.ts');
	const args = ['-r', 'ts-node/register/transpile-only', script, mode, url, token, outFile];
	try {
		const stdout = await new Promise<string>((resolve, reject) => {
			// Asynchronous: the simulator serving the file runs in this process.
			const child = spawn(process.execPath, args, {
				cwd: ctx.rootDir,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let out = '';
			let err = '';
			child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
			child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
			child.once('error', reject);
			child.once('exit', (code) =>
				code === 0 ? resolve(out) : reject(new Error(`${mode} download failed: ${err}`)),
			);
		});
		return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Baseline;
	} finally {
		fs.rmSync(outFile, { force: true });
	}
}

async function tokenOf(simulator: RunningSimulator): Promise<string> {
	const answer = await fetch(
		`${simulator.identityUrl}/oauth/token?grant_type=client_credentials&client_id=${simulator.clientId}&client_secret=${simulator.clientSecret}`,
	);
	return ((await answer.json()) as { access_token: string }).access_token;
}

async function measureDownload(
	ctx: BenchContext,
	runtime: Runtime,
	tarball: string,
): Promise<BenchResult[]> {
	const rows = ctx.quick ? DOWNLOAD_ROWS.quick : DOWNLOAD_ROWS.full;
	const measured = await runExtractInN8n(ctx, runtime, tarball, {
		rows,
		fields: EXTRACT_FIELDS,
		output: 'oneFile',
		label: 'file download',
	});
	const { simulator } = measured;
	try {
		const [item] = measured.output;
		const jobs = (item?.json.jobs ?? []) as Array<{ fileChecksum?: string; bytes?: number }>;
		if (jobs[0]?.fileChecksum !== measured.fileChecksum || item.json.bytes !== measured.fileSize) {
			throw new Error(
				`extract-download: n8n stored ${String(item?.json.bytes)} bytes (${String(jobs[0]?.fileChecksum)}); the simulator's file has ${measured.fileSize} (${measured.fileChecksum})`,
			);
		}
		const n8nMs = measured.nodeEnd - measured.fileCallAt;
		const url = `${simulator.baseUrl}/bulk/v1/leads/export/${measured.exportId}/file.json`;
		const token = await tokenOf(simulator);
		ctx.log('extract-download: baselines (raw read, hash and write, raw read)...');
		const rawFirst = await baselineDownload(ctx, 'raw', url, token);
		const hashWrite = await baselineDownload(ctx, 'hash-write', url, token);
		const rawSecond = await baselineDownload(ctx, 'raw', url, token);
		for (const baseline of [rawFirst, hashWrite, rawSecond]) {
			if (baseline.bytes !== measured.fileSize)
				throw new Error(`extract-download: a baseline read ${baseline.bytes} bytes`);
		}
		if (`sha256:${hashWrite.sha256}` !== measured.fileChecksum)
			throw new Error('extract-download: the plain download does not match the checksum');
		const rawMs = Math.min(rawFirst.ms, rawSecond.ms);
		const memory = memoryGrowthKb(measured.samples, measured.fileCallAt, measured.nodeEnd);
		const details = {
			bytes: measured.fileSize,
			rows,
			n8nMs,
			rawMs: [rawFirst.ms, rawSecond.ms],
			hashWriteMs: hashWrite.ms,
			hashWriteRatio: rawMs / hashWrite.ms,
			n8nMbPerSecond: measured.fileSize / MB / (n8nMs / 1000),
			rawMbPerSecond: measured.fileSize / MB / (rawMs / 1000),
			memory: {
				baselineMb: memory.baselineKb / 1024,
				peakMb: memory.peakKb / 1024,
				processPeakMb: measured.peakKb / 1024,
			},
			where: 'real n8n 2.40.7, n8n execute, N8N_DEFAULT_BINARY_DATA_MODE=filesystem',
		};
		ctx.log(`extract-download: ${JSON.stringify(details)}`);
		return [
			{
				name: 'extract-download 1 GB into binary data, ratio to a raw read',
				value: rawMs / n8nMs,
				unit: 'x',
				target: { op: '>=', value: 0.5 },
				details,
			},
			{
				name: 'extract-download n8n memory growth',
				value: Math.round(memory.growthKb / 1024),
				unit: 'MB',
				target: { op: '<', value: 64 },
				details,
			},
		];
	} finally {
		await simulator.close();
	}
}

async function itemsResults(ctx: BenchContext): Promise<BenchResult[]> {
	const rows = ctx.quick ? ITEM_ROWS.quick : ITEM_ROWS.full;
	const measured = await measureItemsInProcess(ctx, rows);
	const details = {
		...measured,
		where: 'in-process: n8n-core 2.x, binary data in filesystem mode',
	};
	ctx.log(`extract-items: ${JSON.stringify(details)}`);
	return [
		{
			name: 'extract-items 1,000,000 records as items: file call to output',
			value: Math.round(measured.ms) / 1000,
			unit: 's',
			reported: true,
			details,
		},
		{
			name: 'extract-items 1,000,000 records as items: peak memory growth',
			value: Math.round(measured.growthMb),
			unit: 'MB',
			reported: true,
			details,
		},
	];
}

async function backfillResults(ctx: BenchContext): Promise<BenchResult[]> {
	const shape = ctx.quick ? BACKFILL_QUICK : BACKFILL_FULL;
	const measured = await measureBackfill(ctx, shape);
	const details = { ...shape, ...measured };
	ctx.log(
		`extract-backfill: ideal ${(measured.idealMs / 60_000).toFixed(1)} min, actual ${(measured.actualMs / 60_000).toFixed(1)} min, lane gaps ${measured.laneGapsMs.map((gap) => (gap / 1000).toFixed(0)).join(', ')} s, status calls ${measured.jobs.map((job) => job.statusCalls).join(', ')}`,
	);
	return [
		{
			name: 'extract-backfill 6 windows, makespan ratio (ideal / actual)',
			value: measured.idealMs / measured.actualMs,
			unit: 'x',
			target: { op: '>=', value: 0.9 },
			details,
		},
		{
			name: 'extract-backfill status calls per job beyond one per minute of processing (worst job)',
			value: measured.worstStatusCallsOver,
			unit: 'calls',
			target: { op: '<=', value: 2 },
			details,
		},
	];
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
	const results: BenchResult[] = [];
	if (ctx.wants('extract-backfill')) results.push(...(await backfillResults(ctx)));
	if (ctx.wants('extract-items')) results.push(...(await itemsResults(ctx)));
	if (!ctx.wants('extract-download')) return results;
	const runtime = n8n.ensureRuntime('2');
	const tarball = n8n.buildAndPack();
	try {
		results.push(...(await measureDownload(ctx, runtime, tarball)));
	} finally {
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
	return results;
}
