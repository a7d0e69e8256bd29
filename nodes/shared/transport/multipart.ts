/**
 * Builds a multipart/form-data request body as one Buffer.
 *
 * The bytes are the same as the `form-data` npm package produces for the same
 * fields and boundary (its `getBuffer()`), which is what Marketo's examples and
 * most HTTP clients send. A ready Buffer (rather than a stream) has a known
 * Content-Length and can be sent again on a retry. Per field:
 *
 *   --<boundary>\r\n
 *   Content-Disposition: form-data; name="<name>"[; filename="<file name>"]\r\n
 *   [Content-Type: <type>\r\n]
 *   \r\n
 *   <value bytes>\r\n
 *
 * and at the end `--<boundary>--\r\n`.
 */

import { randomBytes } from 'crypto';

export interface MultipartTextField {
	name: string;
	value: string;
}

export interface MultipartFileField {
	name: string;
	file: Buffer;
	fileName: string;
	contentType: string;
}

export type MultipartField = MultipartTextField | MultipartFileField;

export interface MultipartBody {
	body: Buffer;
	/** the request's Content-Type header value */
	contentType: string;
	boundary: string;
}

const LINE_BREAK = '\r\n';

/** Same shape as form-data's boundaries: 26 dashes then 24 hex digits. */
export function generateBoundary(): string {
	return '--------------------------' + randomBytes(12).toString('hex');
}

/**
 * Makes a name or file name safe inside a quoted header parameter: CR, LF and `"`
 * are percent-encoded (the WHATWG multipart rule, as form-data does), so a file
 * name cannot end the header line and inject headers or parts.
 */
export function escapeHeaderParameter(value: string): string {
	return value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

/**
 * The last path segment, like POSIX basename (form-data sends only that):
 * trailing slashes are ignored, `reports/leads.csv` becomes `leads.csv`.
 */
export function baseNameOf(fileName: string): string {
	const trimmed = fileName.replace(/\/+$/, '');
	return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function isFileField(field: MultipartField): field is MultipartFileField {
	return (field as MultipartFileField).file !== undefined;
}

function fieldHeader(field: MultipartField, boundary: string): string {
	let disposition = `Content-Disposition: form-data; name="${escapeHeaderParameter(field.name)}"`;
	let typeLine = '';
	if (isFileField(field)) {
		const baseName = baseNameOf(field.fileName);
		if (baseName) disposition += `; filename="${escapeHeaderParameter(baseName)}"`;
		if (!field.contentType || /[\r\n]/.test(field.contentType)) {
			throw new Error(`The file field "${field.name}" needs a one-line content type`);
		}
		typeLine = `Content-Type: ${field.contentType}${LINE_BREAK}`;
	}
	return `--${boundary}${LINE_BREAK}${disposition}${LINE_BREAK}${typeLine}${LINE_BREAK}`;
}

function valueBytes(field: MultipartField): Buffer {
	return isFileField(field) ? field.file : Buffer.from(field.value, 'utf8');
}

function containsDelimiter(values: Buffer[], boundary: string): boolean {
	const delimiter = `--${boundary}`;
	return values.some((value) => value.includes(delimiter));
}

/**
 * Encodes the fields in order. Without `boundary` a random one is generated (and
 * generated again in the practically impossible case that a value contains it);
 * a given boundary that occurs in a value is an error, since the receiver would
 * cut the value there.
 */
export function buildMultipartBody(fields: MultipartField[], boundary?: string): MultipartBody {
	const values = fields.map(valueBytes);
	let chosen = boundary ?? generateBoundary();
	if (boundary !== undefined) {
		if (!/^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(boundary) || boundary.endsWith(' ')) {
			throw new Error('A multipart boundary is 1 to 70 characters from the set RFC 2046 allows');
		}
		if (containsDelimiter(values, boundary)) {
			throw new Error('The multipart boundary occurs inside a field value');
		}
	} else {
		while (containsDelimiter(values, chosen)) chosen = generateBoundary();
	}

	const pieces: Buffer[] = [];
	for (let i = 0; i < fields.length; i++) {
		pieces.push(
			Buffer.from(fieldHeader(fields[i], chosen), 'utf8'),
			values[i],
			Buffer.from(LINE_BREAK),
		);
	}
	pieces.push(Buffer.from(`--${chosen}--${LINE_BREAK}`));
	return {
		body: Buffer.concat(pieces),
		contentType: `multipart/form-data; boundary=${chosen}`,
		boundary: chosen,
	};
}
