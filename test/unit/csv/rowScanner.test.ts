import fc from 'fast-check';

import {
	createRowScanner,
	JsRowScanner,
	newRowScan,
	useRowScanner,
	WASM_WINDOW_BYTES,
	WasmRowScanner,
	wasmRowScannerAvailable,
	type RowScan,
	type RowScanner,
} from '../../../nodes/shared/csv/rowScanner';
import { ROW_SCANNER_WASM_BASE64 } from '../../../nodes/shared/csv/rowScanner.wasm';
import { cutAt, FC_SEED } from './reference';

/** One call's answer, everything the splitter reads. */
interface Step {
	stop: number;
	scan: RowScan;
}

/**
 * Feeds `bytes` cut into `chunks` to a scanner the way the splitter does: each chunk
 * scanned until its end; each overflow row accepted (the scan restarts after it, as
 * the splitter starts the next part there) with the limit moved by `limitStep`.
 */
function drive(scanner: RowScanner, chunks: Buffer[], start: RowScan, firstLimit: number, limitStep: number): Step[] {
	const scan = { ...start };
	const steps: Step[] = [];
	let limit = firstLimit;
	let chunkStart = 0;
	for (const chunk of chunks) {
		scanner.load(chunk);
		let pos = 0;
		for (;;) {
			pos = scanner.scan(chunkStart, pos, limit, scan);
			steps.push({ stop: pos, scan: { ...scan } });
			if (scan.overflowEnd === -1) break;
			scan.rowStart = scan.overflowEnd;
			limit = scan.overflowEnd + limitStep;
		}
		chunkStart += chunk.length;
	}
	return steps;
}

