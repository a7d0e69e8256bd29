/**
 * Extract files into n8n's binary data, streamed: each Completed job's file is stored as it
 * arrives (checked against Marketo's checksum, downloaded once more on a mismatch), and a range
 * split into windows is joined into one file with the header once and the rows in window order.
 */
import { NodeOperationError, type IBinaryData, type IExecuteFunctions } from 'n8n-workflow';

import { storedBinaryBytes } from '../../../shared/binaryBytes';
import { RowBoundaryScanner } from '../../../shared/csv/rowBoundaries';
import type { ExtractTarget } from '../../../shared/extractTypes';
import { ExportFileError, openExportFile, streamClassOf } from '../../../shared/jobs/exportFile';
import type { ExportJob } from '../../../shared/jobs/exportJobs';
import { currentClock } from '../../../shared/pacing';
import type { ByteStream } from '../../../shared/transport';

/** What n8n's binary data store takes: a Buffer or a Node.js Readable. */
type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/** Downloads of one file, the first one included, before a checksum or size mismatch is final. */
const DOWNLOAD_TRIES = 2;

export interface StoredFile {
	binary: IBinaryData;
	bytes: number;
	sha256: string;
}

/** A Completed job's file into n8n's binary data. */
export async function storeJobFile(
	context: IExecuteFunctions,
	target: ExtractTarget,
	job: ExportJob,
	file: { fileName: string; mimeType: string; itemIndex: number },
): Promise<StoredFile> {
	let lastError: ExportFileError | null = null;
	for (let attempt = 1; attempt <= DOWNLOAD_TRIES; attempt++) {
		const read = await openExportFile(context, target, job, {
			itemIndex: file.itemIndex,
			nowMs: currentClock().now(),
			signal: context.getExecutionCancelSignal?.(),
		}).then(
			(opened) => ({ opened, error: null }),
			(error: unknown) => ({ opened: null, error }),
		);
		if (read.opened === null) throw fileError(context, read.error, job, file.itemIndex);
		const stored = await context.helpers
			.prepareBinaryData(
				read.opened.stream as unknown as BinarySource,
				file.fileName,
				file.mimeType,
			)
			.then(
				async (binary) => ({ binary, check: await read.opened.done, error: null }),
				(error: unknown) => ({ binary: null, check: null, error }),
			);
		if (stored.binary !== null && stored.check !== null) {
			return { binary: stored.binary, ...stored.check };
		}
		const failure = await read.opened.done.then(
			() => stored.error,
			(error: unknown) => error,
		);
		const retryable =
			failure instanceof ExportFileError &&
			(failure.reason === 'checksum' || failure.reason === 'size');
		if (!retryable) throw fileError(context, failure, job, file.itemIndex);
		lastError = failure;
	}
	throw new NodeOperationError(
		context.getNode(),
		`${lastError?.message ?? 'The file did not download intact'}, on each of ${DOWNLOAD_TRIES} downloads`,
		{
			itemIndex: file.itemIndex,
			description:
				'The file Marketo sent did not match the checksum it gave for it, twice, so it was not output. This usually means a proxy or the network changes the bytes on the way; run the extract again, and check what sits between n8n and Marketo.',
		},
	);
}

function fileError(
	context: IExecuteFunctions,
	error: unknown,
	job: ExportJob,
	itemIndex: number,
): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(context.getNode(), message, {
		itemIndex,
		description:
			error instanceof ExportFileError && error.reason === 'gone'
				? 'Marketo deletes extract files seven days after the job completed. Run the extract again to get a new file.'
				: `The download of export ${job.exportId} failed. Its job stays Completed in Marketo for seven days.`,
	});
}

/** The rows of a file after its header; the header itself is handed to `onHeader`. */
async function* afterHeader(
	source: AsyncIterable<Buffer> | Buffer,
	delimiter: string,
	onHeader: (header: Buffer) => void,
): AsyncGenerator<Buffer> {
	const scanner = new RowBoundaryScanner(delimiter);
	let headerEnd = -1;
	let head: Buffer[] = [];
	let offset = 0;
	const chunks = Buffer.isBuffer(source) ? [source] : source;
	for await (const chunk of chunks) {
		if (headerEnd !== -1) {
			yield chunk;
			continue;
		}
		head.push(chunk);
		scanner.scan(chunk, (_contentEnd, rowEnd) => {
			if (headerEnd === -1) headerEnd = rowEnd;
		});
		offset += chunk.length;
		if (headerEnd === -1) continue;
		const all = Buffer.concat(head);
		head = [];
		onHeader(all.subarray(0, headerEnd));
		if (headerEnd < offset) yield all.subarray(headerEnd);
	}
	// A file without a line break is all header; an empty file has none.
	const rest = Buffer.concat(head);
	if (headerEnd === -1 && rest.length > 0) onHeader(rest);
}

/**
 * Pure over its sources: the files one after the other, the first whole, the others without
 * their header, which must equal the first one's.
 */
export async function* joinedBytes(
	sources: Array<AsyncIterable<Buffer> | Buffer>,
	delimiter: string,
): AsyncGenerator<Buffer> {
	let header: Buffer | null = null;
	for (const source of sources) {
		let sourceHeader: Buffer | null = null;
		const rows = afterHeader(source, delimiter, (found) => (sourceHeader = found));
		for await (const chunk of rows) {
			if (header === null && sourceHeader !== null) {
				header = sourceHeader;
				yield header;
			}
			if (header !== null && sourceHeader !== null && !headerMatches(header, sourceHeader)) {
				throw new Error('The files of the windows have different columns; they cannot be joined');
			}
			yield chunk;
		}
		if (header === null && sourceHeader !== null) {
			header = sourceHeader;
			yield header;
		}
	}
}

/** Headers compare without their line break (a last window may end differently). */
function headerMatches(a: Buffer, b: Buffer): boolean {
	const trim = (header: Buffer) => header.toString('utf8').replace(/[\r\n]+$/, '');
	return trim(a) === trim(b);
}

/** The windows' files as one binary: header once, rows in window order. */
export async function storeJoinedFile(
	context: IExecuteFunctions,
	files: StoredFile[],
	file: { fileName: string; mimeType: string; delimiter: string; itemIndex: number },
): Promise<IBinaryData> {
	const sources = await Promise.all(
		files.map(async (stored) => await storedBinaryBytes(context, stored.binary)),
	);
	const template = sources.find((source): source is ByteStream => !Buffer.isBuffer(source));
	const joined = joinedBytes(sources, file.delimiter);
	if (template === undefined) {
		// In-memory binary data (n8n's default mode outside filesystem and database): join in memory.
		const chunks: Buffer[] = [];
		for await (const chunk of joined) chunks.push(chunk);
		return await context.helpers.prepareBinaryData(
			Buffer.concat(chunks),
			file.fileName,
			file.mimeType,
		);
	}
	return await context.helpers.prepareBinaryData(
		streamClassOf(template).from(joined) as unknown as BinarySource,
		file.fileName,
		file.mimeType,
	);
}
