import { BINARY_ENCODING, type IBinaryData, type IExecuteFunctions } from 'n8n-workflow';

import { READ_CHUNK_BYTES } from './csv/encoding';

/**
 * A binary's bytes as n8n keeps them: streamed from its binary data store when it has an id
 * (the file is never held whole), else the small in-memory value decoded from base64.
 */
export async function storedBinaryBytes(
	context: IExecuteFunctions,
	binary: IBinaryData,
): Promise<AsyncIterable<Buffer> | Buffer> {
	if (binary.id) {
		return (await context.helpers.getBinaryStream(
			binary.id,
			READ_CHUNK_BYTES,
		)) as AsyncIterable<Buffer>;
	}
	return Buffer.from(binary.data, BINARY_ENCODING);
}
