/**
 * File Encoding: which encoding a file is read in (resolveEncoding) and the file as
 * read (readAsUtf8), checked against references that share no code with it:
 * node:buffer's isUtf8 for UTF-8 validity, Buffer's utf16le/latin1 codecs and the
 * WHATWG windows-1252 index for the transcodings.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';

import {
	EncodingError,
	encodingLabelOf,
	firstInvalidUtf8,
	isFileEncoding,
	isResolvedEncoding,
	readAsUtf8,
	readHead,
	resolveEncoding,
	type ResolvedEncoding,
} from '../../../nodes/shared/csv/encoding';
import { cutAt, FC_SEED } from './reference';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const LE_BOM = [0xff, 0xfe];
const BE_BOM = [0xfe, 0xff];
const bytesOf = (...values: number[]) => Uint8Array.from(values);

/** Reads a source through readAsUtf8: what was handed on, and the error that ended it. */
async function readAll(
	chunks: Array<Buffer | Uint8Array | string>,
	encoding: ResolvedEncoding,
	validate = true,
): Promise<{ bytes: Buffer; chunks: Buffer[]; error?: EncodingError }> {
	const out: Buffer[] = [];
	try {
		for await (const chunk of readAsUtf8(chunks, encoding, { validate }))
			out.push(Buffer.from(chunk));
	} catch (error) {
		if (!(error instanceof EncodingError)) throw error;
		return { bytes: Buffer.concat(out), chunks: out, error };
	}
	return { bytes: Buffer.concat(out), chunks: out };
}

