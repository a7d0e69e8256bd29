/**
 * Where the rows of a delimited file end: the splitter's hot loop.
 *
 * The reading of a delimited file that the splitter, the parser (parser.ts), the
 * tie-back and the simulator all follow (docs/DECISIONS.md, "How a delimited file
 * is read"):
 * - a value is quoted only when its first byte is `"` (the first byte of a row, or
 *   the byte after a delimiter). A quoted section runs to the next `"` that is not
 *   doubled; `""` inside it is one quote; delimiters, CR and LF inside it are data.
 *   Whatever follows the closing quote up to the next delimiter or line break is
 *   kept as written;
 * - a `"` anywhere else is an ordinary character (`Baker 5" 10`, `O"Neil`);
 * - outside quoted sections a row ends at CR LF, at LF, or at a CR alone;
 * - an empty line (nothing between two line breaks) is not a row; a line holding
 *   anything, even only spaces or `""`, is;
 * - the last row may end without a line break.
 *
 * Rows are found with native `Buffer#indexOf` calls: one per line break and one per
 * quote, so the bytes in between are never looked at in JavaScript. The scanner
 * works on the file as read (encoding.ts), chunk by chunk, in stream offsets.
 */

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Called for every row end: the row's content ends at `contentEnd`, its line break at `rowEnd`. */
export type RowEndHandler = (contentEnd: number, rowEnd: number) => void;

export class RowBoundaryScanner {
	private readonly delimiter: number;
	private inQuotes = false;
	/** A `"` ended the previous chunk inside a quoted section: the next byte tells if it was doubled. */
	private quoteAtChunkEnd = false;
	/** A CR ended the previous chunk outside quotes: the next byte tells if it was CR LF. Its content end: */
	private crContentEnd = -1;
	/** Where the row being read starts. */
	private rowStart = 0;
	/** The byte before the next chunk, -1 at the start. */
	private lastByte = -1;
	private streamLength = 0;
	/** Where the last quoted section opened, and the start of its row (for "never closed" errors). */
	quoteOpenedAt = -1;
	quoteOpenedRowStart = -1;

	constructor(delimiter: string) {
		if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
			throw new Error(`Unsupported delimiter ${JSON.stringify(delimiter)}`);
		}
		this.delimiter = delimiter.charCodeAt(0);
	}

	/** Stream offset where the row being read starts (after `finish`, the end of the stream). */
	get currentRowStart(): number {
		return this.rowStart;
	}

	/** True while the stream so far ends inside a quoted section. */
	get endsInQuotes(): boolean {
		return this.inQuotes && !this.quoteAtChunkEnd;
	}

	/** Reads the next chunk of the stream and reports each row that ends in it. */
	scan(chunk: Uint8Array, onRowEnd: RowEndHandler): void {
		const bytes = chunk as Buffer;
		const length = bytes.length;
		if (length === 0) return;
		const chunkStart = this.streamLength;
		this.streamLength += length;
		const delimiter = this.delimiter;
		let pos = 0;
		let rowStart = this.rowStart - chunkStart;
		let inQuotes = this.inQuotes;

		if (this.crContentEnd !== -1) {
			const contentEnd = this.crContentEnd;
			this.crContentEnd = -1;
			rowStart = bytes[0] === LF ? 1 : 0;
			onRowEnd(contentEnd, chunkStart + rowStart);
			pos = rowStart;
		}
		if (this.quoteAtChunkEnd) {
			this.quoteAtChunkEnd = false;
			if (bytes[0] === QUOTE) pos = 1;
			else inQuotes = false;
		}

		// `length` stands for "none left in this chunk"; each is searched again only once passed.
		let nextLf = -1;
		let nextCr = -1;
		let nextQuote = -1;
		while (pos < length) {
			if (inQuotes) {
				const quote = bytes.indexOf(QUOTE, pos);
				if (quote === -1) {
					pos = length;
					break;
				}
				if (quote + 1 === length) {
					this.quoteAtChunkEnd = true;
					pos = length;
					break;
				}
				if (bytes[quote + 1] === QUOTE) {
					pos = quote + 2;
				} else {
					inQuotes = false;
					pos = quote + 1;
				}
				continue;
			}
			if (nextLf < pos) {
				nextLf = bytes.indexOf(LF, pos);
				if (nextLf === -1) nextLf = length;
			}
			if (nextCr < pos) {
				nextCr = bytes.indexOf(CR, pos);
				if (nextCr === -1) nextCr = length;
			}
			if (nextQuote < pos) {
				nextQuote = bytes.indexOf(QUOTE, pos);
				if (nextQuote === -1) nextQuote = length;
			}
			const lineBreak = nextLf < nextCr ? nextLf : nextCr;
			if (nextQuote < lineBreak) {
				const quote = nextQuote;
				const before = quote > 0 ? bytes[quote - 1] : this.lastByte;
				if (quote === rowStart || before === delimiter) {
					inQuotes = true;
					this.quoteOpenedAt = chunkStart + quote;
					this.quoteOpenedRowStart = chunkStart + rowStart;
				}
				pos = quote + 1;
				continue;
			}
			if (lineBreak === length) {
				pos = length;
				break;
			}
			let rowEnd: number;
			if (lineBreak === nextCr) {
				if (lineBreak + 1 === length) {
					// CR LF split across chunks? The next chunk decides where this row ends.
					this.crContentEnd = chunkStart + lineBreak;
					pos = length;
					rowStart = length;
					break;
				}
				rowEnd = bytes[lineBreak + 1] === LF ? lineBreak + 2 : lineBreak + 1;
			} else {
				rowEnd = lineBreak + 1;
			}
			onRowEnd(chunkStart + lineBreak, chunkStart + rowEnd);
			rowStart = rowEnd;
			pos = rowEnd;
		}
		this.inQuotes = inQuotes;
		this.rowStart = chunkStart + rowStart;
		this.lastByte = bytes[length - 1];
	}

	/**
	 * The stream goes on with a byte that is not LF (one that stopped the reading):
	 * a CR that ended the last chunk ended its row, which is reported now.
	 */
	endPendingCr(onRowEnd: RowEndHandler): void {
		if (this.crContentEnd === -1) return;
		const contentEnd = this.crContentEnd;
		this.crContentEnd = -1;
		this.rowStart = this.streamLength;
		onRowEnd(contentEnd, this.streamLength);
	}

	/**
	 * The end of the stream: reports a pending CR row and a last row without a line
	 * break. Returns false when the stream ends inside a quoted section.
	 */
	finish(onRowEnd: RowEndHandler): boolean {
		const end = this.streamLength;
		if (this.crContentEnd !== -1) {
			onRowEnd(this.crContentEnd, end);
			this.crContentEnd = -1;
			this.rowStart = end;
		}
		if (this.quoteAtChunkEnd) {
			// The file's last byte closed the quoted section.
			this.quoteAtChunkEnd = false;
			this.inQuotes = false;
		}
		if (this.inQuotes) return false;
		if (this.rowStart < end) {
			onRowEnd(end, end);
			this.rowStart = end;
		}
		return true;
	}
}
