/**
 * Test helpers: a reference writer (independent of the product writer), the
 * reference parser (csv-parse), fast-check generators for awkward tables and a
 * way to feed bytes as an async stream cut at chosen places.
 */
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';

export type LineEnding = '\n' | '\r\n';

export interface ReferenceFile {
	text: string;
	/** each written line (a row incl. its line ending; the last may lack one) */
	lines: string[];
}

/** Quotes only when needed, or always when `quoteAll` (both are valid RFC 4180). */
export function referenceField(value: string, delimiter: string, quoteAll = false): string {
	const needs = quoteAll || value.includes(delimiter) || /["\r\n]/.test(value);
	return needs ? '"' + value.split('"').join('""') + '"' : value;
}

export function writeReference(
	table: string[][],
	delimiter: string,
	lineEnding: LineEnding,
	options: { trailingNewline?: boolean; quoteAll?: boolean } = {},
): ReferenceFile {
	const trailing = options.trailingNewline ?? true;
	const lines = table.map((row, index) => {
		const body = row
			.map((value) => referenceField(value, delimiter, options.quoteAll))
			.join(delimiter);
		return index < table.length - 1 || trailing ? body + lineEnding : body;
	});
	return { text: lines.join(''), lines };
}

export function referenceParse(
	text: string | Buffer,
	delimiter: string,
	options: { skipEmptyLines?: boolean; lineEnding?: LineEnding } = {},
): string[][] {
	return parse(text, {
		delimiter,
		bom: true,
		relax_column_count: true,
		skip_empty_lines: options.skipEmptyLines ?? false,
		...(options.lineEnding ? { record_delimiter: options.lineEnding } : {}),
	}) as string[][];
}

/** Characters that stress a CSV reader, mixed with arbitrary unicode. */
export function awkwardValue(maxLength = 6): fc.Arbitrary<string> {
	const piece = fc.oneof(
		{
			weight: 3,
			arbitrary: fc.constantFrom(
				',',
				'\t',
				';',
				'"',
				'""',
				'\r',
				'\n',
				'\r\n',
				' ',
				'é',
				'😀',
				'中',
				'ß',
			),
		},
		{ weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
		{ weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
	);
	return fc.array(piece, { maxLength }).map((pieces) => pieces.join(''));
}

/** A table with `columns` columns whose rows all have that many fields. */
export function awkwardTable(
	options: { minColumns?: number; maxColumns?: number; maxRows?: number } = {},
) {
	return fc
		.integer({ min: options.minColumns ?? 1, max: options.maxColumns ?? 5 })
		.chain((columns) =>
			fc.array(fc.array(awkwardValue(), { minLength: columns, maxLength: columns }), {
				minLength: 1,
				maxLength: options.maxRows ?? 30,
			}),
		);
}

export const DELIMITERS = [',', '\t', ';'] as const;

/** Cuts `bytes` at the given positions (sorted, deduplicated, out-of-range ignored). */
export function cutAt(bytes: Buffer, positions: number[]): Buffer[] {
	const cuts = [...new Set(positions.filter((p) => p > 0 && p < bytes.length))].sort(
		(a, b) => a - b,
	);
	const chunks: Buffer[] = [];
	let start = 0;
	for (const cut of cuts) {
		chunks.push(bytes.subarray(start, cut));
		start = cut;
	}
	chunks.push(bytes.subarray(start));
	return chunks;
}

export async function* streamOf(
	chunks: Array<Buffer | Uint8Array>,
): AsyncGenerator<Buffer | Uint8Array> {
	for (const chunk of chunks) yield chunk;
}

/** Fixed seed so a failure reproduces; override with FC_SEED to explore. */
export const FC_SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20240611;