/** Every way to cut `bytes` into up to three chunks. */
function everyCut(bytes: Buffer): Buffer[][] {
	const ways: Buffer[][] = [[bytes]];
	for (let a = 0; a <= bytes.length; a++) {
		for (let b = a; b <= bytes.length; b++)
			ways.push([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
	}
	return ways;
}

const cutsOf = (bytes: Buffer, seeds: number[]) =>
	cutAt(
		bytes,
		seeds.map((seed) => seed % (bytes.length + 1)),
	);

const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

describe('resolveEncoding', () => {
	it('Auto: a byte order mark decides, otherwise UTF-8', () => {
		expect(resolveEncoding('auto', bytesOf(...UTF8_BOM, 0x61))).toBe('utf-8');
		expect(resolveEncoding('auto', bytesOf(...LE_BOM, 0x61, 0x00))).toBe('utf-16le');
		expect(resolveEncoding('auto', bytesOf(...BE_BOM, 0x00, 0x61))).toBe('utf-16be');
		expect(resolveEncoding('auto', Buffer.from('email,name'))).toBe('utf-8');
		// Too short for a BOM, or no BOM at all: UTF-8 (then checked byte by byte).
		expect(resolveEncoding('auto', bytesOf())).toBe('utf-8');
		expect(resolveEncoding('auto', bytesOf(0xef, 0xbb))).toBe('utf-8');
		expect(resolveEncoding('auto', bytesOf(0xff))).toBe('utf-8');
		expect(resolveEncoding('auto', bytesOf(0x61, 0x00, 0x62, 0x00))).toBe('utf-8');
	});

	it('a chosen encoding is used as chosen, and a BOM that agrees is fine', () => {
		expect(resolveEncoding('utf-8', Buffer.from('a,b'))).toBe('utf-8');
		expect(resolveEncoding('utf-8', bytesOf(...UTF8_BOM, 0x61))).toBe('utf-8');
		expect(resolveEncoding('windows-1252', bytesOf(0x80, 0x61))).toBe('windows-1252');
		expect(resolveEncoding('iso-8859-1', bytesOf(0xe9, 0x61))).toBe('iso-8859-1');
		expect(resolveEncoding('utf-16', bytesOf(...LE_BOM, 0x61, 0x00))).toBe('utf-16le');
		expect(resolveEncoding('utf-16', bytesOf(...BE_BOM, 0x00, 0x61))).toBe('utf-16be');
	});

	it('UTF-16 without BOM: an ASCII first character tells the byte order', () => {
		expect(resolveEncoding('utf-16', bytesOf(0x65, 0x00, 0x6d, 0x00))).toBe('utf-16le');
		expect(resolveEncoding('utf-16', bytesOf(0x00, 0x65, 0x00, 0x6d))).toBe('utf-16be');
		// Not telling (two zero bytes, too short, no ASCII): little endian, what Excel writes.
		expect(resolveEncoding('utf-16', bytesOf(0x00, 0x00))).toBe('utf-16le');
		expect(resolveEncoding('utf-16', bytesOf(0x00))).toBe('utf-16le');
		expect(resolveEncoding('utf-16', bytesOf())).toBe('utf-16le');
		expect(resolveEncoding('utf-16', bytesOf(0x3a, 0x4e))).toBe('utf-16le');
	});

	it('refuses a chosen encoding the byte order mark contradicts, saying what to choose', () => {
		const cases: Array<[Parameters<typeof resolveEncoding>[0], number[], RegExp]> = [
			[
				'utf-8',
				[...LE_BOM, 0x61, 0x00],
				/UTF-16 byte order mark, but File Encoding is set to UTF-8/,
			],
			[
				'utf-8',
				[...BE_BOM, 0x00, 0x61],
				/UTF-16 byte order mark, but File Encoding is set to UTF-8/,
			],
			[
				'windows-1252',
				[...UTF8_BOM, 0x61],
				/UTF-8 byte order mark, but File Encoding is set to Windows-1252/,
			],
			[
				'windows-1252',
				[...LE_BOM, 0x61],
				/UTF-16 byte order mark, but File Encoding is set to Windows-1252/,
			],
			[
				'iso-8859-1',
				[...UTF8_BOM],
				/UTF-8 byte order mark, but File Encoding is set to ISO-8859-1/,
			],
			['iso-8859-1', [...BE_BOM], /UTF-16 byte order mark, but File Encoding is set to ISO-8859-1/],
			['utf-16', [...UTF8_BOM, 0x61], /UTF-8 byte order mark, but File Encoding is set to UTF-16/],
		];
		for (const [requested, head, message] of cases) {
			let thrown: unknown;
			try {
				resolveEncoding(requested, Uint8Array.from(head));
			} catch (error) {
				thrown = error;
			}
			expect(thrown).toBeInstanceOf(EncodingError);
			expect((thrown as EncodingError).message).toMatch(message);
			expect((thrown as EncodingError).message).toMatch(/Set File Encoding to Auto/);
			expect(thrown).toMatchObject({ offset: 0, byte: undefined });
		}
	});

	it('names, labels and guards', () => {
		expect(['auto', 'utf-8', 'windows-1252', 'iso-8859-1', 'utf-16'].every(isFileEncoding)).toBe(
			true,
		);
		expect(isFileEncoding('utf-16le')).toBe(false);
		expect(isFileEncoding(undefined)).toBe(false);
		const resolved: ResolvedEncoding[] = [
			'utf-8',
			'windows-1252',
			'iso-8859-1',
			'utf-16le',
			'utf-16be',
		];
		expect(resolved.every(isResolvedEncoding)).toBe(true);
		expect(isResolvedEncoding('auto')).toBe(false);
		expect(resolved.map(encodingLabelOf)).toEqual([
			'UTF-8',
			'Windows-1252',
			'ISO-8859-1',
			'UTF-16LE',
			'UTF-16BE',
		]);
	});

	it('readHead reads just enough chunks for the head', async () => {
		let pulled = 0;
		async function* source() {
			for (const chunk of ['a', 'b', 'cd', 'ef', 'gh']) {
				pulled++;
				yield Buffer.from(chunk);
			}
		}
		expect((await readHead(source(), 4)).toString()).toBe('abcd');
		expect(pulled).toBe(3);
		expect((await readHead([Buffer.from('ab')], 4)).toString()).toBe('ab');
		expect((await readHead([], 4)).length).toBe(0);
	});
});

/* ---------------- UTF-8 ---------------- */

/**
 * The reference reading of UTF-8 validity: walks the characters, asking isUtf8 (Node's
 * own validator) whether the next 1 to 4 bytes are one whole character. UTF-8 is
 * prefix-free, so at most one length fits. Returns the offset of the first byte that
 * starts no character (-1: valid), with NUL bytes refused too when `refuseNul` is set.
 */
function referenceFirstProblem(bytes: Uint8Array, refuseNul: boolean): number {
	let i = 0;
	while (i < bytes.length) {
		if (refuseNul && bytes[i] === 0) return i;
		let length = 0;
		for (let candidate = 1; candidate <= 4 && i + candidate <= bytes.length; candidate++) {
			if (isUtf8(bytes.subarray(i, i + candidate))) {
				length = candidate;
				break;
			}
		}
		if (length === 0) return i;
		i += length;
	}
	return -1;
}

/** Bytes that stress a UTF-8 validator: whole characters of each length, and every kind of broken one. */
const utf8Piece = fc.oneof(
	{
		weight: 4,
		arbitrary: fc.constantFrom('a', 'email,name\r\n', '"x"', ' ').map((s) => Buffer.from(s)),
	},
	{
		weight: 3,
		arbitrary: fc
			.constantFrom('é', 'ß', '€', '中', '\uffff', '😀', '\u{10ffff}', '\u0080', '\u07ff', '\u0800')
			.map((s) => Buffer.from(s)),
	},
	{
		weight: 3,
		arbitrary: fc
			.constantFrom(
				[0x80], // a continuation byte alone
				[0xbf],
				[0xc0, 0x80], // overlong
				[0xc1, 0xbf],
				[0xe0, 0x80, 0x80],
				[0xe0, 0x9f, 0xbf],
				[0xf0, 0x8f, 0xbf, 0xbf],
				[0xed, 0xa0, 0x80], // a surrogate
				[0xed, 0xbf, 0xbf],
				[0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
				[0xf5, 0x80, 0x80, 0x80],
				[0xf8],
				[0xff],
				[0xfe],
				[0xc3], // a character cut short
				[0xe2, 0x82],
				[0xf0, 0x9f, 0x98],
				[0x00], // NUL
			)
			.map((values) => Buffer.from(values)),
	},
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }).map((values) => Buffer.from(values)) },
);
const utf8Bytes = fc.array(utf8Piece, { maxLength: 30 }).map((pieces) => Buffer.concat(pieces));

