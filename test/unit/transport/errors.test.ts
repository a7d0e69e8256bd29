import type { INode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import {
	MARKETO_ERROR_CODES,
	describeMarketoCode,
	redactSecrets,
	toNodeApiError,
} from '../../../nodes/shared/transport/errors';

const node: INode = {
	id: '1',
	name: 'Marketo',
	type: 'x',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const DOCUMENTED_CODES = [
	'601',
	'602',
	'603',
	'604',
	'606',
	'607',
	'608',
	'609',
	'610',
	'611',
	'612',
	'613',
	'614',
	'615',
	'702',
	'713',
	'1003',
	'1006',
	'1008',
	'1009',
	'1013',
	'1016',
	'1019',
	'1025',
	'1026',
	'1029',
	'http-401',
	'http-413',
	'http-414',
	'http-5xx',
];

describe('Marketo code table', () => {
	it.each(DOCUMENTED_CODES)('has a meaning, a hint and a retry class for %s', (code) => {
		const info = MARKETO_ERROR_CODES[code];
		expect(info.meaning.length).toBeGreaterThan(3);
		expect(info.hint.length).toBeGreaterThan(20);
		expect(['reauth', 'backoff', 'rate-window', 'queue', 'empty', 'fail']).toContain(info.retry);
	});

	it('classifies the codes the way API-NOTES says', () => {
		expect(describeMarketoCode('601').retry).toBe('reauth');
		expect(describeMarketoCode('606').retry).toBe('rate-window');
		expect(describeMarketoCode('1016').retry).toBe('queue');
		expect(describeMarketoCode('702').retry).toBe('empty');
		expect(describeMarketoCode('607').retry).toBe('fail');
		expect(describeMarketoCode('502')).toBe(MARKETO_ERROR_CODES['http-5xx']);
		expect(describeMarketoCode('413')).toBe(MARKETO_ERROR_CODES['http-413']);
		expect(describeMarketoCode('9999').retry).toBe('fail');
	});
});

describe('redactSecrets', () => {
	it('removes known secret values and token-shaped text', () => {
		const text =
			'GET /identity/oauth/token?grant_type=client_credentials&client_id=abc&client_secret=TopSecret99 failed; ' +
			'header Authorization: Bearer cdbf1234-aaaa:ab; body {"access_token":"tok-xyz-123"} and again tok-xyz-123';
		const clean = redactSecrets(text, ['tok-xyz-123', 'TopSecret99', 'ab', undefined]);
		expect(clean).not.toContain('TopSecret99');
		expect(clean).not.toContain('tok-xyz-123');
		expect(clean).not.toContain('cdbf1234');
		expect(clean).toContain('grant_type=client_credentials');
		expect(clean).toContain('client_secret=[redacted]');
		expect(clean).toContain('Bearer [redacted]');
	});

	it('leaves ordinary text and very short "secrets" alone', () => {
		expect(redactSecrets('Max rate limit exceeded', ['ab'])).toBe('Max rate limit exceeded');
	});
});

describe('toNodeApiError', () => {
	it('carries Marketo code and message, the hint, the item and no secret', () => {
		const error = toNodeApiError(node, {
			code: '1006',
			message: "Field 'leadScore' not found; token s3cr3t-token-value",
			path: '/bulk/v1/leads.json?access_token=s3cr3t-token-value',
			itemIndex: 3,
			secrets: ['s3cr3t-token-value'],
		});
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe("Marketo error 1006: Field 'leadScore' not found; token [redacted]");
		expect(error.httpCode).toBe('1006');
		expect(error.description).toContain('REST API field name');
		expect(error.description).toContain('(/bulk/v1/leads.json)');
		expect(error.context.itemIndex).toBe(3);
		expect(JSON.stringify({ ...error, message: error.message })).not.toContain(
			's3cr3t-token-value',
		);
	});

	it('keeps its own message for network codes n8n would otherwise rephrase', () => {
		const error = toNodeApiError(node, {
			code: 'ECONNRESET',
			message: 'Network error ECONNRESET talking to https://h.com',
			path: '/rest/v1/x.json',
		});
		expect(error.message).toBe(
			'Marketo error ECONNRESET: Network error ECONNRESET talking to https://h.com',
		);
	});

	it.each(['601', '602'])(
		'says a refused token (%s) was refused "even after a refresh" only when one was tried',
		(code) => {
			const failure = { code, message: 'Access token invalid', path: '/rest/v1/x.json' };
			const refreshed = toNodeApiError(node, { ...failure, tokenRefreshed: true });
			const notRefreshed = toNodeApiError(node, { ...failure, tokenRefreshed: false });
			const unsaid = toNodeApiError(node, failure);

			expect(refreshed.description).toMatch(/even after a refresh|a new one was refused/);
			for (const error of [notRefreshed, unsaid]) {
				expect(error.description).not.toMatch(/after a refresh|new one/);
				expect(error.description).toContain('(/rest/v1/x.json)');
			}
		},
	);

	it('uses the HTTP status as the code for gateway errors', () => {
		const error = toNodeApiError(node, {
			code: '503',
			httpStatus: 503,
			message: 'HTTP 503 - Service Unavailable',
			path: '/rest/v1/x.json',
		});
		expect(error.httpCode).toBe('503');
		expect(error.description).toContain('HTTP 5xx');
	});
});
