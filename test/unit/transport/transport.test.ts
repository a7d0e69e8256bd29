import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { runNode } from '../../harness';
import { routeRetryWaitsTo } from '../../harness/retryWaits';
import { CreateOutcomeUnknownError } from '../../../nodes/shared/transport';
import {
	ScriptedServer,
	TOKEN_PATH,
	marketoError,
	marketoResult,
	unusedPort,
} from './scriptedServer';
import { probe } from './transportProbe';
import { configurePacing, resetPacing } from '../../../nodes/shared/pacing';

const SECRET = 'client-secret-value-123';
const DESCRIBE = '/rest/v1/leads/describe2.json';
const CREATE = '/bulk/v1/leads.json';

const server = new ScriptedServer();

function credentials(extra: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return { restEndpoint: server.restUrl, clientId: 'client-id-1', clientSecret: SECRET, ...extra };
}

async function run(
	parameters: Record<string, unknown>,
	options: {
		credentials?: ICredentialDataDecryptedObject;
		abortSignal?: AbortSignal;
		node?: ReturnType<typeof probe>;
	} = {},
) {
	return await runNode({
		node: options.node ?? probe(),
		parameters: parameters as never,
		input: [{ json: {} }],
		credentials: { marketoApi: options.credentials ?? credentials() },
		abortSignal: options.abortSignal,
	});
}

function first(outputs: INodeExecutionData[][]) {
	return outputs[0][0].json;
}

/** Everything a user could see of an error. */
function visibleText(error: unknown): string {
	const e = error as NodeApiError;
	return JSON.stringify({
		message: e.message,
		description: e.description,
		context: e.context,
		cause: String(e.cause),
	});
}

async function failure(promise: Promise<unknown>): Promise<NodeApiError> {
	try {
		await promise;
	} catch (error) {
		return error as NodeApiError;
	}
	throw new Error('expected the call to fail');
}

beforeAll(async () => {
	await server.listen();
});

afterAll(async () => {
	await server.close();
	resetPacing();
});

beforeEach(() => {
	server.reset();
	// Retry waits are scaled down (a 20 s rate window becomes 20 ms); jitter is fixed.
	configurePacing({ retry: { scale: 0.001, random: () => 0.5 } });
	configurePacing({ throttle: { maxInFlight: 5, maxCallsPerWindow: 10_000, windowMs: 20_000 } });
});