describe('firstInvalidUtf8', () => {
	it('finds exactly the first byte that starts no character, at any alignment (vs isUtf8)', () => {
		fc.assert(
			fc.property(utf8Bytes, fc.nat({ max: 7 }), (bytes, shift) => {
				// The same bytes at another byte offset of their ArrayBuffer (the ASCII fast path reads aligned words).
				const shifted = Buffer.concat([Buffer.alloc(shift), bytes]).subarray(shift);
				const expected = referenceFirstProblem(bytes, false);
				expect(firstInvalidUtf8(shifted)).toBe(expected);
				expect(firstInvalidUtf8(shifted) === -1).toBe(isUtf8(bytes));
			}),
			{ seed: FC_SEED, numRuns: 3000 },
		);
	});

	it('examples', () => {
		expect(firstInvalidUtf8(Buffer.from('plain ASCII and é€😀'))).toBe(-1);
		expect(firstInvalidUtf8(bytesOf())).toBe(-1);
		expect(firstInvalidUtf8(bytesOf(0x61, 0x80))).toBe(1);
		expect(firstInvalidUtf8(bytesOf(0x61, 0xc3))).toBe(1); // cut short
		expect(firstInvalidUtf8(bytesOf(0xc3, 0xa9, 0xed, 0xa0, 0x80))).toBe(2); // surrogate
		expect(firstInvalidUtf8(bytesOf(0xe0, 0x80, 0x80))).toBe(0); // overlong
		expect(firstInvalidUtf8(bytesOf(0xf4, 0x90, 0x80, 0x80))).toBe(0); // above U+10FFFF
		expect(firstInvalidUtf8(Buffer.concat([Buffer.alloc(64, 0x61), bytesOf(0xff)]))).toBe(64);
		expect(firstInvalidUtf8(bytesOf(0x00))).toBe(-1); // NUL is UTF-8; readAsUtf8 refuses it separately
	});
});

