/**
 * Checks and splits a file on disk the way Marketo Bulk Import does a binary in
 * n8n's filesystem store: the file opened once per pass in READ_CHUNK_BYTES
 * chunks, pass 1 (planParts) then pass 2 (cutParts) into one reused part buffer.
 */
import * as fs from 'fs';

import { READ_CHUNK_BYTES, type ResolvedEncoding } from '../../nodes/shared/csv/encoding';
import {
	findRepeatedKeys,
	heldBackParts,
	keepRows,
} from '../../nodes/MarketoBulkImport/helpers/upload/heldRows';
import { RecordKeyReader } from '../../nodes/MarketoBulkImport/helpers/upload/partKeys';
import {
	cutParts,
	planParts,
	splitIntoParts,
	type FilePart,
} from '../../nodes/shared/csv/splitter';

export function splitLikeTheNode(
	file: string,
	options: { encoding: ResolvedEncoding; maxPartBytes: number; end?: number },
): AsyncGenerator<FilePart, unknown, undefined> {
	const open = async () =>
		fs.createReadStream(file, { end: options.end, highWaterMark: READ_CHUNK_BYTES });
	return splitIntoParts(open, {
		encoding: options.encoding,
		maxPartBytes: options.maxPartBytes,
		delimiterFor: () => ',',
		reusePartBuffer: true,
	});
}

/**
 * The same, with the same-key guard as the node runs it on a file of many parts: one more
 * reading finds the keys (column `keyColumn`) held more than once, each part gives up the
 * rows of records an earlier part holds, and those rows are cut into parts of their own.
 */
export async function* splitWithKeysLikeTheNode(
	file: string,
	options: { encoding: ResolvedEncoding; maxPartBytes: number; keyColumn: number },
): AsyncGenerator<{ body: Buffer }, void, undefined> {
	const open = async () => fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
	const plan = await planParts(open, {
		encoding: options.encoding,
		maxPartBytes: options.maxPartBytes,
		delimiterFor: () => ',',
	});
	const keys = await findRepeatedKeys(open, plan, [options.keyColumn]);
	const reader = new RecordKeyReader(',', [options.keyColumn]);
	for await (const part of cutParts(open, plan, { reusePartBuffer: true }))
		yield keepRows(keys, reader, part, plan.headerLine.length, ',');
	yield* heldBackParts(open, plan, keys, reader, options.maxPartBytes, plan.parts.length);
}
