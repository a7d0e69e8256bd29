/**
 * The splitter's hot loop: finds where rows end in a chunk of a delimited file,
 * counting them without collecting them.
 *
 * A row ends at LF outside double quotes. An empty line (LF, or CR LF, right after
 * the previous row end) ends a row too but is not a data row. The scan stops just
 * after the first row that ends beyond a limit, so the splitter can cut a part there.
 *
 * Two implementations give the same answers:
 * - `WasmRowScanner` (rowScanner.wat, WebAssembly SIMD): looks at 64 bytes per step
 *   without branching on the data, quote state through a prefix-XOR of the quote bit mask. About twice as fast as
 *   the JS scanner on typical lead files, which is what keeps splitting from making a
 *   large upload CPU-bound.
 * - `JsRowScanner`: the reference and the fallback when WebAssembly or its SIMD
 *   instructions are not available. One native `Buffer#indexOf` per LF and per quote.
 * The tests compare both on random bytes, chunkings and limits.
 */

import { ROW_SCANNER_WASM_BASE64 } from './rowScanner.wasm';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * What the scan carries from one call to the next, and what a call found.
 * Offsets are stream offsets (the splitter's BOM-less stream).
 */
export interface RowScan {
	inQuotes: boolean;
	/** where the row being read starts (it may have begun in an earlier chunk) */
	rowStart: number;
	/** the last byte of the previous chunk (-1 before the first): a CR there and an LF first in this chunk is an empty CRLF line */
	lastByte: number;
	/** out: data rows (empty lines not counted) that ended at or before the limit */
	dataRows: number;
	/** out: where the first row ending after the limit ends, -1 when the scan reached the chunk's end; that row starts at `rowStart` */
	overflowEnd: number;
	/** out: whether that row is an empty line */
	overflowIsEmptyLine: boolean;
}

export function newRowScan(): RowScan {
	return { inQuotes: false, rowStart: 0, lastByte: -1, dataRows: 0, overflowEnd: -1, overflowIsEmptyLine: false };
}

export interface RowScanner {
	readonly kind: 'wasm' | 'js';
	/** Makes `chunk` the bytes the next `scan` calls read (call it once per chunk, before scanning it). */
	load(chunk: Buffer): void;
	/**
	 * Reads the loaded chunk (which starts at stream offset `chunkStart`) from index
	 * `from` and counts the rows that end at or before `limit` (a stream offset); stops
	 * just after the first row that ends beyond it (reported in `scan.overflowEnd`, not
	 * counted) or at the chunk's end. Updates `scan`; returns the chunk index where it stopped.
	 */
	scan(chunkStart: number, from: number, limit: number, scan: RowScan): number;
}

/** The reference scanner, and the fallback: each step is one native `Buffer#indexOf`. */
export class JsRowScanner implements RowScanner {
	readonly kind = 'js';
	private chunk: Buffer = Buffer.alloc(0);

	load(chunk: Buffer): void {
		this.chunk = chunk;
	}

	/**
	 * The next LF and the next quote are searched once and remembered, so a run of
	 * unquoted rows costs one search per row and bytes between them are never looked
	 * at in JavaScript.
	 */
	scan(chunkStart: number, from: number, limit: number, scan: RowScan): number {
		const chunk = this.chunk;
		const length = chunk.length;
		const limitInChunk = limit - chunkStart;
		let inQuotes = scan.inQuotes;
		// Where the current row starts, relative to this chunk (negative when it began earlier).
		let rowStart = scan.rowStart - chunkStart;
		let dataRows = 0;
		let nextLf = -1;
		let nextQuote = -1;
		let pos = from;
		scan.overflowEnd = -1;
		while (pos < length) {
			if (inQuotes) {
				const closing = chunk.indexOf(QUOTE, pos);
				if (closing === -1) {
					pos = length;
					break;
				}
				inQuotes = false;
				pos = closing + 1;
				continue;
			}
			// `length` stands for "none left in this chunk", so it is never searched again.
			if (nextQuote < pos) {
				nextQuote = chunk.indexOf(QUOTE, pos);
				if (nextQuote === -1) nextQuote = length;
			}
			if (nextLf < pos) {
				nextLf = chunk.indexOf(LF, pos);
				if (nextLf === -1) nextLf = length;
			}
			if (nextLf < nextQuote) {
				const end = nextLf + 1;
				const rowBytes = end - rowStart;
				const isEmptyLine =
					rowBytes === 1 || (rowBytes === 2 && (nextLf > 0 ? chunk[nextLf - 1] : scan.lastByte) === CR);
				pos = end;
				if (end > limitInChunk) {
					scan.overflowEnd = chunkStart + end;
					scan.overflowIsEmptyLine = isEmptyLine;
					break;
				}
				if (!isEmptyLine) dataRows++;
				rowStart = end;
			} else if (nextQuote < length) {
				inQuotes = true;
				pos = nextQuote + 1;
			} else {
				pos = length;
			}
		}
		scan.inQuotes = inQuotes;
		scan.rowStart = chunkStart + rowStart;
		scan.dataRows = dataRows;
		if (pos >= length && length > 0 && scan.overflowEnd === -1) scan.lastByte = chunk[length - 1];
		return pos;
	}
}

// The few WebAssembly JS API members used here (the project's TypeScript libs do not declare them).
interface WasmMemory {
	readonly buffer: ArrayBuffer;
	grow(pages: number): number;
}
interface WasmExports {
	memory: WasmMemory;
	scan(from: number, length: number, limit: number, flags: number): number;
}
declare const WebAssembly:
	| {
			validate(bytes: Uint8Array): boolean;
			Module: new (bytes: Uint8Array) => object;
			Instance: new (module: object, imports: object) => { exports: WasmExports };
	  }
	| undefined;

/** Memory layout of rowScanner.wat: results at 0, the window from DATA_OFFSET on, then BLOCK_SLACK zero bytes. */
const RESULTS_OFFSET = 0;
const DATA_OFFSET = 64;
const BLOCK_SLACK = 64;
const PAGE_BYTES = 65_536;
/**
 * A chunk is copied into wasm memory in windows of at most this many bytes, so a
 * source handing out huge chunks does not make the scanner hold a second copy of
 * them. 64 KiB is what a file stream hands out by default.
 */
export const WASM_WINDOW_BYTES = 64 * 1024;

// Scan flags in (see rowScanner.wat).
const IN_QUOTES = 1;
const ROW_ENDED_1_BEFORE = 2;
const ROW_ENDED_2_BEFORE = 4;
const CR_BEFORE = 8;
// Flags out.
const OVERFLOW_IS_EMPTY_LINE = 2;

let compiled: object | null | undefined;

/** The compiled module, compiled on first use; null when this runtime cannot run it. */
function rowScannerModule(): object | null {
	if (compiled !== undefined) return compiled;
	compiled = null;
	if (typeof WebAssembly !== 'object' || WebAssembly === undefined) return compiled;
	try {
		const bytes = new Uint8Array(Buffer.from(ROW_SCANNER_WASM_BASE64, 'base64'));
		// validate() is false when the engine lacks SIMD: fall back instead of throwing.
		if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
	} catch {
		compiled = null;
	}
	return compiled;
}

/** The SIMD scanner. One instance per split: its memory holds the chunk being scanned. */
export class WasmRowScanner implements RowScanner {
	readonly kind = 'wasm';
	private readonly exports: WasmExports;
	private memoryBytes: Uint8Array;
	private results: Int32Array;
	private chunk: Buffer = Buffer.alloc(0);
	/** chunk index where the window in wasm memory starts; -1 when none is loaded */
	private windowStart = -1;
	private windowEnd = -1;

	/** Throws when WebAssembly SIMD is not available; see `createRowScanner`. */
	constructor() {
		const module = rowScannerModule();
		if (module === null || WebAssembly === undefined) throw new Error('WebAssembly SIMD is not available');
		this.exports = new WebAssembly.Instance(module, {}).exports;
		this.memoryBytes = new Uint8Array(this.exports.memory.buffer);
		this.results = new Int32Array(this.exports.memory.buffer, RESULTS_OFFSET, 4);
	}

	load(chunk: Buffer): void {
		this.chunk = chunk;
		this.windowStart = -1;
		this.windowEnd = -1;
	}

	scan(chunkStart: number, from: number, limit: number, scan: RowScan): number {
		const chunk = this.chunk;
		const length = chunk.length;
		// Limit and row start relative to the chunk; the limit clamped so it fits an i32.
		const limitInChunk = Math.max(-1, Math.min(length, limit - chunkStart));
		let rowStart = scan.rowStart - chunkStart;
		let inQuotes = scan.inQuotes;
		let dataRows = 0;
		let pos = from;
		scan.overflowEnd = -1;
		while (pos < length) {
			if (pos < this.windowStart || pos >= this.windowEnd) this.loadWindow(pos);
			const windowStart = this.windowStart;
			const previousByte = pos > 0 ? chunk[pos - 1] : scan.lastByte;
			const flags =
				(inQuotes ? IN_QUOTES : 0) |
				(rowStart === pos ? ROW_ENDED_1_BEFORE : 0) |
				(rowStart === pos - 1 ? ROW_ENDED_2_BEFORE : 0) |
				(previousByte === CR ? CR_BEFORE : 0);
			const stop = this.exports.scan(
				pos - windowStart,
				this.windowEnd - windowStart,
				Math.max(0, limitInChunk - windowStart),
				flags,
			);
			const results = this.results;
			dataRows += results[0];
			if (results[1] !== -1) rowStart = windowStart + results[1];
			pos = windowStart + stop;
			if (results[2] !== -1) {
				scan.overflowEnd = chunkStart + windowStart + results[2];
				scan.overflowIsEmptyLine = (results[3] & OVERFLOW_IS_EMPTY_LINE) !== 0;
				inQuotes = false; // the overflow row ended at an LF outside quotes
				break;
			}
			inQuotes = (results[3] & IN_QUOTES) !== 0;
		}
		scan.inQuotes = inQuotes;
		scan.rowStart = chunkStart + rowStart;
		scan.dataRows = dataRows;
		if (pos >= length && length > 0 && scan.overflowEnd === -1) scan.lastByte = chunk[length - 1];
		return pos;
	}

	/** Copies the window of the chunk that starts at `start` into wasm memory. */
	private loadWindow(start: number): void {
		const end = Math.min(this.chunk.length, start + WASM_WINDOW_BYTES);
		const needed = DATA_OFFSET + (end - start) + BLOCK_SLACK;
		if (needed > this.memoryBytes.length) {
			this.exports.memory.grow(Math.ceil((needed - this.memoryBytes.length) / PAGE_BYTES));
			// Growing detaches the old views.
			this.memoryBytes = new Uint8Array(this.exports.memory.buffer);
			this.results = new Int32Array(this.exports.memory.buffer, RESULTS_OFFSET, 4);
		}
		this.memoryBytes.set(this.chunk.subarray(start, end), DATA_OFFSET);
		// The scan reads whole 64-byte blocks: what follows the window must match nothing.
		this.memoryBytes.fill(0, DATA_OFFSET + end - start, DATA_OFFSET + end - start + BLOCK_SLACK);
		this.windowStart = start;
		this.windowEnd = end;
	}
}

export type RowScannerChoice = 'auto' | 'wasm' | 'js';

let choice: RowScannerChoice = 'auto';

/**
 * Test knob (module-level, process-wide): which scanner `createRowScanner` makes.
 * 'auto' (the default) is wasm when available, else JS; 'wasm' fails when it is not
 * available. Returns the previous choice so a test can put it back.
 */
export function useRowScanner(next: RowScannerChoice): RowScannerChoice {
	const previous = choice;
	choice = next;
	return previous;
}

export function wasmRowScannerAvailable(): boolean {
	return rowScannerModule() !== null;
}

/** A fresh scanner for one split. */
export function createRowScanner(): RowScanner {
	if (choice === 'js' || (choice === 'auto' && !wasmRowScannerAvailable())) return new JsRowScanner();
	return new WasmRowScanner();
}
