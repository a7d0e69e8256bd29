/**
 * CSV core benchmarks:
 * - split throughput ratio <size>: bytes/s of splitIntoParts over fs.createReadStream
 *   divided by bytes/s of merely reading the same file the same way (same stream,
 *   same chunk size: READ_CHUNK_BYTES), in the same run (best of a few alternating
 *   rounds each, so page cache and JIT are warm for both). Target >= 0.5: splitting
 *   must not make a large upload CPU-bound.
 * - peak memory growth while splitting <size>: RSS in a fresh process, sampled while
 *   splitting, minus the settled baseline. Target < 64 MB: memory is bounded by the
 *   part size, not the file size.
 * Both split the way the node's binary input does: parts in one reused buffer
 * (`reusePartBuffer`), each part used before the next is asked for.
 * - failure file parse rate ratio (1M rows): rows/s of parseWithHeader divided by
 *   rows/s of csv-parse's sync parser (columns mode, the same work) on one string.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { parse as csvParse } from 'csv-parse/sync';

import { parseWithHeader } from '../nodes/shared/csv/parser';
import { DEFAULT_MAX_PART_BYTES, splitIntoParts } from '../nodes/shared/csv/splitter';
import { failureFileText, writeLeadFile } from './csv/generate';
import type { BenchContext, BenchResult } from './types';

const MB = 1_000_000;

/**
 * The chunk size the node reads a binary with: it calls `getBinaryStream(id)` without
 * a chunk size, so n8n's filesystem store streams with Node's default highWaterMark
 * (64 KiB). Passing a larger size is no win: it speeds up a raw read more than the
 * split, and in S3 mode n8n re-chunks (copies) the stream to honour it.
 */
export const READ_CHUNK_BYTES = 64 * 1024;

/** The file as the node gets it. `end` (inclusive byte offset) limits the read, for warm-up runs. */
export function openLikeTheNode(file: string, end?: number): fs.ReadStream {
	return fs.createReadStream(file, { end, highWaterMark: READ_CHUNK_BYTES });
}

async function readOnly(file: string, end?: number): Promise<number> {
	let bytes = 0;
	for await (const chunk of openLikeTheNode(file, end)) bytes += (chunk as Buffer).length;
	return bytes;
}

async function splitOnly(file: string, end?: number): Promise<{ bytes: number; parts: number; rows: number }> {
	let bytes = 0;
	let parts = 0;
	let rows = 0;
	const options = { maxPartBytes: DEFAULT_MAX_PART_BYTES, reusePartBuffer: true };
	for await (const part of splitIntoParts(openLikeTheNode(file, end), options)) {
		bytes += part.body.length; // stands in for the upload; the part is dropped afterwards
		parts++;
		rows += part.rows;
	}
	return { bytes, parts, rows };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
	const start = performance.now();
	const value = await work();
	return { ms: performance.now() - start, value };
}

async function splitThroughput(
	ctx: BenchContext,
	label: string,
	file: string,
	fileBytes: number,
	expectedRows: number,
	rounds: number,
): Promise<BenchResult> {
	// Untimed warm-up on the first 30 MB: JIT-compile both paths before measuring.
	await readOnly(file, 30 * MB);
	await splitOnly(file, 30 * MB);
	let bestReadMs = Infinity;
	let bestSplitMs = Infinity;
	for (let round = 0; round < rounds; round++) {
		// Alternate the order so neither side always runs on a warmer cache.
		const order = round % 2 === 0 ? ['read', 'split'] : ['split', 'read'];
		for (const which of order) {
			if (which === 'read') {
				const { ms, value } = await timed(() => readOnly(file));
				if (value !== fileBytes) throw new Error(`read ${value} bytes of ${fileBytes}`);
				bestReadMs = Math.min(bestReadMs, ms);
			} else {
				const { ms, value } = await timed(() => splitOnly(file));
				if (value.rows !== expectedRows) throw new Error(`split found ${value.rows} rows, expected ${expectedRows}`);
				bestSplitMs = Math.min(bestSplitMs, ms);
			}
		}
	}
	const readRate = fileBytes / (bestReadMs / 1000);
	const splitRate = fileBytes / (bestSplitMs / 1000);
	ctx.log(
		`${label}: read ${(readRate / MB).toFixed(0)} MB/s, split ${(splitRate / MB).toFixed(0)} MB/s (best of ${rounds})`,
	);
	return {
		name: `split throughput ratio ${label}`,
		value: splitRate / readRate,
		unit: 'x',
		target: { op: '>=', value: 0.5 },
		details: { fileBytes, readMBps: readRate / MB, splitMBps: splitRate / MB, rounds },
	};
}

