/**
 * An extract file: a header line and rows, written by the project's one delimited writer
 * (nodes/shared/csv/writer.ts) so the node's reader meets exactly what it expects. Rows are
 * encoded a batch at a time when the job completes (`scan`, in slices so the event loop stays
 * free), hashed on the way, and kept once: in memory while small, past SPILL_BYTES in a file
 * of a temporary folder, as Marketo keeps its files on disk. Downloads read that one copy.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delimiterOf } from '../../../nodes/shared/csv/formats';
import { toDelimitedFile } from '../../../nodes/shared/csv/writer';
import type { RowSource } from './select';

/** Rows encoded at once. */
const BATCH_ROWS = 512;
/** Files larger than this go to disk (a 1 GB extract must not sit in the simulator's memory). */
const SPILL_BYTES = 16 * 1024 * 1024;
/** Pieces a download is read in. */
const READ_BYTES = 1024 * 1024;

/** Where a simulator's large files live; removed when the simulator closes. */
export class FileFolder {
	private path?: string;
	private count = 0;

	newFile(): string {
		this.path ??= mkdtempSync(join(tmpdir(), 'marketo-sim-extract-'));
		return join(this.path, `export-${this.count++}.bin`);
	}

	dispose(): void {
		if (this.path) rmSync(this.path, { recursive: true, force: true });
		this.path = undefined;
	}
}

export class ExportFile {
	private readonly header: Buffer;
	private readonly keys: string[];
	private readonly keyHeaderBytes: number;
	private scannedRows = 0;
	private scannedBytes = 0;
	private hash: Hash | undefined = createHash('sha256');
	private digest?: string;
	/** The bytes while they fit in memory, or the path of the file they went to. */
	private chunks: Buffer[] = [];
	private diskPath?: string;
	private fd?: number;

	constructor(
		headerCells: string[],
		private readonly rows: RowSource,
		format: 'CSV' | 'TSV' | 'SSV',
		private readonly folder: FileFolder,
		private readonly delimiter = delimiterOf(format.toLowerCase() as 'csv' | 'tsv' | 'ssv'),
	) {
		this.header = toDelimitedFile([], { delimiter, columns: headerCells }).body;
		// Rows are written under neutral keys (two columns may share a header name), and the
		// writer's own header line for those keys is cut off again.
		this.keys = headerCells.map((_, i) => `c${i}`);
		this.keyHeaderBytes = toDelimitedFile([], { delimiter, columns: this.keys }).body.length;
		this.keep(this.header);
	}

	get recordCount(): number {
		return this.rows.count;
	}

	private encodeBatch(batch: number): Buffer {
		const start = batch * BATCH_ROWS;
		const end = Math.min(this.rows.count, start + BATCH_ROWS);
		const records: Array<Record<string, string>> = [];
		for (let i = start; i < end; i++) {
			const cells = this.rows.row(i);
			const record: Record<string, string> = {};
			for (let c = 0; c < this.keys.length; c++) record[this.keys[c]] = cells[c] ?? '';
			records.push(record);
		}
		const body = toDelimitedFile(records, { delimiter: this.delimiter, columns: this.keys }).body;
		return body.subarray(this.keyHeaderBytes);
	}

	private keep(bytes: Buffer): void {
		this.hash?.update(bytes);
		this.scannedBytes += bytes.length;
		if (this.fd !== undefined) {
			writeSync(this.fd, bytes);
			return;
		}
		this.chunks.push(bytes);
		if (this.scannedBytes <= SPILL_BYTES) return;
		this.diskPath = this.folder.newFile();
		this.fd = openSync(this.diskPath, 'w');
		for (const chunk of this.chunks) writeSync(this.fd, chunk);
		this.chunks = [];
	}

	get scanned(): boolean {
		return this.digest !== undefined;
	}

	/**
	 * Goes on writing the file (and its size and checksum); stops early, returning false, once
	 * the wall clock passes `stopAt`, so a big file does not hold the event loop.
	 */
	scan(stopAt = Infinity): boolean {
		if (this.digest !== undefined) return true;
		const batches = Math.ceil(this.rows.count / BATCH_ROWS);
		for (let batch = this.scannedRows / BATCH_ROWS; batch < batches; batch++) {
			this.keep(this.encodeBatch(batch));
			this.scannedRows = Math.min(this.rows.count, (batch + 1) * BATCH_ROWS);
			if (Date.now() >= stopAt && batch + 1 < batches) return false;
		}
		this.digest = (this.hash as Hash).digest('hex');
		this.hash = undefined;
		if (this.fd !== undefined) closeSync(this.fd);
		this.fd = undefined;
		return true;
	}

	/** Scans in slices, yielding to the event loop in between. */
	async scanAsync(sliceMs = 50): Promise<void> {
		while (!this.scan(Date.now() + sliceMs)) await new Promise((resolve) => setImmediate(resolve));
	}

	get size(): number {
		this.scan();
		return this.scannedBytes;
	}

	get checksum(): string {
		this.scan();
		return `sha256:${this.digest}`;
	}

	/** The bytes from `first` to `last` (inclusive), in pieces. */
	*bytes(first = 0, last = this.size - 1): Generator<Buffer> {
		this.scan();
		if (last < first) return;
		if (!this.diskPath) {
			let offset = 0;
			for (const chunk of this.chunks) {
				const end = offset + chunk.length;
				if (end > first && offset <= last)
					yield chunk.subarray(
						Math.max(0, first - offset),
						Math.min(chunk.length, last + 1 - offset),
					);
				offset = end;
			}
			return;
		}
		const fd = openSync(this.diskPath, 'r');
		try {
			for (let at = first; at <= last; ) {
				const piece = Buffer.allocUnsafe(Math.min(READ_BYTES, last + 1 - at));
				const read = readSync(fd, piece, 0, piece.length, at);
				if (read === 0) return;
				yield piece.subarray(0, read);
				at += read;
			}
		} finally {
			closeSync(fd);
		}
	}

	/** The whole file in one buffer (tests). */
	toBuffer(): Buffer {
		return Buffer.concat([...this.bytes()]);
	}
}
