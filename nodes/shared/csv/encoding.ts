/**
 * Reading a user's file as UTF-8: the one place that decides which encoding a
 * file is in and turns it into the UTF-8 bytes Marketo expects.
 *
 * Marketo reads every import file as UTF-8. Files people export are often not:
 * Excel on Windows saves "CSV" in Windows-1252, and "Unicode Text" in UTF-16LE
 * with a byte order mark. Uploading those as they are turns `Peña` into `Pe�a`
 * in Marketo without any error, so the node either reads a file in the encoding
 * it is really in, or refuses it before anything is uploaded.
 *
 * `auto` never guesses: a byte order mark decides (UTF-8, UTF-16LE, UTF-16BE);
 * without one the file must be valid UTF-8, or it is refused with the first
 * invalid byte named (the user then picks the encoding).
 *
 * Offsets: what `readAsUtf8` yields is "the file as read". For a UTF-8 file that is
 * the file's own bytes (a BOM included, which the splitter skips), so offsets are
 * offsets in the original file. For a transcoded file it is the UTF-8 encoding of
 * the decoded text, without BOM; Wait for Batch reads the file through this same
 * function, so offsets mean the same to both nodes.
 */

/**
 * Chunk size both nodes ask n8n's binary data store for. A file is read more than
 * once (checked whole, cut into parts, read again for the tie-back), and with n8n's
 * default 64 KiB chunks most of a read's time goes into handing chunks over, not
 * into the bytes; 1 MiB chunks read several times faster for 1 MiB of memory.
 */
export const READ_CHUNK_BYTES = 1024 * 1024;

export type FileEncoding = 'auto' | 'utf-8' | 'windows-1252' | 'iso-8859-1' | 'utf-16';

/** What a file was found to be in. */
export type ResolvedEncoding = 'utf-8' | 'windows-1252' | 'iso-8859-1' | 'utf-16le' | 'utf-16be';

export const FILE_ENCODING_OPTIONS: ReadonlyArray<{
	name: string;
	value: FileEncoding;
	description: string;
}> = [
	{
		name: 'Auto',
		value: 'auto',
		description:
			'A byte order mark decides; otherwise the file must be UTF-8, or it is refused naming the first invalid byte',
	},
	{
		name: 'UTF-8',
		value: 'utf-8',
		description: '"CSV UTF-8" from Excel, Google Sheets, most exports',
	},
	{
		name: 'Windows-1252',
		value: 'windows-1252',
		description: '"CSV" saved by Excel on Windows (Western Europe, Americas)',
	},
	{
		name: 'ISO-8859-1 (Latin-1)',
		value: 'iso-8859-1',
		description: 'Older Unix and database exports',
	},
	{ name: 'UTF-16', value: 'utf-16', description: '"Unicode Text" saved by Excel (tab-separated)' },
];

export function isFileEncoding(value: unknown): value is FileEncoding {
	return FILE_ENCODING_OPTIONS.some((option) => option.value === value);
}

export function isResolvedEncoding(value: unknown): value is ResolvedEncoding {
	return (
		value === 'utf-8' ||
		value === 'windows-1252' ||
		value === 'iso-8859-1' ||
		value === 'utf-16le' ||
		value === 'utf-16be'
	);
}

export function encodingLabelOf(encoding: ResolvedEncoding): string {
	switch (encoding) {
		case 'utf-8':
			return 'UTF-8';
		case 'windows-1252':
			return 'Windows-1252';
		case 'iso-8859-1':
			return 'ISO-8859-1';
		case 'utf-16le':
			return 'UTF-16LE';
		case 'utf-16be':
			return 'UTF-16BE';
	}
}

/** A file that cannot be read in the chosen encoding; `offset` is in the file as read (see the file comment). */
export class EncodingError extends Error {
	constructor(
		message: string,
		readonly offset: number,
		readonly byte: number | undefined,
	) {
		super(message);
		this.name = 'EncodingError';
	}
}

type Bom = 'utf-8' | 'utf-16le' | 'utf-16be' | null;

function bomOf(head: Uint8Array): Bom {
	if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
	if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
	if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
	return null;
}

/** Bytes `resolveEncoding` wants to see (fewer only when the file is that short). */
export const ENCODING_HEAD_BYTES = 4;

