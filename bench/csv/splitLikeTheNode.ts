/**
 * Checks and splits a file on disk the way Marketo Bulk Import does a binary in
 * n8n's filesystem store: the file opened once per pass in READ_CHUNK_BYTES
 * chunks, pass 1 (planParts) then pass 2 (cutParts) into one reused part buffer.
 */
import * as fs from 'fs';

import { READ_CHUNK_BYTES, type ResolvedEncoding } from '../../nodes/shared/csv/encoding';
import { splitIntoParts, type FilePart } from '../../nodes/shared/csv/splitter';

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
