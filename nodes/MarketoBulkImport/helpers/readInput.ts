import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

/**
 * Getting the rows to upload: from a binary file (streamed, so a 500 MB file
 * never sits in memory) or from the incoming items' fields. A UTF-8 BOM is
 * left to the splitter, which drops it from every part but keeps the byte
 * offsets relative to the original file.
 */

export interface BinarySource {
	binary: IBinaryData;
	chunks: AsyncIterable<Buffer>;
}

async function* toBufferChunks(stream: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<Buffer> {
	for await (const chunk of stream) {
		yield typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
	}
}

async function* singleChunk(body: Buffer): AsyncGenerator<Buffer> {
	if (body.length > 0) yield body;
}

/**
 * The binary's bytes as chunks. When n8n keeps the file in its binary data
 * store (`binary.id`, the default in n8n 2.x) it is streamed from there;
 * only small in-memory binaries are decoded from base64.
 */
export async function openBinarySource(
	context: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): Promise<BinarySource> {
	const binary = context.helpers.assertBinaryData(itemIndex, propertyName);
	if (binary.id) {
		const stream = (await context.helpers.getBinaryStream(binary.id)) as AsyncIterable<Buffer | string>;
		return { binary, chunks: toBufferChunks(stream) };
	}
	return { binary, chunks: singleChunk(Buffer.from(binary.data ?? '', 'base64')) };
}

export function singleChunkSource(body: Buffer): AsyncIterable<Buffer> {
	return singleChunk(body);
}

/** Pure: "email, firstName,,lastName " -> ['email', 'firstName', 'lastName']. */
export function parseColumnList(text: string): string[] {
	return text
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name !== '');
}

/**
 * Pure: which input items a part's rows came from. Items input writes one row
 * per item in item order, so part rows map to a contiguous item range.
 */
export function sourceItemsOfPart(firstRowNumber: number, rows: number): number[] {
	return Array.from({ length: rows }, (_, k) => firstRowNumber - 1 + k);
}