/** Bytes rich in what the scanner cares about: quotes, LF, CR, delimiters. */
const csvishBytes = (maxLength: number) =>
	fc
		.array(
			fc.oneof(
				{ weight: 6, arbitrary: fc.constantFrom(0x22, 0x0a, 0x0d, 0x2c) },
				{ weight: 1, arbitrary: fc.constantFrom(0x61, 0x20, 0x09, 0x3b) },
				{ weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
			),
			{ maxLength },
		)
		.map((values) => Buffer.from(values));

/** Any state a scan can start in. */
const startState = fc.record({
	inQuotes: fc.boolean(),
	rowStartBack: fc.integer({ min: 0, max: 3 }),
	lastByte: fc.constantFrom(-1, 0x0d, 0x0a, 0x61),
});

function startScan(state: { inQuotes: boolean; rowStartBack: number; lastByte: number }): RowScan {
	// rowStartBack 0: a row ended just before the stream; 1, 2: one or two bytes before (a CR there, maybe).
	return { ...newRowScan(), inQuotes: state.inQuotes, rowStart: -state.rowStartBack, lastByte: state.lastByte };
}

describe('row scanner: the wasm module', () => {
	it('runs in this Node (WebAssembly SIMD), and auto picks it', () => {
		expect(wasmRowScannerAvailable()).toBe(true);
		expect(createRowScanner().kind).toBe('wasm');
		expect(ROW_SCANNER_WASM_BASE64.length).toBeGreaterThan(100);
	});

	it('can be forced to the JS fallback and back', () => {
		const previous = useRowScanner('js');
		try {
			expect(createRowScanner().kind).toBe('js');
			useRowScanner('wasm');
			expect(createRowScanner().kind).toBe('wasm');
		} finally {
			useRowScanner(previous);
		}
	});
});

describe('row scanner: wasm agrees with the JS reference', () => {
	it('on random bytes, chunkings, limits and start states', () => {
		fc.assert(
			fc.property(
				csvishBytes(400),
				fc.array(fc.nat(), { maxLength: 8 }),
				startState,
				fc.integer({ min: -1, max: 420 }),
				fc.integer({ min: 0, max: 200 }),
				(bytes, cutSeeds, state, firstLimit, limitStep) => {
					const chunks = cutAt(
						bytes,
						cutSeeds.map((seed) => seed % (bytes.length + 1)),
					);
					const start = startScan(state);
					const reference = drive(new JsRowScanner(), chunks, start, firstLimit, limitStep);
					const wasm = drive(new WasmRowScanner(), chunks, start, firstLimit, limitStep);
					expect(wasm).toEqual(reference);
				},
			),
			{ seed: FC_SEED, numRuns: 3000 },
		);
	});

	it('on chunks larger than its memory window, with rows and quotes across window edges', () => {
		fc.assert(
			fc.property(
				fc.array(fc.constantFrom('a,b\n', '"x\ny"\n', '\n', '\r\n', 'ab,"c""d"\r\n', 'q"'), {
					minLength: 1,
					maxLength: 40,
				}),
				fc.integer({ min: 0, max: 200 }),
				fc.integer({ min: 1, max: 3 }),
				(pieces, padding, repeats) => {
					// Long runs push rows across the 64 KiB window edges at varying offsets.
					const unit = Buffer.from(pieces.join('') + 'z'.repeat(padding));
					const times = Math.ceil((WASM_WINDOW_BYTES * repeats) / unit.length) + 1;
					const bytes = Buffer.concat(Array.from({ length: times }, () => unit));
					const start = newRowScan();
					for (const limit of [bytes.length + 1, WASM_WINDOW_BYTES - 3, WASM_WINDOW_BYTES + 70]) {
						const reference = drive(new JsRowScanner(), [bytes], start, limit, 10_000);
						const wasm = drive(new WasmRowScanner(), [bytes], start, limit, 10_000);
						expect(wasm).toEqual(reference);
					}
				},
			),
			{ seed: FC_SEED, numRuns: 40 },
		);
	});
});

describe('row scanner: examples (both implementations)', () => {
	const scanners: Array<[string, () => RowScanner]> = [
		['wasm', () => new WasmRowScanner()],
		['js', () => new JsRowScanner()],
	];

	it.each(scanners)('%s: counts data rows, skips empty lines, ignores LFs in quotes', (_, make) => {
		const scanner = make();
		const chunk = Buffer.from('a,b\n\n"x\ny",1\r\n\r\nlast,"open\n');
		scanner.load(chunk);
		const scan = newRowScan();
		const stop = scanner.scan(0, 0, 1000, scan);
		expect(stop).toBe(chunk.length);
		expect(scan.dataRows).toBe(2);
		expect(scan.rowStart).toBe(chunk.indexOf('last'));
		expect(scan.inQuotes).toBe(true);
		expect(scan.overflowEnd).toBe(-1);
		expect(scan.lastByte).toBe(0x0a);
	});

	it.each(scanners)('%s: stops after the first row ending beyond the limit', (_, make) => {
		const scanner = make();
		const chunk = Buffer.from('r1\nr2\n\r\nr3\n');
		scanner.load(chunk);
		const scan = newRowScan();
		// limit 7 : rows "r1\n" (ends 3) and "r2\n" (ends 6) fit, the empty CRLF line (ends 8) does not
		expect(scanner.scan(0, 0, 7, scan)).toBe(8);
		expect(scan).toMatchObject({ dataRows: 2, rowStart: 6, overflowEnd: 8, overflowIsEmptyLine: true, inQuotes: false });
		scan.rowStart = 8;
		expect(scanner.scan(0, 8, 8, scan)).toBe(11);
		expect(scan).toMatchObject({ dataRows: 0, rowStart: 8, overflowEnd: 11, overflowIsEmptyLine: false });
	});

	it.each(scanners)('%s: sees an empty CRLF line cut between two chunks', (_, make) => {
		const scanner = make();
		const scan = newRowScan();
		scanner.load(Buffer.from('h\n1\n\r'));
		scanner.scan(0, 0, 100, scan);
		expect(scan.dataRows).toBe(2);
		scanner.load(Buffer.from('\n2\n'));
		scanner.scan(5, 0, 100, scan);
		expect(scan.dataRows).toBe(1);
		expect(scan.rowStart).toBe(8);
	});
});

describe('row scanner: a large input', () => {
	it('wasm and JS count the same rows in 1 MB of lead-like rows cut into 64 KiB chunks', () => {
		const rows: string[] = [];
		for (let n = 0, size = 0; size < 1_000_000; n++) {
			const row = n % 7 === 0 ? `lead${n},"Acme, Inc.","said ""hi""\nbye"\r\n` : `lead${n},Acme GmbH,plain note\n`;
			rows.push(row);
			size += row.length;
		}
		const bytes = Buffer.from(rows.join(''));
		const chunks: Buffer[] = [];
		for (let offset = 0; offset < bytes.length; offset += 65_536) chunks.push(bytes.subarray(offset, offset + 65_536));
		const count = (scanner: RowScanner) =>
			drive(scanner, chunks, newRowScan(), bytes.length + 1, 0).reduce((sum, step) => sum + step.scan.dataRows, 0);
		expect(count(new WasmRowScanner())).toBe(rows.length);
		expect(count(new JsRowScanner())).toBe(rows.length);
	});
});
