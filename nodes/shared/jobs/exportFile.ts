/**
 * A Completed job's file, read as a stream from Marketo into n8n's binary data: bounded memory
 * whatever its size, resumed with `Range` from the last byte received when the connection drops,
 * and checked against the job's `fileChecksum` (SHA-256) and `fileSize` at the end.
 */
import { createHash } from 'node:crypto';

import type { ExtractTarget } from '../extractTypes';
import { exportJobPath } from '../extractTypes';
import { marketoOpenFile, type ByteStream, type MarketoContext } from '../transport';
import type { ExportJob } from './exportJobs';

/** Marketo keeps a file this long after its job completed (one page of its docs says 10 days; 7 is safe). */
export const FILE_RETENTION_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Resumes in a row that bring no new byte before the download is given up. */
const MAX_RESUMES_WITHOUT_PROGRESS = 3;

export class ExportFileError extends Error {
	constructor(
		message: string,
		readonly reason: 'checksum' | 'size' | 'gone' | 'notFound' | 'dropped',
	) {
		super(message);
		this.name = 'ExportFileError';
	}
}

/** What a stream of the file is built with: the class of a stream n8n's HTTP client gave us. */
interface StreamClass {
	from(source: AsyncIterable<Buffer>): ByteStream;
}

/**
 * n8n hands the file to its binary data store as a Node.js Readable, and the n8n Cloud rules
 * do not let a node import `node:stream`. Every Readable class inherits Readable's static `from`,
 * so the class of the response stream the transport returned makes ours.
 */
export function streamClassOf(stream: ByteStream): StreamClass {
	const candidate = (stream as unknown as { constructor?: Partial<StreamClass> }).constructor;
	if (typeof candidate?.from !== 'function') {
		throw new Error('The HTTP response is not a Node.js stream; cannot stream the file');
	}
	return candidate as StreamClass;
}

/** Pure: the checksum Marketo gives (`sha256:<hex>`), as lower-case hex, or null. */
export function expectedSha256(job: ExportJob): string | null {
	const match = /^sha256:([0-9a-f]{64})$/i.exec(job.fileChecksum ?? '');
	return match ? match[1].toLowerCase() : null;
}

/** Pure: is the file past Marketo's retention at `nowMs`? */
export function isPastRetention(job: ExportJob, nowMs: number): boolean {
	const finished = job.finishedAt ? Date.parse(job.finishedAt) : NaN;
	return Number.isFinite(finished) && nowMs - finished > FILE_RETENTION_DAYS * DAY_MS;
}

export interface ExportFileRead {
	/** the file as a Node.js Readable, for prepareBinaryData */
	stream: ByteStream;
	/** settles once the stream ended: the bytes read and their SHA-256, already checked */
	done: Promise<{ bytes: number; sha256: string }>;
}

function isCancelled(signal: AbortSignal | undefined): boolean {
	return signal?.aborted === true;
}

/**
 * Opens a Completed job's file. The returned stream fails (and `done` rejects) with an
 * ExportFileError when the file is gone, comes out of a different size, or its checksum does not
 * match: the caller downloads it again or reports it.
 */
export async function openExportFile(
	context: MarketoContext,
	target: ExtractTarget,
	job: ExportJob,
	options: { itemIndex?: number; nowMs: number; signal?: AbortSignal },
): Promise<ExportFileRead> {
	const path = exportJobPath(target, job.exportId, 'file');
	const open = async (start: number): Promise<ByteStream> => {
		const answer = await marketoOpenFile.call(context, {
			path,
			start,
			itemIndex: options.itemIndex,
		});
		if ('notFound' in answer) {
			if (isPastRetention(job, options.nowMs)) {
				throw new ExportFileError(
					`Marketo no longer has the file of export ${job.exportId}: it keeps files ${FILE_RETENTION_DAYS} days after the job completed (${job.finishedAt}). Run the extract again.`,
					'gone',
				);
			}
			throw new ExportFileError(
				`Marketo has no file for export ${job.exportId}: ${answer.notFound}`,
				'notFound',
			);
		}
		if (start > 0 && answer.start !== start) {
			// Marketo sent the whole file again instead of the rest: skip what we have.
			return skipBytes(answer.stream, start);
		}
		return answer.stream;
	};

	const first = await open(0);
	const expectedSize = job.fileSize ?? null;
	const expectedHash = expectedSha256(job);
	let settle!: {
		resolve: (value: { bytes: number; sha256: string }) => void;
		reject: (e: unknown) => void;
	};
	const done = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
		settle = { resolve, reject };
	});
	// The stream's consumer reports errors; `done` must not also surface as an unhandled rejection.
	done.catch(() => undefined);

	const hash = createHash('sha256');
	let received = 0;
	/** Reads one response to its end; a dropped connection is returned, not thrown, to resume from. */
	async function* readAll(stream: ByteStream): AsyncGenerator<Buffer, unknown> {
		try {
			for await (const chunk of stream) {
				hash.update(chunk);
				received += chunk.length;
				yield chunk;
			}
			return null;
		} catch (error) {
			return error;
		}
	}

	async function* bytes(): AsyncGenerator<Buffer> {
		let current: ByteStream | null = first;
		let resumesWithoutProgress = 0;
		let failure: unknown = null;
		try {
			for (;;) {
				const before = received;
				const dropped = yield* readAll(current);
				if (dropped !== null && isCancelled(options.signal)) throw dropped;
				current.destroy();
				const complete = expectedSize === null ? dropped === null : received >= expectedSize;
				if (complete) break;
				resumesWithoutProgress = received > before ? 0 : resumesWithoutProgress + 1;
				if (resumesWithoutProgress > MAX_RESUMES_WITHOUT_PROGRESS) {
					throw new ExportFileError(
						`The download of export ${job.exportId} kept breaking off at byte ${received} of ${expectedSize}`,
						'dropped',
					);
				}
				current = await open(received);
			}
			const sha256 = hash.digest('hex');
			if (expectedSize !== null && received !== expectedSize) {
				throw new ExportFileError(
					`The file of export ${job.exportId} came out at ${received} bytes; Marketo said ${expectedSize}`,
					'size',
				);
			}
			if (expectedHash !== null && sha256 !== expectedHash) {
				throw new ExportFileError(
					`The file of export ${job.exportId} does not match Marketo's checksum (sha256:${expectedHash}, downloaded sha256:${sha256})`,
					'checksum',
				);
			}
			settle.resolve({ bytes: received, sha256 });
		} catch (error) {
			failure = error;
		} finally {
			current?.destroy();
		}
		if (failure !== null) {
			settle.reject(failure);
			throw failure;
		}
	}

	return { stream: streamClassOf(first).from(bytes()), done };
}

/** The stream without its first `count` bytes. */
function skipBytes(stream: ByteStream, count: number): ByteStream {
	async function* rest(): AsyncGenerator<Buffer> {
		let toSkip = count;
		for await (const chunk of stream) {
			if (toSkip >= chunk.length) {
				toSkip -= chunk.length;
				continue;
			}
			yield toSkip > 0 ? chunk.subarray(toSkip) : chunk;
			toSkip = 0;
		}
	}
	return streamClassOf(stream).from(rest());
}