/**
 * Pure: the encoding to read a file in, from the user's choice and the file's
 * first bytes. Throws an EncodingError when the two contradict each other.
 */
export function resolveEncoding(requested: FileEncoding, head: Uint8Array): ResolvedEncoding {
	const bom = bomOf(head);
	if (requested === 'auto') return bom ?? 'utf-8';
	if (requested === 'utf-16') {
		if (bom === 'utf-16le' || bom === 'utf-16be') return bom;
		if (bom === 'utf-8') throw bomContradiction('UTF-8', 'UTF-16');
		// No BOM: an ASCII character first tells the byte order (its zero byte comes second in LE).
		return head.length >= 2 && head[0] === 0 && head[1] !== 0 ? 'utf-16be' : 'utf-16le';
	}
	if (bom !== null && bom !== requested) {
		throw bomContradiction(bom === 'utf-8' ? 'UTF-8' : 'UTF-16', encodingLabelOf(requested));
	}
	return requested;
}

function bomContradiction(found: string, chosen: string): EncodingError {
	return new EncodingError(
		`The file starts with a ${found} byte order mark, but File Encoding is set to ${chosen}. ` +
			`Set File Encoding to Auto (or ${found})`,
		0,
		undefined,
	);
}

/**
 * Windows-1252 differs from ISO-8859-1 only in 0x80-0x9F, where it has printable
 * characters (€, curly quotes, dashes...) instead of control codes. The five bytes
 * Windows-1252 leaves undefined decode to the control code of the same number, as
 * the WHATWG Encoding Standard (every browser) does.
 */
const WINDOWS_1252_HIGH = [
	0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
	0x0152, 0x8d, 0x017d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc,
	0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
].map((code) => String.fromCharCode(code));
const C1_RANGE = /[\u0080-\u009f]/g;

function decodeWindows1252(bytes: Buffer): string {
	return bytes
		.toString('latin1')
		.replace(C1_RANGE, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]);
}