describe('token handling', () => {
	it('fetches a token once, sends it only in the Authorization header and stores it', async () => {
		server.script(DESCRIBE, marketoResult([{ name: 'email' }]));
		const { outputs, credentialUpdates } = await run({ call: 'request', path: DESCRIBE });

		expect(first(outputs).result).toEqual([{ name: 'email' }]);
		const [tokenCall] = server.requestsTo(TOKEN_PATH);
		expect(tokenCall.query).toMatchObject({
			grant_type: 'client_credentials',
			client_id: 'client-id-1',
			client_secret: SECRET,
		});
		const [apiCall] = server.apiRequests();
		expect(apiCall.headers.authorization).toBe('Bearer token-1');
		expect(apiCall.url).not.toContain('token-1');
		expect(apiCall.url).not.toContain('access_token');
		expect(apiCall.url).not.toContain(SECRET);
		expect(credentialUpdates).toHaveLength(1);
		expect(credentialUpdates[0].accessToken).toBe('token-1');
	});

	it.each(['601', '602'])(
		'refreshes exactly once on %s, stores the new token and retries',
		async (code) => {
			server.script(
				DESCRIBE,
				marketoError(code, 'Access token invalid'),
				marketoResult([{ ok: 1 }]),
			);
			const { outputs, credentialUpdates } = await run({ call: 'request', path: DESCRIBE });

			expect(first(outputs).result).toEqual([{ ok: 1 }]);
			expect(server.requestsTo(TOKEN_PATH)).toHaveLength(2);
			expect(server.apiRequests().map((r) => r.headers.authorization)).toEqual([
				'Bearer token-1',
				'Bearer token-2',
			]);
			expect(credentialUpdates.map((update) => update.accessToken)).toEqual(['token-1', 'token-2']);
		},
	);

	it('fails after one refresh when Marketo still refuses the new token', async () => {
		server.script(DESCRIBE, marketoError('601', 'Access token invalid'));
		const error = await failure(run({ call: 'request', path: DESCRIBE }));

		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.httpCode).toBe('601');
		expect(server.requestsTo(TOKEN_PATH)).toHaveLength(2);
		expect(server.apiRequests()).toHaveLength(2);
		expect(visibleText(error)).not.toContain(SECRET);
		expect(visibleText(error)).not.toMatch(/token-\d/);
	});

	it('refreshes before the call when the stored token has under 60 s left', async () => {
		server.script(DESCRIBE, marketoResult([]));
		const stored = credentials({
			accessToken: 'old-token-abc',
			accessTokenExpiresAt: Date.now() + 30_000,
		});
		const { credentialUpdates } = await run(
			{ call: 'request', path: DESCRIBE },
			{ credentials: stored },
		);

		expect(server.apiRequests()[0].headers.authorization).toBe('Bearer token-1');
		expect(credentialUpdates[0]).toMatchObject({ accessToken: 'token-1', clientSecret: SECRET });
	});

	it('uses a stored token with plenty of life without asking identity', async () => {
		server.script(DESCRIBE, marketoResult([]));
		const stored = credentials({
			accessToken: 'live-token-abc',
			accessTokenExpiresAt: Date.now() + 3_000_000,
		});
		const { credentialUpdates } = await run(
			{ call: 'request', path: DESCRIBE },
			{ credentials: stored },
		);

		expect(server.requestsTo(TOKEN_PATH)).toHaveLength(0);
		expect(server.apiRequests()[0].headers.authorization).toBe('Bearer live-token-abc');
		expect(credentialUpdates).toHaveLength(0);
	});

	it('reports a rejected client secret in admin words, without the secret', async () => {
		server.script(TOKEN_PATH, {
			status: 401,
			json: { error: 'invalid_client', error_description: 'Bad client credentials' },
		});
		const error = await failure(run({ call: 'request', path: DESCRIBE }));

		expect(error.message).toContain(
			'Marketo rejected the Client ID or Client Secret (invalid_client)',
		);
		expect(visibleText(error)).not.toContain(SECRET);
		expect(server.apiRequests()).toHaveLength(0);
	});

	it('reports an unreachable identity service without the query string', async () => {
		const port = await unusedPort();
		const error = await failure(
			run(
				{ call: 'request', path: DESCRIBE },
				{ credentials: credentials({ restEndpoint: `http://127.0.0.1:${port}/rest` }) },
			),
		);
		expect(error.message).toContain(
			`Could not reach Marketo's identity service at http://127.0.0.1:${port}/identity`,
		);
		expect(visibleText(error)).not.toContain(SECRET);
		expect(visibleText(error)).not.toContain('client_secret');
	});
});

