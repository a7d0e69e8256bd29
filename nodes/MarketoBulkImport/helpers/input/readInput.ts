import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import { READ_CHUNK_BYTES } from '../../../shared/csv/encoding';

/**
 * Getting the rows to upload: from a binary file (streamed, so a 500 MB file
 * never sits in memory) or from the incoming items' fields. A UTF-8 BOM is
 * left to the splitter, which drops it from every part but keeps the byte
 * offsets relative to the original file.
 */

export interface BinarySource {
	binary: IBinaryData;
	/** opens the file's bytes again each time it is called */
	open: () => Promise<AsyncIterable<Buffer>>;
}

async function* toBufferChunks(
	stream: AsyncIterable<Buffer | string | Uint8Array>,
): AsyncGenerator<Buffer> {
	for await (const chunk of stream) {
		yield typeof chunk === 'string'
			? Buffer.from(chunk)
			: Buffer.isBuffer(chunk)
				? chunk
				: Buffer.from(chunk);
	}
}

async function* singleChunk(body: Buffer): AsyncGenerator<Buffer> {
	if (body.length > 0) yield body;
}

/**
 * n8n's database binary store (queue mode's default on 2.x) has no streaming: every open
 * loads the whole file from the database into one Buffer. Bulk Import opens a file three
 * times (encoding, check, cut), so there the file is fetched once and the same Buffer
 * serves every open; n8n holds the whole file in memory on each fetch anyway.
 */
const DATABASE_BINARY_ID_PREFIX = 'database:';

/**
 * The binary's bytes as chunks. When n8n keeps the file in its binary data
 * store (`binary.id`, the default in n8n 2.x) it is streamed from there;
 * only small in-memory binaries are decoded from base64.
 */
export function openBinarySource(
	context: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): BinarySource {
	const binary = context.helpers.assertBinaryData(itemIndex, propertyName);
	const id = binary.id;
	if (id?.startsWith(DATABASE_BINARY_ID_PREFIX)) {
		let fetched: Promise<Buffer> | undefined;
		return {
			binary,
			open: async () =>
				singleChunk(
					await (fetched ??= context.helpers.getBinaryDataBuffer(itemIndex, propertyName)),
				),
		};
	}
	if (id) {
		return {
			binary,
			open: async () =>
				toBufferChunks(
					(await context.helpers.getBinaryStream(id, READ_CHUNK_BYTES)) as AsyncIterable<Buffer>,
				),
		};
	}
	const body = Buffer.from(binary.data ?? '', 'base64');
	return { binary, open: async () => singleChunk(body) };
}

/** A file held in memory, as a source that can be opened again and again. */
export function inMemorySource(body: Buffer): () => Promise<AsyncIterable<Buffer>> {
	return async () => singleChunk(body);
}

/** Pure: "email, firstName,,lastName " -> ['email', 'firstName', 'lastName']. */
export function parseColumnList(text: string): string[] {
	return text
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name !== '');
}
