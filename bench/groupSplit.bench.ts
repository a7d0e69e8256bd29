/**
 * Splitting by a status column (Member Status "From a Column"):
 * - group split throughput ratio <size>: bytes/s of what the node does with a binary file
 *   whose rows carry a status (pass 1: check the file and tally the statuses in the same read,
 *   so bad ones are refused before upload, logging where each row ends; pass 2: one part writer
 *   per status, the column left out, the rows taken from that log) divided by bytes/s of one raw
 *   read of the file in 64 KiB chunks (as csv.bench.ts's split ratio), best of a few alternating
 *   rounds. Target >= 0.4 (issue 23: comparable to the plain split's 0.5).
 * - peak memory growth while splitting by status <size>: RSS in a fresh process, sampled
 *   while checking and splitting, minus the settled baseline. Target < 64 MB: the writers
 *   together hold at most DEFAULT_GROUP_BUDGET_BYTES, whatever the file size.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { DEFAULT_MAX_PART_BYTES } from '../nodes/shared/csv/splitter';
import { DEFAULT_N8N_CHUNK_BYTES } from './csv.bench';
import { LEAD_HEADER, leadRow } from './csv/generate';
import { groupSplitLikeTheNode, withStatus } from './csv/groupSplitLikeTheNode';
import type { BenchContext, BenchResult } from './types';

const MB = 1_000_000;

/** Writes a registrant CSV (status first, then a lead) of at least `targetBytes` bytes. */
function writeRegistrantFile(file: string, targetBytes: number): { bytes: number; rows: number } {
	const fd = fs.openSync(file, 'w');
	try {
		let bytes = 0;
		let rows = 0;
		let batch: string[] = [`status,${LEAD_HEADER}\n`];
		let chars = batch[0].length;
		const flush = () => {
			const buffer = Buffer.from(batch.join(''), 'utf8');
			fs.writeSync(fd, buffer);
			bytes += buffer.length;
			batch = [];
			chars = 0;
		};
		while (bytes + chars < targetBytes) {
			const row = withStatus(++rows, leadRow(rows));
			batch.push(row);
			chars += row.length;
			if (chars >= 8_000_000) flush();
		}
		flush();
		return { bytes, rows };
	} finally {
		fs.closeSync(fd);
	}
}

async function readOnly(file: string): Promise<number> {
	let bytes = 0;
	for await (const chunk of fs.createReadStream(file, { highWaterMark: DEFAULT_N8N_CHUNK_BYTES }))
		bytes += (chunk as Buffer).length;
	return bytes;
}

async function splitByStatus(file: string): Promise<number> {
	let rows = 0;
	for await (const part of groupSplitLikeTheNode(file, {
		maxPartBytes: DEFAULT_MAX_PART_BYTES,
		statusColumn: 0,
	}))
		rows += part.rows;
	return rows;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
	const start = performance.now();
	const value = await work();
	return { ms: performance.now() - start, value };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
	const label = ctx.quick ? '100MB [quick]' : '100MB';
	const throughputName = `group split throughput ratio ${label}`;
	const memoryName = `peak memory growth while splitting by status ${label}`;
	if (!ctx.wants(throughputName) && !ctx.wants(memoryName)) return [];
	const file = path.join(ctx.tmpDir, 'registrants.csv');
	const generated = writeRegistrantFile(file, ctx.quick ? 10 * MB : 100 * MB);
	ctx.log(
		`generated ${file}: ${(generated.bytes / MB).toFixed(0)} MB, ${generated.rows} rows, 3 statuses`,
	);
	const results: BenchResult[] = [];
	try {
		if (ctx.wants(throughputName)) {
			await splitByStatus(file); // warm-up: JIT every path
			let bestReadMs = Infinity;
			let bestSplitMs = Infinity;
			const rounds = 3;
			for (let round = 0; round < rounds; round++) {
				const order = round % 2 === 0 ? ['read', 'split'] : ['split', 'read'];
				for (const which of order) {
					if (which === 'read') {
						const { ms, value } = await timed(() => readOnly(file));
						if (value !== generated.bytes)
							throw new Error(`read ${value} bytes of ${generated.bytes}`);
						bestReadMs = Math.min(bestReadMs, ms);
					} else {
						const { ms, value } = await timed(() => splitByStatus(file));
						if (value !== generated.rows)
							throw new Error(`split found ${value} rows, expected ${generated.rows}`);
						bestSplitMs = Math.min(bestSplitMs, ms);
					}
				}
			}
			const readRate = generated.bytes / (bestReadMs / 1000);
			const splitRate = generated.bytes / (bestSplitMs / 1000);
			ctx.log(
				`${label}: read ${(readRate / MB).toFixed(0)} MB/s, check + split by status ${(splitRate / MB).toFixed(0)} MB/s`,
			);
			results.push({
				name: throughputName,
				value: splitRate / readRate,
				unit: 'x',
				target: { op: '>=', value: 0.4 },
				details: {
					fileBytes: generated.bytes,
					rows: generated.rows,
					readMBps: readRate / MB,
					splitMBps: splitRate / MB,
					rounds,
				},
			});
		}
		if (ctx.wants(memoryName)) {
			const probe = path.join(__dirname, 'csv', 'splitMemoryProbe.ts');
			const child = spawnSync(
				process.execPath,
				[
					'--expose-gc',
					'-r',
					'ts-node/register/transpile-only',
					probe,
					file,
					String(DEFAULT_MAX_PART_BYTES),
					'by-status',
				],
				{ cwd: ctx.rootDir, encoding: 'utf8', maxBuffer: 1024 * 1024 },
			);
			if (child.status !== 0) throw new Error(`memory probe failed: ${child.stderr}`);
			const measured = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
				growthMB: number;
				parts: number;
			};
			ctx.log(
				`${label}: peak RSS growth ${measured.growthMB.toFixed(1)} MB over ${measured.parts} parts`,
			);
			results.push({
				name: memoryName,
				value: measured.growthMB,
				unit: 'MB',
				target: { op: '<', value: 64 },
				details: measured,
			});
		}
	} finally {
		fs.rmSync(file, { force: true });
	}
	return results;
}
