import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import {
	cutAtRows,
	PART_BREAK,
	RowTooLargeError,
} from '../../../nodes/MarketoBulkExtract/helpers/output/fileCut';
import {
	automaticLimitBytes,
	DATABASE_STORE_DEFAULT_MIB,
	IN_MEMORY_STORE_MIB,
	MIB,
	storeKindOf,
	storeLimit,
} from '../../../nodes/MarketoBulkExtract/helpers/output/storeLimit';
import { createRowReader } from '../../../nodes/shared/csv/parser';

/** A file in chunks of `size` bytes, so a row or the header can be cut anywhere. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
	for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The parts of a cut file, and the rows `onRow` counted in each. */
async function cut(
	file: Buffer,
	chunkSize: number,
	maxBytes: number,
): Promise<{ parts: Buffer[]; rowsPerPart: number[] }> {
	const parts: Buffer[][] = [[]];
	const rowsPerPart = [0];
	for await (const event of cutAtRows(chunked(file, chunkSize), ',', maxBytes, () => {
		rowsPerPart[rowsPerPart.length - 1]++;
	})) {
		if (event === PART_BREAK) {
			parts.push([]);
			rowsPerPart.push(0);
		} else parts.at(-1)!.push(event);
	}
	return { parts: parts.map((chunks) => Buffer.concat(chunks)), rowsPerPart };
}

function rowsOf(bytes: Buffer): string[][] {
	const reader = createRowReader(',', { skipEmptyLines: true });
	return [...reader.write(bytes), ...reader.end()];
}

/** A seeded file of quoted values with delimiters and line breaks inside, and mixed line ends. */
function generatedFile(rows: number, seed: number): { file: Buffer; header: Buffer } {
	let state = seed;
	const random = () => {
		state = (state * 1103515245 + 12345) % 2 ** 31;
		return state / 2 ** 31;
	};
	const ends = ['\n', '\r\n', '\r'];
	const header = Buffer.from('"id","e\nmail",attributes\r\n');
	const lines: string[] = [];
	for (let i = 1; i <= rows; i++) {
		const text = 'x'.repeat(Math.floor(random() * 40));
		const value = random() < 0.3 ? `"${text},""quoted""\n${text}"` : text;
		lines.push(`${i},${value},{"a":${i}}${ends[Math.floor(random() * 3)]}`);
	}
	// The last row without a line break, as Marketo's files may end.
	return {
		file: Buffer.concat([header, Buffer.from(lines.join('').replace(/[\r\n]+$/, ''))]),
		header,
	};
}

describe('cutAtRows', () => {
	it('cuts between rows: each part under the limit, led by the header, every byte once, rows in order', async () => {
		const { file, header } = generatedFile(300, 7);
		const originalRows = rowsOf(file);
		for (const maxBytes of [header.length + 120, 700, 4_000, file.length - 1]) {
			for (const chunkSize of [1, 3, 17, 64, 4096]) {
				const { parts, rowsPerPart } = await cut(file, chunkSize, maxBytes);
				expect(parts.length).toBeGreaterThan(1);
				for (const part of parts) {
					expect(part.length).toBeLessThanOrEqual(maxBytes);
					expect(part.subarray(0, header.length).equals(header)).toBe(true);
				}
				// The parts without their repeated header are the file, byte for byte.
				const rejoined = Buffer.concat([
					parts[0],
					...parts.slice(1).map((part) => part.subarray(header.length)),
				]);
				expect(rejoined.equals(file)).toBe(true);
				// No row split: each part reads as whole rows, and together they are the file's rows.
				const partRows = parts.map((part) => rowsOf(part).slice(1));
				expect([originalRows[0], ...partRows.flat()]).toEqual(originalRows);
				expect(rowsPerPart).toEqual(partRows.map((rows) => rows.length));
			}
		}
	});

	it('fills a part up to exactly the limit (n8n refuses only a file over it)', async () => {
		const file = Buffer.from('h\na\nb\nc\n');
		const { parts } = await cut(file, 3, 6);
		expect(parts.map(String)).toEqual(['h\na\nb\n', 'h\nc\n']);
		expect((await cut(file, 3, 5)).parts.map(String)).toEqual(['h\na\n', 'h\nb\n', 'h\nc\n']);
	});

	it('leaves a file under the limit whole, and an empty or header-only file as one part', async () => {
		const file = Buffer.from('id,email\r\n1,a@x.com\r\n2,b@x.com');
		expect((await cut(file, 4, file.length)).parts).toEqual([file]);
		expect((await cut(Buffer.alloc(0), 4, 10)).parts).toEqual([Buffer.alloc(0)]);
		expect((await cut(Buffer.from('id,email'), 4, 10)).parts.map(String)).toEqual(['id,email']);
	});

	it('refuses a row that cannot fit with the header, and keeps an unclosed quote as the last row', async () => {
		await expect(cut(Buffer.from('h\n1\n22222222\n3\n'), 2, 6)).rejects.toThrow(RowTooLargeError);
		const unclosed = Buffer.from('h\n1\n"2\n3\n');
		const { parts } = await cut(unclosed, 2, 7);
		expect(parts.map(String)).toEqual(['h\n1\n', 'h\n"2\n3\n']);
		expect(Buffer.concat([parts[0], ...parts.slice(1).map((p) => p.subarray(2))])).toEqual(
			unclosed,
		);
	});
});

describe('storeLimit', () => {
	const binary = (id?: string) => ({ id, data: '', mimeType: 'text/plain' }) as IBinaryData;

	it('knows the store by the id n8n gives a binary', () => {
		expect(storeKindOf(binary('database:3f2a'))).toBe('database');
		expect(storeKindOf(binary())).toBe('memory');
		expect(storeKindOf(binary('filesystem-v2:workflows/1/executions/2/binary_data/x'))).toBe(
			'unlimited',
		);
		expect(automaticLimitBytes('database')).toBe(DATABASE_STORE_DEFAULT_MIB * MIB);
		expect(automaticLimitBytes('memory')).toBe(IN_MEMORY_STORE_MIB * MIB);
		expect(automaticLimitBytes('unlimited')).toBe(Infinity);
	});

	it("takes the user's limit as it is, and looks at the store once, only for a file that may not fit", async () => {
		const probes: string[] = [];
		const context = {
			helpers: {
				prepareBinaryData: async (_data: Buffer, fileName: string) => {
					probes.push(fileName);
					return binary('database:probe');
				},
			},
		} as unknown as IExecuteFunctions;
		expect(await storeLimit(context, 2.5)(10 * 1024 * MIB)).toBe(2.5 * MIB);
		const limit = storeLimit(context, 0);
		expect(await limit(IN_MEMORY_STORE_MIB * MIB)).toBe(Infinity);
		expect(probes).toEqual([]);
		expect(await limit(IN_MEMORY_STORE_MIB * MIB + 1)).toBe(512 * MIB);
		expect(await limit(null)).toBe(512 * MIB);
		expect(probes).toHaveLength(1);
	});
});