describe('retries on Marketo envelope errors', () => {
	it('waits out a 606 rate window and succeeds', async () => {
		server.script(
			DESCRIBE,
			marketoError('606', "Max rate limit '100' exceeded with in '20' secs"),
			marketoResult([{ ok: 1 }]),
		);
		const { outputs } = await run({ call: 'request', path: DESCRIBE });
		expect(first(outputs).result).toEqual([{ ok: 1 }]);
		expect(server.apiRequests()).toHaveLength(2);
	});

	it.each(['615', '604', '608', '611', '713'])('backs off on %s and succeeds', async (code) => {
		server.script(
			DESCRIBE,
			marketoError(code, 'transient'),
			marketoError(code, 'transient'),
			marketoResult([{ ok: code }]),
		);
		const { outputs } = await run({ call: 'request', path: DESCRIBE });
		expect(first(outputs).result).toEqual([{ ok: code }]);
		expect(server.apiRequests()).toHaveLength(3);
	});

	it('gives up on a 615 storm after a bounded number of attempts', async () => {
		server.script(DESCRIBE, marketoError('615', "Concurrent access limit '10' reached"));
		const error = await failure(run({ call: 'request', path: DESCRIBE }));
		expect(error.httpCode).toBe('615');
		expect(error.message).toContain("Marketo error 615: Concurrent access limit '10' reached");
		expect(server.apiRequests()).toHaveLength(6);
	});

	it('fails 607 at once with a message that says when the quota resets', async () => {
		server.script(DESCRIBE, marketoError('607', 'Daily quota reached'));
		const error = await failure(run({ call: 'request', path: DESCRIBE }));
		expect(error.httpCode).toBe('607');
		expect(error.message).toBe('Marketo error 607: Daily quota reached');
		expect(error.description).toContain('midnight US Central');
		expect(server.apiRequests()).toHaveLength(1);
	});

	it('fails 603 naming the permissions the role needs', async () => {
		server.script(DESCRIBE, marketoError('603', 'Access denied'));
		const error = await failure(run({ call: 'request', path: DESCRIBE }));
		expect(error.httpCode).toBe('603');
		expect(error.description).toContain("'Read-Write Lead'");
		expect(error.description).toContain('Admin > Users & Roles');
		expect(server.apiRequests()).toHaveLength(1);
	});

	it('treats 702 as an empty result', async () => {
		server.script(DESCRIBE, marketoError('702', 'No data found for given search scope'));
		const { outputs } = await run({ call: 'request', path: DESCRIBE });
		expect(first(outputs).result).toEqual([]);
	});
});

describe('HTTP and network failures', () => {
	it('retries a GET through 502 and 503 gateway pages', async () => {
		const html = (status: number) => ({
			status,
			contentType: 'text/html',
			body: `<html><body><h1>${status} Bad Gateway</h1></body></html>`,
		});
		server.script(DESCRIBE, html(502), html(503), marketoResult([{ ok: 1 }]));
		const { outputs } = await run({ call: 'request', path: DESCRIBE });
		expect(first(outputs).result).toEqual([{ ok: 1 }]);
		expect(server.apiRequests()).toHaveLength(3);
	});

	it('does not resend a create-import after a 502: it says the outcome is unknown (Marketo may have queued it)', async () => {
		server.script(CREATE, {
			status: 502,
			contentType: 'text/html',
			body: '<h1>502 Bad Gateway</h1>',
		});
		const error = await failure(
			run({ call: 'createImport', method: 'POST', path: CREATE, qs: { format: 'csv' } }),
		);
		expect(error).toBeInstanceOf(CreateOutcomeUnknownError);
		const unknown = error as unknown as CreateOutcomeUnknownError;
		expect(unknown.code).toBe('502');
		expect(unknown.nodeError.httpCode).toBe('502');
		expect(unknown.message).toContain('502 Bad Gateway');
		expect(server.requestsTo(CREATE)).toHaveLength(1);
	});

	it('retries a GET after a connection reset', async () => {
		server.script(DESCRIBE, { reset: true }, marketoResult([{ ok: 1 }]));
		const { outputs } = await run({ call: 'request', path: DESCRIBE });
		expect(first(outputs).result).toEqual([{ ok: 1 }]);
		expect(server.apiRequests()).toHaveLength(2);
	});

	it('does not resend a create-import after a connection reset', async () => {
		server.script(
			CREATE,
			{ reset: true },
			marketoResult([{ batchId: 1, importId: '1', status: 'Queued' }]),
		);
		const error = await failure(
			run({ call: 'createImport', method: 'POST', path: CREATE, qs: { format: 'csv' } }),
		);
		expect(error).toBeInstanceOf(CreateOutcomeUnknownError);
		expect((error as unknown as CreateOutcomeUnknownError).code).toMatch(/^E|socket/i);
		expect(server.requestsTo(CREATE)).toHaveLength(1);
	});

	it('resends a create-import refused before it was sent (ECONNREFUSED)', async () => {
		const refused = new ScriptedServer();
		const port = await unusedPort();
		let listening: Promise<void> | undefined;
		// The server starts listening while the transport waits to resend, and the wait ends
		// once it listens: the resend reaches it on every run, however slow the machine.
		const waitsAsked: number[] = [];
		const retryWaits = routeRetryWaitsTo({
			now: () => 0,
			sleep: async (ms) => {
				waitsAsked.push(ms);
				await (listening ??= refused.listen(port));
			},
		});
		refused.script(CREATE, marketoResult([{ batchId: 77, importId: '77', status: 'Queued' }]));
		try {
			const stored = {
				restEndpoint: `http://127.0.0.1:${port}/rest`,
				clientId: 'c',
				clientSecret: SECRET,
				accessToken: 'preset-token-1',
				accessTokenExpiresAt: Date.now() + 3_000_000,
			};
			const { outputs } = await run(
				{ call: 'createImport', method: 'POST', path: CREATE, qs: { format: 'csv' } },
				{ credentials: stored },
			);
			expect(first(outputs)).toEqual({ batchId: 77, importId: '77', status: 'Queued' });
			expect(waitsAsked).toHaveLength(1);
			expect(refused.requestsTo(CREATE)).toHaveLength(1);
		} finally {
			retryWaits.mockRestore();
			await listening;
			await refused.close();
		}
	});
});

