/**
 * Reading the submitted files for the tie-back, each byte at most once per run.
 *
 * n8n's binary store hands out a file as a stream from its first byte: there is no
 * reading from the middle. A file of p parts whose batches all have failed rows
 * would be read p times up to each part's end (about p²/2 part-reads) if every
 * batch opened it on its own. Instead every batch of one file shares one reader
 * that only moves forward, and the batches take turns in file order: a batch's
 * tie-back waits until every earlier part of the same file has been tied back or
 * let go (it had no rows to tie back, ended Failed, or is still running when the
 * run ends). Marketo finishes the parts of a file in about the order they were
 * submitted, so the wait is short. Memory: the chunk under the reader, and the
 * first chunks until the header row has ended.
 */
import type { ByteSource, OpenSource } from '../../../shared/csv/encoding';
import { createRowReader } from '../../../shared/csv/parser';

interface HeldChunk {
	start: number;
	bytes: Uint8Array;
}

function asBytes(chunk: Uint8Array | string): Uint8Array {
	return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** One submitted file, read front to back by the batches of its parts in turn. */
export class SubmittedFileReader {
	private iterator: AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string> | undefined;
	/** chunks read but not yet passed, in order */
	private held: HeldChunk[] = [];
	/** offset just after the last chunk read */
	private readEnd = 0;
	private header: string[] | undefined;
	/** dataStart of the parts still to take their turn, and what wakes the waiting ones */
	private readonly pending = new Set<number>();
	private waiters: Array<() => void> = [];
	/** a turn is reading */
	private busy = false;
	/** times the file was opened (1 when every turn came in file order) */
	opened = 0;
	/** the run is over: a read still going finds the end of the file */
	private closed = false;

	constructor(
		private readonly open: OpenSource,
		private readonly delimiter: string,
	) {}

	/** A part whose batch may read: its turn comes after every registered part before it. */
	register(dataStart: number): void {
		this.pending.add(dataStart);
	}

	/** The part will not read (nothing to tie back, or the run ends without it). */
	release(dataStart: number): void {
		if (this.pending.delete(dataStart)) this.wakeAll();
	}

	private wakeAll(): void {
		const waiters = this.waiters;
		this.waiters = [];
		for (const wake of waiters) wake();
	}

	releaseAll(): void {
		for (const dataStart of [...this.pending]) this.release(dataStart);
	}

	/** Runs `work` when every earlier registered part has had its turn; then lets this one go. */
	async inTurn<T>(dataStart: number, work: () => Promise<T>): Promise<T> {
		// One turn at a time, whatever was registered: the reader has one position.
		while (this.busy || [...this.pending].some((start) => start < dataStart)) {
			await new Promise<void>((resolve) => this.waiters.push(resolve));
		}
		this.busy = true;
		try {
			return await work();
		} finally {
			this.busy = false;
			this.release(dataStart);
			this.wakeAll();
		}
	}

	private async reopen(): Promise<void> {
		if (this.closed) return;
		await this.iterator?.return?.();
		const source: ByteSource = await this.open();
		this.opened++;
		this.iterator =
			Symbol.asyncIterator in source
				? (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]()
				: (source as Iterable<Uint8Array | string>)[Symbol.iterator]();
		this.held = [];
		this.readEnd = 0;
	}

	/**
	 * Lets the file go (n8n's store keeps a file handle open while a stream is unread).
	 * Called when the run ends; a read still going then finds the end of the file.
	 */
	async close(): Promise<void> {
		this.closed = true;
		this.releaseAll();
		const iterator = this.iterator;
		this.iterator = undefined;
		this.held = [];
		this.readEnd = 0;
		await iterator?.return?.();
	}

	/** Reads the next chunk into `held`; false at the end of the file. */
	private async pull(): Promise<boolean> {
		if (this.closed) return false;
		if (this.iterator === undefined) await this.reopen();
		const next = await (this.iterator as AsyncIterator<Uint8Array | string>).next();
		if (next.done) return false;
		const bytes = asBytes(next.value);
		this.held.push({ start: this.readEnd, bytes });
		this.readEnd += bytes.length;
		return true;
	}

	/** The file's first row (its header), read once. */
	async headerRow(): Promise<string[]> {
		if (this.header !== undefined) return this.header;
		if (this.iterator === undefined || (this.held[0]?.start ?? this.readEnd) !== 0)
			await this.reopen();
		const reader = createRowReader(this.delimiter, { skipEmptyLines: true });
		let index = 0;
		for (;;) {
			if (index === this.held.length && !(await this.pull())) {
				this.header = reader.end()[0] ?? [];
				return this.header;
			}
			const rows = reader.write(this.held[index++].bytes);
			if (rows.length > 0) {
				this.header = rows[0];
				return this.header;
			}
		}
	}

	/** The bytes [start, end) of the file; reopens it only when asked for bytes already passed. */
	async *range(start: number, end: number): AsyncGenerator<Uint8Array> {
		const first = this.held[0];
		if (this.iterator === undefined || (first !== undefined ? first.start : this.readEnd) > start)
			await this.reopen();
		for (;;) {
			const chunk = this.held[0] ?? ((await this.pull()) ? this.held[0] : undefined);
			if (chunk === undefined) return;
			const chunkEnd = chunk.start + chunk.bytes.length;
			const from = Math.max(0, start - chunk.start);
			const to = Math.min(chunk.bytes.length, end - chunk.start);
			if (to > from) yield chunk.bytes.subarray(from, to);
			if (chunkEnd > end) return; // the rest of this chunk belongs to a later part
			this.held.shift();
			if (chunkEnd === end) return;
		}
	}
}

/** The readers of one run, one per stored file and encoding. */
export class SubmittedFiles {
	private readonly readers = new Map<string, SubmittedFileReader>();

	reader(key: string, open: OpenSource, delimiter: string): SubmittedFileReader {
		let reader = this.readers.get(key);
		if (reader === undefined) {
			reader = new SubmittedFileReader(open, delimiter);
			this.readers.set(key, reader);
		}
		return reader;
	}
}
