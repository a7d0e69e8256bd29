/**
 * Runs in a fresh process (spawned by csv.bench.ts and groupSplit.bench.ts) so nothing
 * measured earlier sits in this heap: splits one file the way the node does (each part is
 * used, then dropped), or with `by-status` splits it by its first column as Member Status
 * "From a Column" does, or with `with-keys` holds back rows whose first column (the lookup
 * value) an earlier part holds, as the same-key guard does; and prints the peak RSS growth over
 * the settled baseline as JSON.
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/csv/splitMemoryProbe.ts <file> <maxPartBytes> [by-status|with-keys]
 */
import * as fs from 'fs';

import { groupSplitLikeTheNode } from './groupSplitLikeTheNode';
import { splitLikeTheNode, splitWithKeysLikeTheNode } from './splitLikeTheNode';

type Mode = 'plain' | 'by-status' | 'with-keys';

/** A small file of the mode's shape, for the warm-up. */
const WARM_UP: Record<Mode, string> = {
	plain: 'a,b\n' + '1,"x,y"\n'.repeat(50_000),
	'with-keys': 'a,b\n' + Array.from({ length: 50_000 }, (_, k) => `${k % 40_000},"x,y"\n`).join(''),
	'by-status': 'status,b\n' + 'Registered,"x,y"\nAttended,z\nNo Show,w\n'.repeat(20_000),
};

function partsOf(mode: Mode, file: string, maxPartBytes: number): AsyncIterable<{ body: Buffer }> {
	if (mode === 'with-keys')
		return splitWithKeysLikeTheNode(file, { encoding: 'utf-8', maxPartBytes, keyColumn: 0 });
	return mode === 'by-status'
		? groupSplitLikeTheNode(file, { maxPartBytes, statusColumn: 0 })
		: splitLikeTheNode(file, { encoding: 'utf-8', maxPartBytes });
}

async function consume(
	mode: Mode,
	file: string,
	maxPartBytes: number,
	onPart: () => void,
): Promise<{ parts: number; bytes: number }> {
	let parts = 0;
	let bytes = 0;
	for await (const part of partsOf(mode, file, maxPartBytes)) {
		parts++;
		bytes += part.body.length; // "upload" it, then let it go
		onPart();
	}
	return { parts, bytes };
}

async function main(): Promise<void> {
	const [file, maxPartBytesArg, modeArg] = process.argv.slice(2);
	const maxPartBytes = Number(maxPartBytesArg);
	const mode: Mode = modeArg === 'by-status' || modeArg === 'with-keys' ? modeArg : 'plain';
	if (!(maxPartBytes > 0) || (modeArg !== undefined && mode === 'plain')) {
		throw new Error('usage: <file> <maxPartBytes> [by-status|with-keys]');
	}
	const gc = (globalThis as { gc?: () => void }).gc;

	// Warm up (JIT, stream machinery) on a small file, then settle.
	const warmUp = `${file}.warmup.csv`;
	fs.writeFileSync(warmUp, WARM_UP[mode]);
	await consume(mode, warmUp, 100_000, () => undefined);
	fs.rmSync(warmUp);
	gc?.();
	gc?.();
	const baseline = process.memoryUsage.rss();

	let peak = baseline;
	const sample = () => {
		const rss = process.memoryUsage.rss();
		if (rss > peak) peak = rss;
	};
	const timer = setInterval(sample, 5);
	const { parts, bytes } = await consume(mode, file, maxPartBytes, sample);
	clearInterval(timer);
	sample();
	process.stdout.write(
		JSON.stringify({
			baselineMB: baseline / 1e6,
			peakMB: peak / 1e6,
			growthMB: (peak - baseline) / 1e6,
			parts,
			bytes,
		}) + '\n',
	);
}

main().catch((error: unknown) => {
	process.stderr.write(String(error instanceof Error ? error.stack : error) + '\n');
	process.exit(1);
});
