/**
 * Runs in a fresh process (spawned by csv.bench.ts): ties back the failed rows of
 * every part of a generated lead file the way Wait for Batch does, one shared reader
 * for the file (submittedFiles.ts), the batches finishing in the order Marketo's two
 * lanes end them (2, 1, 4, 3, ...). Prints the time, the bytes read and the peak RSS
 * growth over the settled baseline as JSON.
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/csv/tieBackProbe.ts <file> <failuresPerPart>
 */
import * as fs from 'fs';

import { SubmittedFileReader } from '../../nodes/MarketoWaitForBatch/helpers/rows/submittedFiles';
import { parseResultFile } from '../../nodes/MarketoWaitForBatch/helpers/rows/resultRows';
import { tieBackResultFiles } from '../../nodes/MarketoWaitForBatch/helpers/rows/tieBack';
import { READ_CHUNK_BYTES } from '../../nodes/shared/csv/encoding';
import { planParts } from '../../nodes/shared/csv/splitter';
import { LEAD_HEADER, leadRow } from './generate';

async function main(): Promise<void> {
	const [file, failuresArg] = process.argv.slice(2);
	const failuresPerPart = Number(failuresArg);
	const stats = { opens: 0, bytes: 0 };
	const open = async () => {
		stats.opens++;
		return (async function* () {
			for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
				stats.bytes += (chunk as Buffer).length;
				yield chunk as Buffer;
			}
		})();
	};
	const plan = await planParts(open, { encoding: 'utf-8', delimiterFor: () => ',' });
	// Failure files as Marketo writes them: the row's columns, then the reason.
	const failureFiles = plan.parts.map((part) => {
		const lines = [`${LEAD_HEADER},Import Failure Reason\n`];
		for (let k = 0; k < failuresPerPart; k++) {
			const n = part.firstRowNumber + Math.floor((k * part.rows) / failuresPerPart);
			lines.push(`${leadRow(n).slice(0, -1)},Invalid data type in field Lead Score\n`);
		}
		return parseResultFile(lines.join(''), ',');
	});
	const order = plan.parts.map((_, index) =>
		index % 2 === 0 ? Math.min(index + 1, plan.parts.length - 1) : index - 1,
	);

	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	gc?.();
	const baseline = process.memoryUsage.rss();
	let peak = baseline;
	const sample = () => {
		peak = Math.max(peak, process.memoryUsage.rss());
	};
	const timer = setInterval(sample, 5);
	stats.opens = 0;
	stats.bytes = 0;
	const start = performance.now();
	const reader = new SubmittedFileReader(open, ',');
	for (const part of plan.parts) reader.register(part.dataStart);
	const ties = await Promise.all(
		order.map(async (index) => {
			const part = plan.parts[index];
			const [partTies] = await tieBackResultFiles([failureFiles[index]], {
				reader,
				delimiter: ',',
				...part,
			});
			sample();
			return partTies;
		}),
	);
	const ms = performance.now() - start;
	clearInterval(timer);
	const exact = ties.flat().filter((tie) => tie.tieBack === 'exact').length;
	process.stdout.write(
		JSON.stringify({
			ms,
			parts: plan.parts.length,
			rows: plan.totalRows,
			failedRows: failuresPerPart * plan.parts.length,
			exact,
			opens: stats.opens,
			bytesRead: stats.bytes,
			growthMB: (peak - baseline) / 1e6,
		}) + '\n',
	);
}

main().catch((error: unknown) => {
	process.stderr.write(String(error instanceof Error ? error.stack : error) + '\n');
	process.exit(1);
});