function asBuffer(chunk: Uint8Array | string): Buffer {
	if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
	return Buffer.isBuffer(chunk)
		? chunk
		: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** A chunked byte source that can be read more than once (two passes, then the tie-back). */
export type ByteSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
export type OpenSource = () => Promise<ByteSource>;

export interface ReadOptions {
	/**
	 * Check that a UTF-8 file is valid UTF-8 (and has no NUL byte, the sign of a
	 * UTF-16 file without byte order mark). The first pass over a file does; later
	 * passes need not.
	 */
	validate?: boolean;
}

/** Bytes of the UTF-8 character a lead byte starts, 0 for a byte that cannot start one. */
function utf8SequenceLength(lead: number): number {
	if (lead < 0x80) return 1;
	if (lead >= 0xc2 && lead <= 0xdf) return 2;
	if (lead >= 0xe0 && lead <= 0xef) return 3;
	if (lead >= 0xf0 && lead <= 0xf4) return 4;
	return 0;
}

/**
 * Index of the first byte of `bytes` that is not part of valid UTF-8 (overlong
 * forms and surrogates included), or -1; `bytes` must end on a character end.
 * Runs of ASCII are skipped sixteen bytes at a time (four 32-bit words): this check
 * reads every byte of every file, and most bytes of most files are ASCII.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
	const length = bytes.length;
	const alignment = (4 - (bytes.byteOffset & 3)) & 3;
	const words =
		length >= alignment + 4
			? new Uint32Array(bytes.buffer, bytes.byteOffset + alignment, (length - alignment) >> 2)
			: undefined;
	let i = 0;
	while (i < length) {
		if (words !== undefined && i >= alignment && ((i - alignment) & 3) === 0) {
			let word = (i - alignment) >> 2;
			const lastBlock = words.length - 3;
			while (
				word < lastBlock &&
				((words[word] | words[word + 1] | words[word + 2] | words[word + 3]) & 0x80808080) === 0
			) {
				word += 4;
			}
			while (word < words.length && (words[word] & 0x80808080) === 0) word++;
			i = alignment + (word << 2);
			if (i >= length) break;
		}
		const lead = bytes[i];
		if (lead < 0x80) {
			i++;
			continue;
		}
		const sequence = utf8SequenceLength(lead);
		if (sequence === 0 || i + sequence > length) return i;
		// The second byte's range rules out overlong forms, surrogates and code points above U+10FFFF.
		const min = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
		const max = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
		if (bytes[i + 1] < min || bytes[i + 1] > max) return i;
		for (let k = 2; k < sequence; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
		i += sequence;
	}
	return -1;
}

/** Bytes at the end of `bytes` that start a UTF-8 character not finished yet (0 to 3). */
function unfinishedUtf8Tail(bytes: Uint8Array): number {
	const length = bytes.length;
	for (let back = 1; back <= Math.min(3, length); back++) {
		const byte = bytes[length - back];
		if (byte < 0x80) return 0;
		if (byte >= 0xc0) return utf8SequenceLength(byte) > back ? back : 0;
	}
	return 0;
}

function notUtf8Error(offset: number, byte: number | undefined): EncodingError {
	const shown =
		byte === undefined
			? 'the end of the file'
			: `the byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
	return new EncodingError(
		`The file is not valid UTF-8: ${shown} at byte offset ${offset} is not UTF-8`,
		offset,
		byte,
	);
}

function nulByteError(offset: number): EncodingError {
	return new EncodingError(
		`The file has a NUL byte at byte offset ${offset}: it looks like UTF-16 ("Unicode Text") without a byte order mark`,
		offset,
		0,
	);
}

/**
 * A UTF-8 file as it is, checked when `validate` is set. Valid bytes are handed on
 * before the error is thrown, so the reader knows which row the bad byte is in.
 */
async function* readUtf8(source: ByteSource, validate: boolean): AsyncGenerator<Buffer> {
	let offset = 0;
	/** the start of a character the previous chunk ended in */
	let carried: Buffer = Buffer.alloc(0);
	for await (const chunk of source) {
		const bytes = asBuffer(chunk);
		if (bytes.length === 0) continue;
		if (!validate) {
			yield bytes;
			continue;
		}
		let checkedFrom = 0;
		if (carried.length > 0) {
			const sequence = utf8SequenceLength(carried[0]);
			const joined = Buffer.concat([carried, bytes.subarray(0, sequence - carried.length)]);
			if (joined.length < sequence) {
				carried = joined; // a chunk of one or two bytes
				offset += bytes.length;
				yield bytes;
				continue;
			}
			if (firstInvalidUtf8(joined) !== -1) throw notUtf8Error(offset - carried.length, carried[0]);
			checkedFrom = sequence - carried.length;
			carried = Buffer.alloc(0);
		}
		const tail = unfinishedUtf8Tail(bytes.subarray(checkedFrom));
		const checked = bytes.subarray(checkedFrom, bytes.length - tail);
		const bad = firstInvalidUtf8(checked);
		const nul = checked.indexOf(0);
		if (bad !== -1 || nul !== -1) {
			const at = checkedFrom + (bad === -1 ? nul : nul === -1 ? bad : Math.min(bad, nul));
			if (at > 0) yield bytes.subarray(0, at);
			throw bytes[at] === 0 ? nulByteError(offset + at) : notUtf8Error(offset + at, bytes[at]);
		}
		if (tail > 0) carried = Buffer.from(bytes.subarray(bytes.length - tail));
		offset += bytes.length;
		yield bytes;
	}
	if (carried.length > 0) throw notUtf8Error(offset - carried.length, carried[0]);
}

/** The decoded text (the decoder's last characters when `bytes` is not given), or null when not valid. */
function tryDecode(decoder: InstanceType<typeof TextDecoder>, bytes?: Uint8Array): string | null {
	try {
		return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
	} catch {
		return null; // fatal decoders throw only for bytes that are not in the encoding
	}
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Where the first half of a character (a lone surrogate) is in `bytes` (UTF-16LE,
 * even length): its byte index, or -2 for a high surrogate the chunk before ended
 * with (`pendingHigh`) that is not followed by a low one; -1 when there is none.
 */
function firstLoneSurrogate(bytes: Buffer, pendingHigh: boolean): number {
	let high = pendingHigh ? -2 : -1;
	for (let i = 0; i + 1 < bytes.length; i += 2) {
		const unit = bytes[i] | (bytes[i + 1] << 8);
		if (high !== -1) {
			if (!isLowSurrogate(unit)) return high;
			high = -1;
		} else if (isHighSurrogate(unit)) high = i;
		else if (isLowSurrogate(unit)) return i;
	}
	return -1;
}

/** A single-byte or UTF-16 file, decoded and encoded again as UTF-8 (without BOM). */
async function* transcode(source: ByteSource, encoding: ResolvedEncoding): AsyncGenerator<Buffer> {
	const utf16 = encoding === 'utf-16le' || encoding === 'utf-16be';
	// fatal: a lone surrogate is refused, not replaced; the BOM is dropped.
	const decoder = utf16 ? new TextDecoder('utf-16le', { fatal: true }) : undefined;
	let odd: Buffer | undefined;
	/** a high surrogate (LE) the last bytes ended with: the decoder holds it for the next chunk */
	let pendingHigh: Buffer | undefined;
	let offset = 0;
	let written = 0;
	for await (const chunk of source) {
		let bytes = asBuffer(chunk);
		if (bytes.length === 0) continue;
		let text: string;
		if (decoder) {
			if (odd) {
				bytes = Buffer.concat([odd, bytes]);
				odd = undefined;
			}
			if (bytes.length % 2 === 1) {
				odd = Buffer.from(bytes.subarray(bytes.length - 1));
				bytes = bytes.subarray(0, bytes.length - 1);
			}
			// UTF-16BE: swap each byte pair (on a copy) and read it as LE.
			if (encoding === 'utf-16be') bytes = Buffer.from(bytes).swap16();
			const decoded = tryDecode(decoder, bytes);
			if (decoded === null) {
				// Hand on the characters before the lone surrogate (so the reader knows its row), then refuse.
				const at = firstLoneSurrogate(bytes, pendingHigh !== undefined);
				let valid =
					at <= 0
						? ''
						: Buffer.concat([pendingHigh ?? Buffer.alloc(0), bytes.subarray(0, at)]).toString(
								'utf16le',
							);
				if (offset === 0 && valid.startsWith('\ufeff')) valid = valid.slice(1);
				if (valid.length > 0) {
					const out = Buffer.from(valid, 'utf8');
					written += out.length;
					yield out;
				}
				throw new EncodingError(
					`The file is not valid ${encodingLabelOf(encoding)}: the 2 bytes at byte offset ${at === -1 ? offset : offset + at} ` +
						'of the original file are half of a character (a lone surrogate)',
					written,
					undefined,
				);
			}
			if (bytes.length >= 2) {
				const last = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
				pendingHigh = isHighSurrogate(last)
					? Buffer.from(bytes.subarray(bytes.length - 2))
					: undefined;
			}
			text = decoded;
			offset += bytes.length;
		} else {
			text = encoding === 'windows-1252' ? decodeWindows1252(bytes) : bytes.toString('latin1');
		}
		if (text.length === 0) continue;
		const out = Buffer.from(text, 'utf8');
		written += out.length;
		yield out;
	}
	if (odd) {
		throw new EncodingError(
			`The file ends in the middle of a ${encodingLabelOf(encoding)} character`,
			written,
			odd[0],
		);
	}
	if (decoder) {
		const rest = tryDecode(decoder);
		if (rest === null) {
			throw new EncodingError(
				`The file ends in the middle of a ${encodingLabelOf(encoding)} character`,
				written,
				undefined,
			);
		}
		if (rest.length > 0) yield Buffer.from(rest, 'utf8');
	}
}

/** The file as read: UTF-8 bytes in the coordinates described in the file comment. */
export function readAsUtf8(
	source: ByteSource,
	encoding: ResolvedEncoding,
	options: ReadOptions = {},
): AsyncIterable<Buffer> {
	return encoding === 'utf-8'
		? readUtf8(source, options.validate === true)
		: transcode(source, encoding);
}

/** The first bytes of a source (at least `count` when it has them), for `resolveEncoding`. */
export async function readHead(source: ByteSource, count: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let length = 0;
	for await (const chunk of source) {
		const bytes = asBuffer(chunk);
		chunks.push(bytes);
		length += bytes.length;
		if (length >= count) break;
	}
	return Buffer.concat(chunks);
}
