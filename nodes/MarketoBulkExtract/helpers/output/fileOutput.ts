/**
 * Extract files into n8n's binary data, streamed: each Completed job's file is stored as it
 * arrives (checked against Marketo's checksum, downloaded once more on a mismatch), and a range
 * split into windows is joined into one file with the header once and the rows in window order.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { storedBinaryBytes } from '../../../shared/binaryBytes';

import { RowBoundaryScanner } from '../../../shared/csv/rowBoundaries';
import type { ExtractTarget } from '../../../shared/extractTypes';
import { ExportFileError, openExportFile, streamClassOf } from '../../../shared/jobs/exportFile';
import type { ExportJob } from '../../../shared/jobs/exportJobs';
import { currentClock } from '../../../shared/pacing';
import type { ByteStream } from '../../../shared/transport';
import { RowTooLargeError, storeCutFile, type CutPart } from './fileCut';

/** Downloads of one file, the first one included, before a checksum or size mismatch is final. */
const DOWNLOAD_TRIES = 2;

export interface StoredFile {
	/** the file in n8n's binary data: whole, or in parts under the size limit (storeLimit.ts) */
	parts: CutPart[];
	/** as downloaded and checked against Marketo's checksum, the whole file */
	bytes: number;
	sha256: string;
}

export interface OutputFile {
	fileName: string;
	mimeType: string;
	delimiter: string;
	itemIndex: number;
	/** the largest file n8n's binary data store takes (Infinity: no limit) */
	maxBytes: number;
}

/** A Completed job's file into n8n's binary data. */
export async function storeJobFile(
	context: IExecuteFunctions,
	target: ExtractTarget,
	job: ExportJob,
	file: OutputFile,
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
		const stored = await storeCutFile(context, read.opened.stream, {
			...file,
			streamClass: streamClassOf(read.opened.stream),
		}).then(
			async (parts) => ({ parts, check: await read.opened.done, error: null }),
			(error: unknown) => ({ parts: null, check: null, error }),
		);
		if (stored.parts !== null && stored.check !== null) {
			return { parts: stored.parts, ...stored.check };
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
	if (error instanceof RowTooLargeError) {
		return new NodeOperationError(
			context.getNode(),
			`A record of export ${job.exportId} (${error.rowBytes} bytes) is larger than the largest file n8n's binary data store takes here`,
			{
				itemIndex,
				description:
					'Raise "Max File Size (MB)" in the options (and N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE, up to 1024, when n8n keeps binary data in its database), or extract fewer fields.',
			},
		);
	}
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

/**
 * The windows' files as one binary: header once, rows in window order; in parts, each with the
 * header, when the whole would pass the store's limit. Each stored file is opened only when the
 * join reaches it (n8n's database store loads a whole file on opening it).
 */
export async function storeJoinedFile(
	context: IExecuteFunctions,
	files: StoredFile[],
	file: OutputFile,
): Promise<CutPart[]> {
	const binaries = files.flatMap((stored) => stored.parts.map((part) => part.binary));
	if (binaries.length === 0) return [];
	const first = await storedBinaryBytes(context, binaries[0]);
	async function* later(index: number): AsyncGenerator<Buffer> {
		const bytes = await storedBinaryBytes(context, binaries[index]);
		yield* Buffer.isBuffer(bytes) ? [bytes] : bytes;
	}
	const sources = [first, ...binaries.slice(1).map((_, index) => later(index + 1))];
	// In-memory binary data (n8n 1.x's default mode) comes as Buffers: the parts are joined in memory.
	const streamClass = Buffer.isBuffer(first) ? null : streamClassOf(first as ByteStream);
	return await storeCutFile(context, joinedBytes(sources, file.delimiter), {
		...file,
		streamClass,
	});
}

/** One output item per stored part; a file cut in parts says which part each item holds. */
export function partItems(
	parts: CutPart[],
	json: IDataObject,
	binaryProperty: string,
	itemIndex: number,
): INodeExecutionData[] {
	return parts.map((part, index) => ({
		json:
			parts.length === 1
				? json
				: {
						...json,
						records: part.records,
						bytes: part.bytes,
						fileName: part.binary.fileName ?? null,
						part: index + 1,
						partCount: parts.length,
					},
		binary: { [binaryProperty]: part.binary },
		pairedItem: { item: itemIndex },
	}));
}
