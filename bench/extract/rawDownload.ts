/**
 * The baselines of the extract download bench, run as a child process so the client does not
 * share the simulator's thread (n8n, the measured client, runs in its own process too):
 *   raw        one HTTP read of the file, the bytes dropped
 *   hash-write what a plain Node.js download does: SHA-256 and a file write of every byte
 * Usage: rawDownload.ts <raw|hash-write> <url> <bearer token> [output file]
 * Prints one JSON line: { bytes, ms, sha256? }.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { get } from 'node:http';

async function main(): Promise<void> {
	const [mode, url, token, outFile] = process.argv.slice(2);
	if ((mode !== 'raw' && mode !== 'hash-write') || !url || !token)
		throw new Error('usage: rawDownload.ts <raw|hash-write> <url> <token> [output file]');
	const started = process.hrtime.bigint();
	const hash = mode === 'hash-write' ? createHash('sha256') : null;
	const out = mode === 'hash-write' ? createWriteStream(outFile) : null;
	let bytes = 0;
	await new Promise<void>((resolve, reject) => {
		const request = get(url, { headers: { Authorization: `Bearer ${token}` } }, (response) => {
			if (response.statusCode !== 200) {
				reject(new Error(`HTTP ${response.statusCode}`));
				response.resume();
				return;
			}
			response.on('data', (chunk: Buffer) => {
				bytes += chunk.length;
				if (hash) hash.update(chunk);
				if (out && !out.write(chunk)) {
					response.pause();
					out.once('drain', () => response.resume());
				}
			});
			response.on('end', () => resolve());
			response.on('error', reject);
		});
		request.on('error', reject);
	});
	if (out)
		await new Promise<void>((resolve, reject) =>
			out.end((error?: Error) => (error ? reject(error) : resolve())),
		);
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	process.stdout.write(
		JSON.stringify({ bytes, ms, ...(hash ? { sha256: hash.digest('hex') } : {}) }) + '\n',
	);
}

main().catch((error: unknown) => {
	process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
	process.exitCode = 1;
});
