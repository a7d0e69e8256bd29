import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { createBinary, loadOptions, readBinary, runNode } from '../harness';

/** A tiny Marketo look-alike: identity hands out numbered tokens, /echo returns what it saw. */
function startEchoServer(): Promise<{
	server: Server;
	url: string;
	seen: IncomingMessage[];
	tokensIssued: () => number;
}> {
	const seen: IncomingMessage[] = [];
	let issued = 0;
	const server = createServer((req, res) => {
		seen.push(req);
		res.setHeader('Content-Type', 'application/json');
		if (req.url?.startsWith('/identity/oauth/token')) {
			issued += 1;
			res.end(
				JSON.stringify({ access_token: `token-${issued}`, expires_in: 3600, token_type: 'bearer' }),
			);
			return;
		}
		res.end(
			JSON.stringify({
				success: true,
				result: [{ authorization: req.headers.authorization, url: req.url }],
			}),
		);
	});
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as AddressInfo;
			resolve({ server, url: `http://127.0.0.1:${port}`, seen, tokensIssued: () => issued });
		}),
	);
}

const description: INodeTypeDescription = {
	displayName: 'Harness Probe',
	name: 'harnessProbe',
	group: ['transform'],
	version: [1, 2],
	description: 'Test node',
	defaults: { name: 'Harness Probe' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'marketoApi', required: true }],
	properties: [
		{ displayName: 'Path', name: 'path', type: 'string', default: '/rest/v1/echo.json' },
		{ displayName: 'Binary Property', name: 'binaryProperty', type: 'string', default: 'data' },
	],
};

class HarnessProbe implements INodeType {
	description = description;

	methods = {
		loadOptions: {
			async pathChoices(this: ILoadOptionsFunctions) {
				const credentials = await this.getCredentials('marketoApi');
				return [
					{
						name: String(credentials.restEndpoint),
						value: String(this.getCurrentNodeParameter('path')),
					},
				];
			},
		},
	};

	async execute(this: IExecuteFunctions) {
		const items = this.getInputData();
		const credentials = await this.getCredentials('marketoApi');
		const out = [];
		for (let i = 0; i < items.length; i++) {
			const path = this.getNodeParameter('path', i) as string;
			const answer = (await this.helpers.httpRequestWithAuthentication.call(this, 'marketoApi', {
				method: 'GET',
				url: String(credentials.restEndpoint).replace(/\/rest$/, '') + path,
				json: true,
			})) as { result: Array<{ authorization: string }> };
			const binary = items[i].binary?.[this.getNodeParameter('binaryProperty', i) as string];
			let text = '';
			if (binary?.id) {
				const chunks: Buffer[] = [];
				for await (const chunk of await this.helpers.getBinaryStream(binary.id))
					chunks.push(chunk as Buffer);
				text = Buffer.concat(chunks).toString('utf8');
			}
			out.push({
				json: {
					authorization: answer.result[0].authorization,
					text,
					version: this.getNode().typeVersion,
				},
				pairedItem: { item: i },
			});
		}
		return [out];
	}
}

describe('in-process harness', () => {
	let echo: Awaited<ReturnType<typeof startEchoServer>>;
	beforeAll(async () => {
		echo = await startEchoServer();
	});
	afterAll(async () => {
		await new Promise<void>((resolve) => echo.server.close(() => resolve()));
	});

	it('runs execute() with real HTTP, preAuthentication, a persisted token and filesystem binaries', async () => {
		const binary = await createBinary(
			Buffer.from('email\nada@example.com\n'),
			'leads.csv',
			'text/csv',
		);
		expect(binary.id).toMatch(/^filesystem/);
		expect(await readBinary(binary)).toEqual(Buffer.from('email\nada@example.com\n'));

		const before = Date.now();
		const { outputs, credentialUpdates } = await runNode({
			node: new HarnessProbe(),
			parameters: {},
			input: [{ json: {}, binary: { data: binary } }, { json: {} }],
			credentials: {
				marketoApi: { restEndpoint: `${echo.url}/rest`, clientId: 'id-1', clientSecret: 'sec-1' },
			},
		});

		expect(outputs[0].map((item) => item.json.authorization)).toEqual([
			'Bearer token-1',
			'Bearer token-1',
		]);
		expect(outputs[0][0].json.text).toBe('email\nada@example.com\n');
		expect(outputs[0][0].json.version).toBe(2);
		// One token for both items: the second call found the stored token.
		expect(echo.tokensIssued()).toBe(1);
		expect(credentialUpdates).toHaveLength(1);
		expect(credentialUpdates[0]).toMatchObject({ accessToken: 'token-1', clientSecret: 'sec-1' });
		// The hour the token lives (expires_in 3600), counted from a moment during the run.
		expect(Number(credentialUpdates[0].accessTokenExpiresAt)).toBeGreaterThanOrEqual(
			before + 3_600_000,
		);
		expect(Number(credentialUpdates[0].accessTokenExpiresAt)).toBeLessThanOrEqual(
			Date.now() + 3_600_000,
		);
	});

	it('rejects output items without pairedItem', async () => {
		class Unpaired implements INodeType {
			description = description;

			async execute(this: IExecuteFunctions) {
				return [[{ json: { pairedItemMissing: this.getInputData().length } }]];
			}
		}
		await expect(
			runNode({ node: new Unpaired(), parameters: {}, input: [{ json: {} }], credentials: {} }),
		).rejects.toThrow(
			'Harness: Harness Probe output 0 item 0 has no pairedItem (n8n Cloud rejects this)',
		);
	});

	it('runs a loadOptions method with the credential and current parameters', async () => {
		const options = await loadOptions({
			node: new HarnessProbe(),
			methodName: 'pathChoices',
			parameters: { path: '/rest/v1/x.json' },
			credentials: {
				marketoApi: {
					restEndpoint: 'https://123-ABC-456.mktorest.com/rest',
					clientId: 'a',
					clientSecret: 'b',
				},
			},
		});
		expect(options).toEqual([
			{ name: 'https://123-ABC-456.mktorest.com/rest', value: '/rest/v1/x.json' },
		]);
	});
});