function splitMemory(ctx: BenchContext, label: string, file: string): BenchResult {
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
			String(READ_CHUNK_BYTES),
		],
		{ cwd: ctx.rootDir, encoding: 'utf8', maxBuffer: 1024 * 1024 },
	);
	if (child.status !== 0) throw new Error(`memory probe failed: ${child.stderr}`);
	const measured = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { growthMB: number; parts: number };
	ctx.log(`${label}: peak RSS growth ${measured.growthMB.toFixed(1)} MB over ${measured.parts} parts`);
	return {
		name: `peak memory growth while splitting ${label}`,
		value: measured.growthMB,
		unit: 'MB',
		target: { op: '<', value: 64 },
		details: measured,
	};
}

function failureParseRate(ctx: BenchContext, label: string, rows: number): BenchResult {
	const text = failureFileText(rows);
	ctx.log(`failure file: ${rows} rows, ${(Buffer.byteLength(text) / MB).toFixed(0)} MB`);
	const referenceOptions = { columns: true, bom: true, relax_column_count: true, skip_empty_lines: true } as const;
	// Warm both parsers up on a slice so neither pays for JIT in the timed run.
	const warmUp = text.slice(0, text.indexOf('\n', 2_000_000) + 1);
	parseWithHeader(warmUp, ',');
	csvParse(warmUp, referenceOptions);

	let start = performance.now();
	const reference = csvParse(text, referenceOptions) as unknown[];
	const referenceMs = performance.now() - start;
	const referenceRows = reference.length;

	start = performance.now();
	const ours = parseWithHeader(text, ',');
	const oursMs = performance.now() - start;
	if (ours.rows.length !== rows || referenceRows !== rows) {
		throw new Error(`row counts differ: ours ${ours.rows.length}, csv-parse ${referenceRows}, generated ${rows}`);
	}
	const oursRate = rows / (oursMs / 1000);
	const referenceRate = rows / (referenceMs / 1000);
	ctx.log(`parse: ours ${Math.round(oursRate)} rows/s, csv-parse ${Math.round(referenceRate)} rows/s`);
	return {
		name: `failure file parse rate ratio (${label})`,
		value: oursRate / referenceRate,
		unit: 'x',
		target: { op: '>=', value: 1.0 },
		details: { rows, oursRowsPerSecond: oursRate, csvParseRowsPerSecond: referenceRate },
	};
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
	const suffix = ctx.quick ? ' [quick]' : '';
	const sizes = ctx.quick
		? [
				{ label: `100MB${suffix}`, bytes: 10 * MB, rounds: 3 },
				{ label: `1GB${suffix}`, bytes: 40 * MB, rounds: 2 },
			]
		: [
				{ label: '100MB', bytes: 100 * MB, rounds: 3 },
				{ label: '1GB', bytes: 1000 * MB, rounds: 2 },
			];
	const results: BenchResult[] = [];

	for (const size of sizes) {
		const throughputName = `split throughput ratio ${size.label}`;
		const memoryName = `peak memory growth while splitting ${size.label}`;
		if (!ctx.wants(throughputName) && !ctx.wants(memoryName)) continue;
		const file = path.join(ctx.tmpDir, `leads-${size.label.replace(/\W/g, '')}.csv`);
		const generated = writeLeadFile(file, size.bytes);
		ctx.log(`generated ${file}: ${(generated.bytes / MB).toFixed(0)} MB, ${generated.rows} rows`);
		try {
			if (ctx.wants(throughputName)) {
				results.push(await splitThroughput(ctx, size.label, file, generated.bytes, generated.rows, size.rounds));
			}
			if (ctx.wants(memoryName)) results.push(splitMemory(ctx, size.label, file));
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	const parseLabel = ctx.quick ? `1M rows${suffix}` : '1M rows';
	if (ctx.wants(`failure file parse rate ratio (${parseLabel})`)) {
		results.push(failureParseRate(ctx, parseLabel, ctx.quick ? 50_000 : 1_000_000));
	}
	return results;
}
