import { NodeOperationError, type IExecuteFunctions, type INode } from 'n8n-workflow';

import { toNodeError } from '../../../nodes/shared/nodeErrors';
import { isBlank, parseMarketoId } from '../../../nodes/MarketoBulkImport/helpers/plan/ids';
import {
	openBinarySource,
	parseColumnList,
} from '../../../nodes/MarketoBulkImport/helpers/input/readInput';
import { submitSettingsFrom } from '../../../nodes/MarketoBulkImport/helpers/run/importOptions';
import {
	effectiveMaxPartBytes,
	MAX_UPLOAD_BYTES,
	resolveFormat,
} from '../../../nodes/MarketoBulkImport/helpers/upload/lookBeforeUpload';
import { matchesFilter, nextProgramOffset } from '../../../nodes/shared/instance/listSearch';
import {
	lookupFieldOptions,
	memberStatusOptions,
} from '../../../nodes/MarketoBulkImport/methods/loadOptions';

const node = { name: 'Marketo Bulk Import' } as INode;

async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<string> {
	const all: Buffer[] = [];
	for await (const chunk of chunks) all.push(chunk);
	return Buffer.concat(all).toString();
}

/** A context whose binary store counts how the node reads the file. */
function binaryContext(id: string) {
	const reads = { buffer: 0, stream: 0 };
	const context = {
		helpers: {
			assertBinaryData: () => ({ id, data: '', mimeType: 'text/csv', fileName: 'leads.csv' }),
			getBinaryDataBuffer: async () => {
				reads.buffer++;
				return Buffer.from('email\na@example.com\n');
			},
			getBinaryStream: async () => {
				reads.stream++;
				return (async function* () {
					yield Buffer.from('email\na@example.com\n');
				})();
			},
		},
	} as unknown as IExecuteFunctions;
	return { context, reads };
}

describe('reading the input binary', () => {
	it("fetches a file in n8n's database store once however often it is opened (each fetch loads all of it)", async () => {
		const { context, reads } = binaryContext('database:4f1c');
		const source = openBinarySource(context, 0, 'data');
		const opened = await Promise.all([source.open(), source.open()]);
		opened.push(await source.open());
		for (const chunks of opened) expect(await bytesOf(chunks)).toBe('email\na@example.com\n');
		expect(reads).toEqual({ buffer: 1, stream: 0 });
	});

	it('streams a file from the filesystem or S3 store on every open (no copy held in memory)', async () => {
		for (const id of ['filesystem-v2:workflows/1/x', 's3:workflows/1/x']) {
			const { context, reads } = binaryContext(id);
			const source = openBinarySource(context, 0, 'data');
			expect(await bytesOf(await source.open())).toBe('email\na@example.com\n');
			expect(await bytesOf(await source.open())).toBe('email\na@example.com\n');
			expect(reads).toEqual({ buffer: 0, stream: 2 });
		}
	});
});

describe('input helpers', () => {
	it('reads Marketo IDs from text or numbers and rejects the rest', () => {
		expect(parseMarketoId('1001')).toBe(1001);
		expect(parseMarketoId(' 42 ')).toBe(42);
		expect(parseMarketoId(7)).toBe(7);
		for (const bad of ['', 'abc', '12a', '-3', '0', 1.5, null, undefined, {}])
			expect(parseMarketoId(bad)).toBeUndefined();
		expect([
			isBlank(''),
			isBlank('  '),
			isBlank(undefined),
			isBlank(null),
			isBlank('x'),
			isBlank(0),
		]).toEqual([true, true, true, true, false, false]);
	});

	it('splits the Columns parameter', () => {
		expect(parseColumnList(' email, firstName,,lastName ,')).toEqual([
			'email',
			'firstName',
			'lastName',
		]);
		expect(parseColumnList('')).toEqual([]);
	});
});