describe('readAsUtf8: UTF-8', () => {
	it('hands on a valid file byte for byte, a BOM included, whatever the chunking', async () => {
		const file = Buffer.concat([Buffer.from(UTF8_BOM), Buffer.from('é,€\r\n😀,中\n"x"')]);
		for (const chunks of everyCut(file)) {
			const read = await readAll(chunks, 'utf-8');
			expect(read.error).toBeUndefined();
			expect(read.bytes.equals(file)).toBe(true);
			expect(read.chunks.every((chunk) => chunk.length > 0)).toBe(true);
		}
	});

	it('takes strings, Uint8Arrays, empty chunks and sync iterables', async () => {
		const read = await readAll(
			['a,', new Uint8Array([0xc3]), Buffer.alloc(0), Buffer.from([0xa9, 0x0a])],
			'utf-8',
		);
		expect(read.bytes.toString()).toBe('a,é\n');
		const out: Buffer[] = [];
		for await (const chunk of readAsUtf8([Buffer.from('x')], 'utf-8')) out.push(chunk);
		expect(Buffer.concat(out).toString()).toBe('x');
	});

	it('refuses the first invalid byte or NUL at its exact offset, whatever the chunking (vs isUtf8)', async () => {
		await fc.assert(
			fc.asyncProperty(utf8Bytes, fc.array(fc.nat(), { maxLength: 8 }), async (bytes, seeds) => {
				const expected = referenceFirstProblem(bytes, true);
				const read = await readAll(cutsOf(bytes, seeds), 'utf-8');
				if (expected === -1) {
					expect(read.error).toBeUndefined();
					expect(read.bytes.equals(bytes)).toBe(true);
					return;
				}
				expect(read.error).toBeInstanceOf(EncodingError);
				expect(read.error?.offset).toBe(expected);
				expect(read.error?.byte).toBe(bytes[expected]);
				expect(read.error?.message).toContain(`byte offset ${expected}`);
				expect(read.error?.message).toMatch(bytes[expected] === 0 ? /NUL byte/ : /not valid UTF-8/);
				// Everything before the bad character was handed on (the splitter names its row);
				// at most the start of the bad character itself came with it.
				expect(read.bytes.equals(bytes.subarray(0, read.bytes.length))).toBe(true);
				expect(read.bytes.length).toBeGreaterThanOrEqual(expected);
				expect(read.bytes.length - expected).toBeLessThanOrEqual(3);
			}),
			{ seed: FC_SEED, numRuns: 2000 },
		);
	});

	it('checks nothing when not asked to validate (later passes over a checked file)', async () => {
		const bytes = bytesOf(0x61, 0xff, 0x00, 0xc3);
		const read = await readAll([bytes], 'utf-8', false);
		expect(read.error).toBeUndefined();
		expect(read.bytes.equals(Buffer.from(bytes))).toBe(true);
	});

	it('names the byte and the offset', async () => {
		const invalid = await readAll([Buffer.from('a,b\n'), bytesOf(0x31, 0x2c, 0xe9, 0x0a)], 'utf-8');
		expect(invalid.error?.message).toBe(
			'The file is not valid UTF-8: the byte 0xE9 at byte offset 6 is not UTF-8',
		);
		expect(invalid.bytes.toString()).toBe('a,b\n1,');
		const cutShort = await readAll([Buffer.from('a,b\n1,'), bytesOf(0xe2, 0x82)], 'utf-8');
		expect(cutShort.error).toMatchObject({ offset: 6, byte: 0xe2 });
		const nul = await readAll([Buffer.from('e\x00m\x00a\x00')], 'utf-8');
		expect(nul.error?.message).toBe(
			'The file has a NUL byte at byte offset 1: it looks like UTF-16 ("Unicode Text") without a byte order mark',
		);
		expect(nul.error).toMatchObject({ offset: 1, byte: 0 });
		expect(nul.bytes.toString()).toBe('e');
	});

	it('accepts a multi-byte character split over two and three chunks', async () => {
		for (const character of ['é', '€', '😀', '\u{10ffff}']) {
			const bytes = Buffer.from(`a${character}b`);
			for (const chunks of everyCut(bytes)) {
				const read = await readAll(chunks, 'utf-8');
				expect(read.error).toBeUndefined();
				expect(read.bytes.toString()).toBe(`a${character}b`);
			}
		}
	});
});

