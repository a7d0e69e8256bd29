import FormData from 'form-data';
import Busboy from 'busboy';

import {
	buildMultipartBody,
	generateBoundary,
	type MultipartField,
} from '../../nodes/shared/transport/multipart';

function formDataBytes(fields: MultipartField[], boundary: string): Buffer {
	const form = new FormData();
	form.setBoundary(boundary);
	for (const field of fields) {
		if ('file' in field)
			form.append(field.name, field.file, {
				filename: field.fileName,
				contentType: field.contentType,
			});
		else form.append(field.name, field.value);
	}
	return form.getBuffer();
}

/** Reads the body back with a real multipart parser. */
function parseWithBusboy(body: Buffer, contentType: string) {
	return new Promise<Array<{ name: string; value: Buffer; fileName?: string; mimeType?: string }>>(
		(resolve, reject) => {
			const fields: Array<{ name: string; value: Buffer; fileName?: string; mimeType?: string }> =
				[];
			const parser = Busboy({ headers: { 'content-type': contentType } });
			parser.on('field', (name, value) => fields.push({ name, value: Buffer.from(value) }));
			parser.on('file', (name, stream, info) => {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => chunks.push(chunk));
				stream.on('end', () =>
					fields.push({
						name,
						value: Buffer.concat(chunks),
						fileName: info.filename,
						mimeType: info.mimeType,
					}),
				);
			});
			parser.on('close', () => resolve(fields));
			parser.on('error', reject);
			parser.end(body);
		},
	);
}

const BOUNDARY = '--------------------------123456789012345678901234';

describe('buildMultipartBody', () => {
	const binary = Buffer.concat([
		Buffer.from('email,note\r\n"a@x.com","--not-the-boundary\r\n"\r\n'),
		Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a, 0x2d, 0x2d]),
	]);
	const cases: Array<[string, MultipartField[]]> = [
		[
			'a CSV file',
			[
				{
					name: 'file',
					file: Buffer.from('email\na@x.com\n'),
					fileName: 'leads.csv',
					contentType: 'text/csv',
				},
			],
		],
		[
			'text fields and a file',
			[
				{ name: 'format', value: 'csv' },
				{ name: 'file', file: binary, fileName: 'part 1 of 3.csv', contentType: 'text/csv' },
				{ name: 'note', value: 'Zoë 😀 "quoted"' },
			],
		],
		[
			'a tab-separated file, empty value and empty file',
			[
				{ name: 'empty', value: '' },
				{
					name: 'file',
					file: Buffer.alloc(0),
					fileName: 'x.tsv',
					contentType: 'text/tab-separated-values',
				},
			],
		],
		[
			'names needing escapes and a path',
			[
				{ name: 'we"ird\r\nname', value: 'v' },
				{
					name: 'file',
					file: binary,
					fileName: 'exports/2024/evil"\r\nX-Injected: 1.csv',
					contentType: 'application/octet-stream',
				},
			],
		],
		['no fields', []],
	];

	it.each(cases)('encodes %s byte for byte like form-data', (_label, fields) => {
		const built = buildMultipartBody(fields, BOUNDARY);
		expect(built.body.equals(formDataBytes(fields, BOUNDARY))).toBe(true);
		expect(built.boundary).toBe(BOUNDARY);
		expect(built.contentType).toBe(`multipart/form-data; boundary=${BOUNDARY}`);
	});

	it('matches form-data with its own kind of random boundary, and a real parser reads it back', async () => {
		const fields: MultipartField[] = [
			{ name: 'format', value: 'ssv' },
			{ name: 'file', file: binary, fileName: 'leads.csv', contentType: 'text/csv' },
		];
		const built = buildMultipartBody(fields);
		expect(built.boundary).toMatch(/^-{26}[0-9a-f]{24}$/);
		expect(built.body.equals(formDataBytes(fields, built.boundary))).toBe(true);
		const parsed = await parseWithBusboy(built.body, built.contentType);
		expect(parsed).toEqual([
			{ name: 'format', value: Buffer.from('ssv') },
			{ name: 'file', value: binary, fileName: 'leads.csv', mimeType: 'text/csv' },
		]);
	});

	it('never lets a file name inject a header line', () => {
		const built = buildMultipartBody(
			[
				{
					name: 'file',
					file: Buffer.from('x'),
					fileName: 'a"\r\nContent-Type: evil.csv',
					contentType: 'text/csv',
				},
			],
			BOUNDARY,
		);
		const headerLines = built.body.toString('latin1').split('\r\n');
		expect(headerLines[1]).toBe(
			'Content-Disposition: form-data; name="file"; filename="a%22%0D%0AContent-Type: evil.csv"',
		);
		expect(headerLines[2]).toBe('Content-Type: text/csv');
	});

	it('refuses a given boundary that occurs in a value or is malformed, and a multi-line content type', () => {
		const file = Buffer.from(`x\r\n--${BOUNDARY}\r\n`);
		expect(() =>
			buildMultipartBody(
				[{ name: 'file', file, fileName: 'a.csv', contentType: 'text/csv' }],
				BOUNDARY,
			),
		).toThrow('The multipart boundary occurs inside a field value');
		expect(() => buildMultipartBody([], 'bad\r\nboundary')).toThrow(
			'A multipart boundary is 1 to 70 characters from the set RFC 2046 allows',
		);
		expect(() =>
			buildMultipartBody([
				{
					name: 'file',
					file: Buffer.from('x'),
					fileName: 'a.csv',
					contentType: 'text/csv\r\nX: 1',
				},
			]),
		).toThrow('The file field "file" needs a one-line content type');
	});

	it('generates different boundaries each time', () => {
		expect(generateBoundary()).not.toBe(generateBoundary());
	});
});