describe('create import', () => {
	it('uploads the file as multipart part "file" with format in the query', async () => {
		server.script(CREATE, marketoResult([{ batchId: 12, importId: '12', status: 'Queued' }]));
		const { outputs } = await run({
			call: 'createImport',
			method: 'POST',
			path: CREATE,
			qs: { format: 'csv', listId: 5 },
		});

		expect(first(outputs)).toEqual({ batchId: 12, importId: '12', status: 'Queued' });
		const [upload] = server.requestsTo(CREATE);
		expect(upload.query).toEqual({ format: 'csv', listId: '5' });
		expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		const body = upload.body.toString('utf8');
		expect(body).toContain('Content-Disposition: form-data; name="file"; filename="part-1.csv"');
		expect(body).toContain('email\nada@example.com\n');
	});

	it.each(['1016', '1019'] as const)(
		'hands a full queue (%s) to waitForQueueSlot, then succeeds',
		async (code) => {
			const waits: Array<[number, string]> = [];
			server.script(
				CREATE,
				marketoError(
					code,
					'There are 10 imports currently being processed. Please try again later',
				),
				marketoError(
					code,
					'There are 10 imports currently being processed. Please try again later',
				),
				marketoResult([{ batchId: 9, importId: '9', status: 'Queued' }]),
			);
			const node = probe(async (attempt, queueCode) => {
				waits.push([attempt, queueCode]);
			});
			const { outputs } = await run(
				{ call: 'createImport', method: 'POST', path: CREATE, qs: { format: 'csv' } },
				{ node },
			);

			expect(waits).toEqual([
				[1, code],
				[2, code],
			]);
			expect(first(outputs).batchId).toBe(9);
			expect(server.requestsTo(CREATE)).toHaveLength(3);
		},
	);

	it('lets waitForQueueSlot stop the wait by throwing', async () => {
		server.script(CREATE, marketoError('1016', 'Too many imports'));
		const node = probe(async () => {
			throw new Error('queue still full after 30 minutes');
		});
		await expect(
			run({ call: 'createImport', method: 'POST', path: CREATE, qs: { format: 'csv' } }, { node }),
		).rejects.toThrow('queue still full after 30 minutes');
	});

	it('backs off by itself on 1016 when no waitForQueueSlot is given', async () => {
		server.script(
			CREATE,
			marketoError('1016', 'Too many imports'),
			marketoResult([{ batchId: 3, importId: '3', status: 'Queued' }]),
		);
		const { outputs } = await run({
			call: 'createImport',
			method: 'POST',
			path: CREATE,
			qs: { format: 'csv' },
		});
		expect(first(outputs).batchId).toBe(3);
		expect(server.requestsTo(CREATE)).toHaveLength(2);
	});
});