/* ---------------- Windows-1252 and ISO-8859-1 ---------------- */

/** The WHATWG Encoding Standard's index-windows-1252 for 0x80-0x9F (the rest is ISO-8859-1). */
const WINDOWS_1252_INDEX_80_9F = [
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
	0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/** TextDecoder('windows-1252'), where the runtime decodes it right (Node 20.18.3+ and 22.13+ decode it as Latin-1: nodejs/node#56542). */
function runtimeWindows1252(): InstanceType<typeof TextDecoder> | undefined {
	const decoder = new TextDecoder('windows-1252');
	return decoder.decode(bytesOf(0x80)) === '€' ? decoder : undefined;
}

function referenceWindows1252(bytes: Uint8Array): string {
	return Array.from(bytes, (byte) =>
		String.fromCharCode(
			byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_INDEX_80_9F[byte - 0x80] : byte,
		),
	).join('');
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));

describe('readAsUtf8: Windows-1252 and ISO-8859-1', () => {
	it('decodes every Windows-1252 byte as the WHATWG index says (€ = 0x80, curly quotes, dashes)', async () => {
		const read = await readAll([ALL_BYTES], 'windows-1252');
		const text = read.bytes.toString('utf8');
		expect(text).toBe(referenceWindows1252(ALL_BYTES));
		expect([...text]).toHaveLength(256);
		expect(text[0x80]).toBe('€');
		expect(text.slice(0x91, 0x95)).toBe('\u2018\u2019\u201c\u201d'); // ‘ ’ “ ”
		expect(text.slice(0x96, 0x98)).toBe('\u2013\u2014'); // – —
		expect(text[0x99]).toBe('™');
		// The five bytes Windows-1252 leaves undefined: the C1 control of the same number, as browsers do.
		for (const byte of [0x81, 0x8d, 0x8f, 0x90, 0x9d]) expect(text.charCodeAt(byte)).toBe(byte);
		expect(text.slice(0xa0)).toBe(ALL_BYTES.subarray(0xa0).toString('latin1'));

		const runtime = runtimeWindows1252();
		if (runtime) expect(text).toBe(runtime.decode(ALL_BYTES));
	});

	it('agrees with iconv-lite on the 27 bytes of 0x80-0x9F that Windows-1252 defines', async () => {
		let iconv: { decode(bytes: Buffer, encoding: string): string } | undefined;
		try {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			iconv = require('iconv-lite');
		} catch {
			iconv = undefined; // not installed (it comes with other dev tools): the index above stands alone
		}
		if (!iconv) return;
		const high = ALL_BYTES.subarray(0x80, 0xa0);
		const ours = (await readAll([high], 'windows-1252')).bytes.toString('utf8');
		const theirs = iconv.decode(high, 'windows-1252');
		for (let i = 0; i < 32; i++) {
			if (theirs[i] !== '\ufffd') expect(ours[i]).toBe(theirs[i]);
		}
	});

	it('decodes every ISO-8859-1 byte as the code point of the same number', async () => {
		const read = await readAll([ALL_BYTES], 'iso-8859-1');
		expect(read.bytes.toString('utf8')).toBe(String.fromCharCode(...ALL_BYTES));
		expect(read.bytes.toString('utf8').charCodeAt(0x80)).toBe(0x80);
	});

	it('gives the same UTF-8 whatever the chunking, and never refuses a byte', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.uint8Array({ maxLength: 80 }),
				fc.array(fc.nat(), { maxLength: 10 }),
				async (values, seeds) => {
					const bytes = Buffer.from(values);
					const windows = await readAll(cutsOf(bytes, seeds), 'windows-1252');
					expect(windows.error).toBeUndefined();
					expect(windows.bytes.toString('utf8')).toBe(referenceWindows1252(bytes));
					const latin1 = await readAll(cutsOf(bytes, seeds), 'iso-8859-1');
					expect(latin1.error).toBeUndefined();
					expect(latin1.bytes.equals(Buffer.from(bytes.toString('latin1'), 'utf8'))).toBe(true);
				},
			),
			{ seed: FC_SEED, numRuns: 500 },
		);
	});

	it('keeps a NUL byte and the bytes EF BB BF as the characters they are', async () => {
		const read = await readAll([bytesOf(0xef, 0xbb, 0xbf, 0x00, 0x80)], 'windows-1252');
		expect(read.bytes.toString('utf8')).toBe('ï»¿\u0000€');
	});
});

