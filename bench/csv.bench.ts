/**
 * CSV core benchmarks:
 * - split throughput ratio <size>: bytes/s of what the node does with a binary file
 *   before and while uploading it (pass 1: read the whole file and check it, "look
 *   before you upload"; pass 2: read it again and cut the parts), divided by bytes/s
 *   of merely reading the same file once the way n8n hands a binary to a node that
 *   asks for no chunk size (64 KiB chunks), in the same run (best of a few
 *   alternating rounds each, so page cache and JIT are warm for both). Target >= 0.5:
 *   checking and splitting must not make a large upload CPU-bound. The node reads in
 *   1 MiB chunks (READ_CHUNK_BYTES); the ratio to one raw read in 1 MiB chunks is
 *   kept in the details (two reads can never beat one, so that ratio is below 0.5).
 * - peak memory growth while splitting <size>: RSS in a fresh process, sampled while
 *   checking and splitting, minus the settled baseline. Target < 64 MB: memory is
 *   bounded by the part size, not the file size. At 1 GB also "with the same-key guard":
 *   the split as the node does it for a file of many parts, the lookup values (one per row,
 *   all different: the most the key filter holds) read, hashed and rows held back.
 * Both split the way the node's binary input does: parts in one reused buffer
 * (`reusePartBuffer`), each part used before the next is asked for.
 * - transcoding ratio (100 MB Windows-1252): the same two passes over a Windows-1252
 *   file (every part transcoded to UTF-8), as a ratio to one raw read (reported).
 * - failure file parse rate ratio (1M rows): rows/s of parseWithHeader divided by
 *   rows/s of csv-parse's sync parser (columns mode, the same work) on one string.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { parse as csvParse } from 'csv-parse/sync';

import { READ_CHUNK_BYTES, type ResolvedEncoding } from '../nodes/shared/csv/encoding';
import { parseWithHeader } from '../nodes/shared/csv/parser';
import { DEFAULT_MAX_PART_BYTES } from '../nodes/shared/csv/splitter';
import { splitLikeTheNode } from './csv/splitLikeTheNode';
import { failureFileText, writeLeadFile } from './csv/generate';
import type { BenchContext, BenchResult } from './types';

const MB = 1_000_000;

/**
 * The chunk size n8n's filesystem binary store streams with when a node asks for
 * none (Node's default highWaterMark): what reading a binary once costs a node.
 */
export const DEFAULT_N8N_CHUNK_BYTES = 64 * 1024;

async function readOnly(file: string, chunkBytes: number, end?: number): Promise<number> {
	let bytes = 0;
	for await (const chunk of fs.createReadStream(file, { end, highWaterMark: chunkBytes }))
		bytes += (chunk as Buffer).length;
	return bytes;
}

