/**
 * An extract file: a header line and rows, written by the project's one delimited writer
 * (nodes/shared/csv/writer.ts) so the node's reader meets exactly what it expects. The bytes
 * are produced on demand, a batch of rows at a time, never held whole: one pass computes the
 * size, the SHA-256 and where each batch starts, so a Range request starts near its first byte.
 */
import { createHash, type Hash } from 'node:crypto';
import { delimiterOf } from '../../../nodes/shared/csv/formats';
import { toDelimitedFile } from '../../../nodes/shared/csv/writer';
import type { RowSource } from './select';

/** Rows encoded at once; the byte offset of each batch is kept for Range requests. */
const BATCH_ROWS = 512;

export class ExportFile {
	private readonly header: Buffer;
	private readonly keys: string[];
	private readonly keyHeaderBytes: number;
	/** Byte offset where batch k starts (filled by the scan). */
	private readonly batchStarts: number[] = [];
	private scannedRows = 0;
	private scannedBytes: number;
	private hash: Hash | undefined = createHash('sha256');
	private digest?: string;

	constructor(
		headerCells: string[],
		private readonly rows: RowSource,
		format: 'CSV' | 'TSV' | 'SSV',
		private readonly delimiter = delimiterOf(format.toLowerCase() as 'csv' | 'tsv' | 'ssv'),
	) {
		this.header = toDelimitedFile([], { delimiter, columns: headerCells }).body;
		// Rows are written under neutral keys (two columns may share a header name), and the
		// writer's own header line for those keys is cut off again.
		this.keys = headerCells.map((_, i) => `c${i}`);
		this.keyHeaderBytes = toDelimitedFile([], { delimiter, columns: this.keys }).body.length;
		this.scannedBytes = this.header.length;
		this.hash?.update(this.header);
	}

	get recordCount(): number {
		return this.rows.count;
	}

	private batchCount(): number {
		return Math.ceil(this.rows.count / BATCH_ROWS);
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

	get scanned(): boolean {
		return this.digest !== undefined;
	}

	/**
	 * Goes on with the scan (size, checksum, batch offsets); stops early, returning false, once
	 * the wall clock passes `stopAt`, so a big file does not hold the event loop.
	 */
	scan(stopAt = Infinity): boolean {
		if (this.digest !== undefined) return true;
		const hash = this.hash as Hash;
		for (let batch = this.scannedRows / BATCH_ROWS; batch < this.batchCount(); batch++) {
			this.batchStarts[batch] = this.scannedBytes;
			const bytes = this.encodeBatch(batch);
			hash.update(bytes);
			this.scannedBytes += bytes.length;
			this.scannedRows = Math.min(this.rows.count, (batch + 1) * BATCH_ROWS);
			if (Date.now() >= stopAt && batch + 1 < this.batchCount()) return false;
		}
		this.digest = hash.digest('hex');
		this.hash = undefined;
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

	/** The bytes from `first` to `last` (inclusive), in pieces of about one batch. */
	*bytes(first = 0, last = this.size - 1): Generator<Buffer> {
		if (last < first) return;
		if (first < this.header.length)
			yield this.header.subarray(first, Math.min(last + 1, this.header.length));
		let batch = 0;
		while (batch + 1 < this.batchStarts.length && this.batchStarts[batch + 1] <= first) batch++;
		for (; batch < this.batchCount(); batch++) {
			const start = this.batchStarts[batch];
			if (start > last) return;
			const bytes = this.encodeBatch(batch);
			const end = start + bytes.length;
			if (end <= first) continue;
			yield bytes.subarray(Math.max(0, first - start), Math.min(bytes.length, last + 1 - start));
		}
	}

	/** The whole file in one buffer (tests). */
	toBuffer(): Buffer {
		return Buffer.concat([...this.bytes()]);
	}
}