/* ---------------- UTF-16 ---------------- */

/** Text with characters of every UTF-16 kind: ASCII, BMP, surrogate pairs, line breaks, quotes, NUL. */
const utf16Text = fc
	.array(
		fc.oneof(
			fc.constantFrom(
				'a',
				',',
				'\t',
				'\r\n',
				'\n',
				'"',
				'é',
				'€',
				'中',
				'\uffff',
				'\u0000',
				'😀',
				'\u{10ffff}',
				'\u{1d11e}',
			),
			fc.string({ unit: 'grapheme', maxLength: 3 }),
		),
		{ maxLength: 25 },
	)
	.map((pieces) => pieces.join(''));

describe('readAsUtf8: UTF-16', () => {
	it('transcodes LE and BE to UTF-8 without the BOM, whatever the chunking (odd splits, split surrogate pairs)', async () => {
		await fc.assert(
			fc.asyncProperty(
				utf16Text,
				fc.boolean(),
				fc.array(fc.nat(), { maxLength: 12 }),
				async (text, withBom, seeds) => {
					const expected = Buffer.from(text, 'utf8');
					const source = (withBom ? '\ufeff' : '') + text;
					const le = await readAll(cutsOf(Buffer.from(source, 'utf16le'), seeds), 'utf-16le');
					expect(le.error).toBeUndefined();
					expect(le.bytes.equals(expected)).toBe(true);
					const be = await readAll(cutsOf(utf16be(source), seeds), 'utf-16be');
					expect(be.error).toBeUndefined();
					expect(be.bytes.equals(expected)).toBe(true);
				},
			),
			{ seed: FC_SEED, numRuns: 1000 },
		);
	});

	it('reads a surrogate pair cut at every byte, in both byte orders', async () => {
		const text = 'a😀b\r\n中"';
		for (const [encoding, bytes] of [
			['utf-16le', Buffer.from('\ufeff' + text, 'utf16le')],
			['utf-16be', utf16be('\ufeff' + text)],
		] as const) {
			for (const chunks of everyCut(bytes)) {
				const read = await readAll(chunks, encoding);
				expect(read.error).toBeUndefined();
				expect(read.bytes.toString('utf8')).toBe(text);
			}
		}
	});

	it('drops only the first BOM; a U+FEFF later is a character', async () => {
		const read = await readAll([Buffer.from('\ufeff\ufeffa', 'utf16le')], 'utf-16le');
		expect(read.bytes.toString('utf8')).toBe('\ufeffa');
	});

	/** UTF-16LE bytes of the given code units (lone surrogates allowed). */
	const units = (...values: number[]) => {
		const bytes = Buffer.alloc(values.length * 2);
		values.forEach((value, i) => bytes.writeUInt16LE(value, i * 2));
		return bytes;
	};
	const code = (text: string) =>
		[...text].flatMap((c) =>
			c.length === 1 ? [c.charCodeAt(0)] : [c.charCodeAt(0), c.charCodeAt(1)],
		);

	it('refuses a lone surrogate at its exact place, after handing on the characters before it', async () => {
		const cases: Array<{ units: number[]; valid: string; badUnit: number }> = [
			{ units: [0xfeff, ...code('a,b\n1,'), 0xdc00, ...code('\n')], valid: 'a,b\n1,', badUnit: 7 },
			{ units: [...code('a,b\n1,'), 0xd83d, ...code('x\n')], valid: 'a,b\n1,', badUnit: 6 },
			{ units: [...code('😀,'), 0xd83d, 0xd83d, 0xde00], valid: '😀,', badUnit: 3 },
			{ units: [0xdfff], valid: '', badUnit: 0 },
			{ units: [0xfeff, 0xdfff], valid: '', badUnit: 1 },
		];
		for (const { units: values, valid, badUnit } of cases) {
			const le = units(...values);
			for (const [encoding, bytes] of [
				['utf-16le', le],
				['utf-16be', Buffer.from(le).swap16()],
			] as const) {
				for (const chunks of everyCut(bytes)) {
					const read = await readAll(chunks, encoding);
					expect(read.error).toBeInstanceOf(EncodingError);
					expect(read.bytes.toString('utf8')).toBe(valid);
					expect(read.error?.offset).toBe(Buffer.byteLength(valid));
					expect(read.error?.message).toContain(
						`at byte offset ${badUnit * 2} of the original file`,
					);
					expect(read.error?.message).toContain(encodingLabelOf(encoding));
				}
			}
		}
	});

	it('refuses the first lone surrogate of random code units, whatever the chunking', async () => {
		const unit = fc.oneof(
			{ weight: 3, arbitrary: fc.constantFrom(0x61, 0x2c, 0x0a, 0x22, 0xe9, 0x4e2d, 0xfeff) },
			{ weight: 2, arbitrary: fc.integer({ min: 0xd800, max: 0xdbff }) },
			{ weight: 2, arbitrary: fc.integer({ min: 0xdc00, max: 0xdfff }) },
		);
		await fc.assert(
			fc.asyncProperty(
				fc.array(unit, { maxLength: 20 }),
				fc.array(fc.nat(), { maxLength: 8 }),
				fc.boolean(),
				async (values, seeds, be) => {
					const all = [0xfeff, ...values];
					const text = String.fromCharCode(...all);
					// The reference: pairs are high then low; anything else of 0xD800-0xDFFF is alone.
					let bad = -1;
					for (let i = 0; i < all.length && bad === -1; i++) {
						if (all[i] >= 0xd800 && all[i] <= 0xdbff) {
							if (all[i + 1] >= 0xdc00 && all[i + 1] <= 0xdfff) i++;
							else bad = i;
						} else if (all[i] >= 0xdc00 && all[i] <= 0xdfff) bad = i;
					}
					// encodeURIComponent refuses a lone surrogate too: the two references agree.
					expect(bad === -1).toBe(
						(() => {
							try {
								encodeURIComponent(text);
								return true;
							} catch {
								return false;
							}
						})(),
					);
					const le = units(...all);
					const read = await readAll(
						cutsOf(be ? Buffer.from(le).swap16() : le, seeds),
						be ? 'utf-16be' : 'utf-16le',
					);
					if (bad === -1) {
						expect(read.error).toBeUndefined();
						expect(read.bytes.toString('utf8')).toBe(text.slice(1));
						return;
					}
					const valid = Buffer.from(text.slice(1, bad), 'utf8');
					expect(read.error).toBeInstanceOf(EncodingError);
					expect(read.bytes.equals(valid)).toBe(true);
					expect(read.error?.offset).toBe(valid.length);
					expect(read.error?.message).toMatch(
						bad === all.length - 1 && all[bad] <= 0xdbff
							? /ends in the middle of a UTF-16(LE|BE) character/
							: new RegExp(`at byte offset ${bad * 2} of the original file`),
					);
				},
			),
			{ seed: FC_SEED, numRuns: 1500 },
		);
	});

	it('refuses a file that ends in the middle of a character: an odd byte or a high surrogate', async () => {
		for (const chunks of everyCut(Buffer.concat([Buffer.from('ab', 'utf16le'), bytesOf(0x63)]))) {
			const read = await readAll(chunks, 'utf-16le');
			expect(read.error?.message).toBe('The file ends in the middle of a UTF-16LE character');
			expect(read.error).toMatchObject({ offset: 2, byte: 0x63 });
			expect(read.bytes.toString()).toBe('ab');
		}
		for (const chunks of everyCut(units(...code('ab'), 0xd83d))) {
			const read = await readAll(chunks, 'utf-16le');
			expect(read.error?.message).toBe('The file ends in the middle of a UTF-16LE character');
			expect(read.error?.offset).toBe(2);
			expect(read.bytes.toString()).toBe('ab');
		}
	});

	it('keeps U+0000 (no NUL check: in UTF-16 it is a character like any other)', async () => {
		const read = await readAll([Buffer.from('a\u0000b', 'utf16le')], 'utf-16le');
		expect(read.bytes.equals(Buffer.from('a\u0000b'))).toBe(true);
	});
});