async function splitOnly(
	file: string,
	encoding: ResolvedEncoding,
	end?: number,
): Promise<{ bytes: number; parts: number; rows: number }> {
	let bytes = 0;
	let parts = 0;
	let rows = 0;
	for await (const part of splitLikeTheNode(file, {
		encoding,
		maxPartBytes: DEFAULT_MAX_PART_BYTES,
		end,
	})) {
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
	encoding: ResolvedEncoding = 'utf-8',
): Promise<BenchResult> {
	// Untimed warm-up on the first 30 MB: JIT-compile every path before measuring.
	await readOnly(file, DEFAULT_N8N_CHUNK_BYTES, 30 * MB);
	await readOnly(file, READ_CHUNK_BYTES, 30 * MB);
	await splitOnly(file, encoding, 30 * MB).catch(() => undefined); // a cut row at 30 MB may be refused
	let bestReadMs = Infinity;
	let bestLargeReadMs = Infinity;
	let bestSplitMs = Infinity;
	for (let round = 0; round < rounds; round++) {
		// Alternate the order so neither side always runs on a warmer cache.
		const order = round % 2 === 0 ? ['read', 'split'] : ['split', 'read'];
		for (const which of order) {
			if (which === 'read') {
				const { ms, value } = await timed(() => readOnly(file, DEFAULT_N8N_CHUNK_BYTES));
				if (value !== fileBytes) throw new Error(`read ${value} bytes of ${fileBytes}`);
				bestReadMs = Math.min(bestReadMs, ms);
				const large = await timed(() => readOnly(file, READ_CHUNK_BYTES));
				bestLargeReadMs = Math.min(bestLargeReadMs, large.ms);
			} else {
				const { ms, value } = await timed(() => splitOnly(file, encoding));
				if (value.rows !== expectedRows)
					throw new Error(`split found ${value.rows} rows, expected ${expectedRows}`);
				bestSplitMs = Math.min(bestSplitMs, ms);
			}
		}
	}
	const readRate = fileBytes / (bestReadMs / 1000);
	const largeReadRate = fileBytes / (bestLargeReadMs / 1000);
	const splitRate = fileBytes / (bestSplitMs / 1000);
	ctx.log(
		`${label}: read ${(readRate / MB).toFixed(0)} MB/s (64 KiB chunks), ${(largeReadRate / MB).toFixed(0)} MB/s ` +
			`(1 MiB chunks), check + split ${(splitRate / MB).toFixed(0)} MB/s (best of ${rounds})`,
	);
	return {
		name: encoding === 'utf-8' ? `split throughput ratio ${label}` : `transcoding ratio ${label}`,
		value: splitRate / readRate,
		unit: 'x',
		...(encoding === 'utf-8' ? { target: { op: '>=' as const, value: 0.5 } } : { reported: true }),
		details: {
			fileBytes,
			readMBps: readRate / MB,
			readMBpsIn1MiBChunks: largeReadRate / MB,
			splitMBps: splitRate / MB,
			ratioTo1MiBRead: splitRate / largeReadRate,
			rounds,
		},
	};
}

function splitMemory(
	ctx: BenchContext,
	label: string,
	file: string,
	withKeys = false,
): BenchResult {
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
			...(withKeys ? ['with-keys'] : []),
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
	return {
		name: `peak memory growth while splitting ${label}${withKeys ? ' with the same-key guard' : ''}`,
		value: measured.growthMB,
		unit: 'MB',
		target: { op: '<', value: 64 },
		details: measured,
	};
}

/**
 * Tie-back of a file with failed rows in every part, the way Wait for Batch does it
 * (one shared reader, parts in the order Marketo's lanes end them), in a fresh process:
 * its time as a ratio to one raw read of the file (target <= 2: the tie-back reads
 * each byte once, whatever the number of parts) and its memory growth (< 64 MB).
 */
async function tieBackCost(
	ctx: BenchContext,
	label: string,
	file: string,
	fileBytes: number,
): Promise<BenchResult[]> {
	const probe = path.join(__dirname, 'csv', 'tieBackProbe.ts');
	const runProbe = (): TieBackMeasured => {
		const child = spawnSync(
			process.execPath,
			[
				'--expose-gc',
				'-r',
				'ts-node/register/transpile-only',
				probe,
				file,
				String(TIE_BACK_FAILURES_PER_PART),
			],
			{ cwd: ctx.rootDir, encoding: 'utf8', maxBuffer: 1024 * 1024 },
		);
		if (child.status !== 0) throw new Error(`tie-back probe failed: ${child.stderr}`);
		return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as TieBackMeasured;
	};
	// Best of alternating rounds on both sides, as for the split ratio: a busy moment of the
	// machine must not decide either figure. Memory: the worst round.
	let bestReadMs = Infinity;
	let measured: TieBackMeasured | undefined;
	let worstGrowthMB = 0;
	for (let round = 0; round < TIE_BACK_ROUNDS; round++) {
		bestReadMs = Math.min(
			bestReadMs,
			(await timed(() => readOnly(file, DEFAULT_N8N_CHUNK_BYTES))).ms,
		);
		const run = runProbe();
		worstGrowthMB = Math.max(worstGrowthMB, run.growthMB);
		if (measured === undefined || run.ms < measured.ms) measured = run;
	}
	if (measured === undefined) throw new Error('tie-back probe did not run');
	measured = { ...measured, growthMB: worstGrowthMB };
	if (measured.exact !== measured.failedRows) {
		throw new Error(`tie-back found ${measured.exact} of ${measured.failedRows} rows exactly`);
	}
	ctx.log(
		`${label}: tie-back of ${measured.failedRows} failed rows in ${measured.parts} parts took ${measured.ms.toFixed(0)} ms, ` +
			`${measured.opens} open(s), ${(measured.bytesRead / MB).toFixed(0)} MB read; one raw read ${bestReadMs.toFixed(0)} ms`,
	);
	return [
		{
			name: `tie-back time ratio to one raw read ${label}`,
			value: measured.ms / bestReadMs,
			unit: 'x',
			target: { op: '<=', value: 2 },
			details: { ...measured, fileBytes, rawReadMs: bestReadMs },
		},
		{
			name: `peak memory growth while tying back ${label}`,
			value: measured.growthMB,
			unit: 'MB',
			target: { op: '<', value: 64 },
			details: measured,
		},
	];
}

type TieBackMeasured = {
	ms: number;
	parts: number;
	failedRows: number;
	exact: number;
	opens: number;
	bytesRead: number;
	growthMB: number;
};

const TIE_BACK_ROUNDS = 2;

/** Failed rows per part in the tie-back bench: spread over the part, so every chunk is searched. */
const TIE_BACK_FAILURES_PER_PART = 50;

function failureParseRate(ctx: BenchContext, label: string, rows: number): BenchResult {
	const text = failureFileText(rows);
	ctx.log(`failure file: ${rows} rows, ${(Buffer.byteLength(text) / MB).toFixed(0)} MB`);
	const referenceOptions = {
		columns: true,
		bom: true,
		relax_column_count: true,
		skip_empty_lines: true,
	} as const;
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
		throw new Error(
			`row counts differ: ours ${ours.rows.length}, csv-parse ${referenceRows}, generated ${rows}`,
		);
	}
	const oursRate = rows / (oursMs / 1000);
	const referenceRate = rows / (referenceMs / 1000);
	ctx.log(
		`parse: ours ${Math.round(oursRate)} rows/s, csv-parse ${Math.round(referenceRate)} rows/s`,
	);
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
				{ label: `100MB${suffix}`, bytes: 10 * MB, rounds: 3, tieBack: false },
				{ label: `1GB${suffix}`, bytes: 40 * MB, rounds: 2, tieBack: true },
			]
		: [
				{ label: '100MB', bytes: 100 * MB, rounds: 3, tieBack: false },
				{ label: '1GB', bytes: 1000 * MB, rounds: 2, tieBack: true },
			];
	const results: BenchResult[] = [];

	for (const size of sizes) {
		const throughputName = `split throughput ratio ${size.label}`;
		const memoryName = `peak memory growth while splitting ${size.label}`;
		const tieBackName = `tie-back time ratio to one raw read ${size.label}`;
		const keysMemoryName = `${memoryName} with the same-key guard`;
		if (
			!ctx.wants(throughputName) &&
			!ctx.wants(memoryName) &&
			!(size.tieBack && ctx.wants(keysMemoryName)) &&
			!(size.tieBack && ctx.wants(tieBackName))
		)
			continue;
		const file = path.join(ctx.tmpDir, `leads-${size.label.replace(/\W/g, '')}.csv`);
		const generated = writeLeadFile(file, size.bytes);
		ctx.log(`generated ${file}: ${(generated.bytes / MB).toFixed(0)} MB, ${generated.rows} rows`);
		try {
			if (ctx.wants(throughputName)) {
				results.push(
					await splitThroughput(
						ctx,
						size.label,
						file,
						generated.bytes,
						generated.rows,
						size.rounds,
					),
				);
			}
			if (ctx.wants(memoryName)) results.push(splitMemory(ctx, size.label, file));
			// The lookup values of every row hashed and kept in bounded memory (issue 23).
			if (size.tieBack && ctx.wants(keysMemoryName))
				results.push(splitMemory(ctx, size.label, file, true));
			if (size.tieBack && ctx.wants(`tie-back time ratio to one raw read ${size.label}`)) {
				results.push(...(await tieBackCost(ctx, size.label, file, generated.bytes)));
			}
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	const transcodingLabel = `100MB Windows-1252${suffix}`;
	if (ctx.wants(`transcoding ratio ${transcodingLabel}`)) {
		const file = path.join(ctx.tmpDir, 'leads-windows-1252.csv');
		const generated = writeLeadFile(file, ctx.quick ? 10 * MB : 100 * MB);
		// Every character of the generated rows is in Windows-1252: write the same rows in it.
		fs.writeFileSync(file, Buffer.from(fs.readFileSync(file, 'utf8'), 'latin1'));
		const bytes = fs.statSync(file).size;
		ctx.log(
			`generated ${file}: ${(bytes / MB).toFixed(0)} MB in Windows-1252, ${generated.rows} rows`,
		);
		try {
			results.push(
				await splitThroughput(
					ctx,
					transcodingLabel,
					file,
					bytes,
					generated.rows,
					3,
					'windows-1252',
				),
			);
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