describe('lists and downloads', () => {
	it('follows nextPageToken until Marketo stops sending one', async () => {
		server.script(
			'/rest/v1/lists.json',
			marketoResult([{ id: 1 }], { nextPageToken: 'P2', moreResult: true }),
			marketoResult([{ id: 2 }], { nextPageToken: 'P3', moreResult: true }),
			marketoResult([{ id: 3 }]),
		);
		const { outputs } = await run({
			call: 'allItems',
			path: '/rest/v1/lists.json',
			qs: { batchSize: 1 },
		});
		expect(first(outputs).result).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
		expect(server.apiRequests().map((r) => r.query.nextPageToken)).toEqual([undefined, 'P2', 'P3']);
	});

	it('follows offset/maxReturn until a short page (702 ends it too)', async () => {
		server.script(
			'/rest/asset/v1/programs.json',
			marketoResult([{ id: 1 }, { id: 2 }]),
			marketoResult([{ id: 3 }, { id: 4 }]),
			marketoError('702', 'No assets found for the given search criteria.'),
		);
		const { outputs } = await run({
			call: 'allItems',
			path: '/rest/asset/v1/programs.json',
			qs: { maxReturn: 2 },
		});
		expect(first(outputs).result).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
		expect(server.apiRequests().map((r) => r.query.offset)).toEqual(['0', '2', '4']);
	});

	it('downloads a failure file as text, and a 404 as empty', async () => {
		const file =
			'email,Import Failure Reason\n"a@x.com","Value for lookup field \'email\' not found"\n';
		server.script('/bulk/v1/leads/batch/5/failures.json', { contentType: 'text/csv', body: file });
		server.script('/bulk/v1/customobjects/car_c/import/5/failures.json', { status: 404, body: '' });
		const found = await run({ call: 'download', path: '/bulk/v1/leads/batch/5/failures.json' });
		const missing = await run({
			call: 'download',
			path: '/bulk/v1/customobjects/car_c/import/5/failures.json',
		});
		expect(first(found.outputs).text).toBe(file);
		expect(first(missing.outputs).text).toBe('');
	});

	it('refreshes the token when a download answers 601 in an envelope', async () => {
		server.script(
			'/bulk/v1/leads/batch/5/warnings.json',
			marketoError('601', 'Access token invalid'),
			{ contentType: 'text/csv', body: 'email\n' },
		);
		const { outputs } = await run({
			call: 'download',
			path: '/bulk/v1/leads/batch/5/warnings.json',
		});
		expect(first(outputs).text).toBe('email\n');
		expect(server.requestsTo(TOKEN_PATH)).toHaveLength(2);
	});
});

describe('cancellation', () => {
	it('stops a 20 s rate-limit wait as soon as the execution is cancelled', async () => {
		configurePacing({ retry: { scale: 1, random: () => 0.5 } });
		server.script(DESCRIBE, marketoError('606', 'Max rate limit'));
		const controller = new AbortController();
		const running = run({ call: 'request', path: DESCRIBE }, { abortSignal: controller.signal });
		while (server.apiRequests().length === 0) await new Promise((resolve) => setImmediate(resolve));
		await new Promise((resolve) => setImmediate(resolve));
		controller.abort();
		const error = await failure(running);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('cancelled');
		expect(server.apiRequests()).toHaveLength(1);
	});
});
