/**
 * An extract file cut into files n8n's binary data store accepts: in queue mode n8n keeps binary
 * data in its database, which refuses a file over N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE (512 MiB
 * by default) only once the whole file has arrived. The file is cut between rows (the project's
 * one reading of row boundaries, csv/rowBoundaries.ts), each part starts with the header, the rows
 * stay in order, and every byte of the file is in exactly one part (the header in every part).
 * Streamed: what is held is the row being read, never a part.
 */
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import { RowBoundaryScanner } from '../../../shared/csv/rowBoundaries';

/** What n8n's binary data store takes: a Buffer or a Node.js Readable. */
type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/** Between two parts of the output. */
export const PART_BREAK = Symbol('part break');
export type CutEvent = Buffer | typeof PART_BREAK;

export class RowTooLargeError extends Error {
	constructor(readonly rowBytes: number) {
		super(`A record of ${rowBytes} bytes does not fit in a file under the size limit`);
		this.name = 'RowTooLargeError';
	}
}

/**
 * Pure over its source: the file's bytes, with a PART_BREAK and the header again wherever the
 * next row would take the part past `maxBytes`. A part holds at least one row; a row that cannot
 * fit with the header throws RowTooLargeError. `onRow` is told each row that holds something.
 */
export async function* cutAtRows(
	source: AsyncIterable<Buffer> | Buffer[],
	delimiter: string,
	maxBytes: number,
	onRow: () => void = () => undefined,
): AsyncGenerator<CutEvent> {
	const scanner = new RowBoundaryScanner(delimiter);
	let header: Buffer | null = null;
	/** The row being read, from chunks before the current one. */
	let carry: Buffer[] = [];
	let carryBytes = 0;
	let partBytes = 0;
	let partRows = 0;
	let offset = 0;

	/** The rows that end in `chunk` (relative ends), chunk bytes after the last one carried. */
	function* rowsOf(chunk: Buffer, ends: Array<[number, number]>): Generator<CutEvent> {
		let pos = 0;
		let runStart = 0;
		for (const [contentEnd, rowEnd] of ends) {
			const rowBytes = carryBytes + (rowEnd - pos);
			const hasContent = carryBytes + (contentEnd - pos) > 0;
			if (header === null) {
				header = Buffer.concat([...carry, chunk.subarray(pos, rowEnd)]);
				carry = [];
				carryBytes = 0;
				yield header;
				partBytes = header.length;
				pos = rowEnd;
				runStart = rowEnd;
				continue;
			}
			if (partRows > 0 && partBytes + rowBytes > maxBytes) {
				if (pos > runStart) yield chunk.subarray(runStart, pos);
				yield PART_BREAK;
				yield header;
				partBytes = header.length;
				partRows = 0;
				runStart = pos;
			}
			if (header.length + rowBytes > maxBytes) throw new RowTooLargeError(rowBytes);
			if (carryBytes > 0) {
				yield* carry;
				carry = [];
				carryBytes = 0;
			}
			partBytes += rowBytes;
			partRows++;
			if (hasContent) onRow();
			pos = rowEnd;
		}
		if (pos > runStart) yield chunk.subarray(runStart, pos);
		if (pos < chunk.length) {
			carry.push(chunk.subarray(pos));
			carryBytes += chunk.length - pos;
		}
	}

	for await (const chunk of source) {
		if (chunk.length === 0) continue;
		const ends: Array<[number, number]> = [];
		scanner.scan(chunk, (contentEnd, rowEnd) => ends.push([contentEnd - offset, rowEnd - offset]));
		offset += chunk.length;
		yield* rowsOf(chunk, ends);
	}
	const ends: Array<[number, number]> = [];
	scanner.finish((contentEnd, rowEnd) => ends.push([contentEnd - offset, rowEnd - offset]));
	// A quoted section never closed: its bytes are still the file's, as one last row.
	if (carryBytes > 0 && ends.length === 0) ends.push([0, 0]);
	yield* rowsOf(Buffer.alloc(0), ends);
}

/** What a Readable is made with: `from`, which every Readable class has (see exportFile.ts). */
interface StreamClass {
	from(source: AsyncIterable<Buffer> | Buffer[]): unknown;
}

export interface CutPart {
	binary: IBinaryData;
	/** null when the file went in whole, unread (no limit to keep) */
	bytes: number | null;
	records: number | null;
}

/**
 * A file into n8n's binary data as parts of at most `maxBytes` each (one part, as it comes, when
 * `maxBytes` is Infinity). The parts are stored one after the other, each read to its end by n8n
 * before the next begins; a failure of the source (a checksum found wrong at the end) fails the
 * part being stored. `streamClass` null: the parts are gathered into Buffers (in-memory sources).
 */
export async function storeCutFile(
	context: IExecuteFunctions,
	source: AsyncIterable<Buffer> | Buffer[],
	options: {
		fileName: string;
		mimeType: string;
		delimiter: string;
		maxBytes: number;
		streamClass: StreamClass | null;
	},
): Promise<CutPart[]> {
	const { fileName, mimeType, streamClass } = options;
	const store = async (bytes: AsyncIterable<Buffer> | Buffer[]): Promise<IBinaryData> => {
		if (streamClass !== null) {
			return await context.helpers.prepareBinaryData(
				streamClass.from(bytes) as BinarySource,
				fileName,
				mimeType,
			);
		}
		const chunks: Buffer[] = [];
		for await (const chunk of bytes) chunks.push(chunk);
		return await context.helpers.prepareBinaryData(Buffer.concat(chunks), fileName, mimeType);
	};

	// Nothing to keep under: the file goes in as it comes, its bytes not looked at.
	if (options.maxBytes === Infinity)
		return [{ binary: await store(source), bytes: null, records: null }];

	let records = 0;
	const events = cutAtRows(source, options.delimiter, options.maxBytes, () => records++)[
		Symbol.asyncIterator
	]();
	const parts: CutPart[] = [];
	let ended = false;
	try {
		while (!ended) {
			let bytes = 0;
			records = 0;
			const part = async function* (): AsyncGenerator<Buffer> {
				for (;;) {
					const next = await events.next();
					if (next.done === true) {
						ended = true;
						return;
					}
					if (next.value === PART_BREAK) return;
					bytes += next.value.length;
					yield next.value;
				}
			};
			const binary = await store(part());
			parts.push({ binary, bytes, records });
		}
	} finally {
		// A store that failed leaves the source open: close it (the download's connection with it).
		if (!ended) await events.return(undefined);
	}
	if (parts.length > 1) {
		const dot = fileName.lastIndexOf('.');
		const [stem, extension] =
			dot > 0 ? [fileName.slice(0, dot), fileName.slice(dot)] : [fileName, ''];
		parts.forEach((part, index) => {
			part.binary.fileName = `${stem}-part-${String(index + 1).padStart(2, '0')}${extension}`;
		});
	}
	return parts;
}
