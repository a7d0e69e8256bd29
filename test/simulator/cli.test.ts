import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseCliArgs } from './cli';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from './core';

describe('simulator CLI', () => {
	it('reads flags, then MARKETO_SIMULATOR_PORT, then defaults to 8765', () => {
		expect(parseCliArgs([], {}).port).toBe(8765);
		expect(parseCliArgs([], { MARKETO_SIMULATOR_PORT: '9000' }).port).toBe(9000);
		expect(
			parseCliArgs(['--port', '9100', '--rows-per-second=500', '--token-lifetime', '60'], {
				MARKETO_SIMULATOR_PORT: '9000',
			}),
		).toMatchObject({
			port: 9100,
			rowsPerSecond: 500,
			tokenLifetimeSeconds: 60,
		});
		expect(() => parseCliArgs(['--port', 'abc'], {})).toThrow("--port must be a number, got 'abc'");
	});

	it('prints the endpoints and credentials, serves tokens and stops cleanly on SIGINT', async () => {
		const child = spawn(
			process.execPath,
			['-r', 'ts-node/register/transpile-only', join(__dirname, 'cli.ts'), '--port', '0'],
			{
				cwd: join(__dirname, '..', '..'),
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		let output = '';
		try {
			await new Promise<void>((resolve, reject) => {
				child.stdout.on('data', (chunk: Buffer) => {
					output += chunk.toString();
					if (output.includes('Ctrl+C')) resolve();
				});
				child.once('exit', (code) => reject(new Error(`CLI exited early (${code}): ${output}`)));
			});
			expect(output).toContain(`Client ID: ${DEFAULT_CLIENT_ID}\n`);
			expect(output).toContain(`Client Secret: ${DEFAULT_CLIENT_SECRET}\n`);
			const restUrl = /REST API endpoint: (\S+)/.exec(output)?.[1] ?? '';
			const identityUrl = /Identity endpoint: (\S+)/.exec(output)?.[1] ?? '';
			expect(restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rest$/);
			const response = await fetch(
				`${identityUrl}/oauth/token?grant_type=client_credentials&client_id=${DEFAULT_CLIENT_ID}&client_secret=${DEFAULT_CLIENT_SECRET}`,
			);
			expect(response.status).toBe(200);
			child.removeAllListeners('exit');
			const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
			child.kill('SIGINT');
			expect(await exited).toBe(0);
		} finally {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		}
	}, 30_000);
});