describe('submit settings', () => {
	it('defaults to 10 MB parts, preflight on and a 60-minute queue wait', () => {
		expect(submitSettingsFrom({})).toEqual({
			preflight: true,
			partSizeLimitBytes: 10_000_000,
			queueWaitLimitMs: 3_600_000,
		});
	});

	it('takes smaller parts and other limits, never more than 10 MB', () => {
		expect(
			submitSettingsFrom({ partSizeMb: 0.001, preflightCheck: false, queueWaitMinutes: 0.5 }),
		).toEqual({
			preflight: false,
			partSizeLimitBytes: 1_000,
			queueWaitLimitMs: 30_000,
		});
		expect(submitSettingsFrom({ partSizeMb: 50 }).partSizeLimitBytes).toBe(10_000_000);
	});

	it("leaves room for the multipart envelope only when the limit is near Marketo's maximum", () => {
		const full = effectiveMaxPartBytes(MAX_UPLOAD_BYTES, 'leads.csv');
		expect(full).toBeLessThan(MAX_UPLOAD_BYTES);
		expect(full).toBeGreaterThan(MAX_UPLOAD_BYTES - 2_000);
		expect(effectiveMaxPartBytes(1_000, 'leads.csv')).toBe(1_000);
	});

	it('uses the chosen format, or detects it from name and header', () => {
		const semicolons = Buffer.from('email;firstName\na@b.c;A\n');
		expect(resolveFormat('tsv', 'x.csv', 'text/csv', semicolons)).toBe('tsv');
		expect(resolveFormat('auto', 'x.csv', 'text/csv', semicolons)).toBe('ssv');
		expect(resolveFormat('auto', 'x.tsv', undefined, Buffer.from('email\tname\n'))).toBe('tsv');
		expect(resolveFormat('auto', undefined, undefined, Buffer.from('email\na@b.c\n'))).toBe('csv');
	});
});

describe('dropdown helpers', () => {
	it('lists documented lookup fields, then custom string/email/integer fields', () => {
		const options = lookupFieldOptions([
			{ name: 'email', displayName: 'Email Address', dataType: 'email' },
			{ name: 'firstName', displayName: 'First Name', dataType: 'string' },
			{ name: 'loyaltyId', displayName: 'Loyalty ID', dataType: 'integer' },
			{ name: 'altEmail', displayName: 'Alt Email', dataType: 'email' },
			{ name: 'discount', displayName: 'Discount', dataType: 'float' },
		]);
		const values = options.map((o) => o.value);
		expect(values.slice(0, 2)).toEqual(['email', 'id']);
		expect(values.slice(-2)).toEqual(['altEmail', 'loyaltyId']);
		expect(values).not.toContain('firstName');
		expect(values).not.toContain('discount');
		expect(values.filter((v) => v === 'email')).toHaveLength(1);
	});

	it('orders member statuses by step and marks success statuses', () => {
		const options = memberStatusOptions({
			name: 'Webinar',
			progressionStatuses: [
				{ name: 'Attended', step: 3, success: true },
				{ name: 'Not in Program', step: 0 },
				{ name: 'Registered', step: 2 },
			],
		});
		expect(options.map((o) => o.value)).toEqual(['Not in Program', 'Registered', 'Attended']);
		expect(options[2].description).toBe('Success status');
	});

	it('filters by part of the name and pages programs by offset', () => {
		expect(matchesFilter('VIP Customers', 'vip')).toBe(true);
		expect(matchesFilter('VIP Customers', ' customers ')).toBe(true);
		expect(matchesFilter('VIP Customers', 'leads')).toBe(false);
		expect(matchesFilter('Anything', undefined)).toBe(true);
		expect(nextProgramOffset(0, 200, 200)).toBe(200);
		expect(nextProgramOffset(400, 13, 200)).toBeUndefined();
	});
});

describe('toNodeError', () => {
	it('passes n8n errors through and wraps anything else with the item index', () => {
		const operationError = new NodeOperationError(node, 'bad input');
		expect(toNodeError(node, operationError, 3)).toBe(operationError);
		const wrapped = toNodeError(node, new Error('boom'), 3);
		expect(wrapped).toBeInstanceOf(NodeOperationError);
		expect(wrapped.message).toBe('boom');
		expect(wrapped.context.itemIndex).toBe(3);
	});
});
