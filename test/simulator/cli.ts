/**
 * `npm run simulator`: a Marketo instance on 127.0.0.1 for manual testing and the demo.
 *   --port <n>                 (or MARKETO_SIMULATOR_PORT; default 8765)
 *   --rows-per-second <n>      import speed (default 2000)
 *   --token-lifetime <s>       access token life (default 3600)
 *   --client-id <id> --client-secret <secret>
 *   --seed <n>
 */
import { startSimulator } from './index';
import type { SimulatorOptions } from './types';

export function parseCliArgs(
	argv: string[],
	env: Record<string, string | undefined>,
): SimulatorOptions {
	const flags = new Map<string, string>();
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (!arg.startsWith('--')) continue;
		const [name, inline] = arg.slice(2).split('=', 2);
		const value = inline ?? argv[i + 1];
		if (inline === undefined) i++;
		flags.set(name, value);
	}
	const number = (name: string): number | undefined => {
		const raw = flags.get(name);
		if (raw === undefined) return undefined;
		const n = Number(raw);
		if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${raw}'`);
		return n;
	};
	const envPort = env.MARKETO_SIMULATOR_PORT ? Number(env.MARKETO_SIMULATOR_PORT) : undefined;
	return {
		port: number('port') ?? envPort ?? 8765,
		rowsPerSecond: number('rows-per-second'),
		tokenLifetimeSeconds: number('token-lifetime'),
		clientId: flags.get('client-id'),
		clientSecret: flags.get('client-secret'),
		seed: number('seed'),
	};
}

async function main(): Promise<void> {
	const options = parseCliArgs(process.argv.slice(2), process.env);
	const sim = await startSimulator(options);
	const lines = [
		'Marketo simulator running.',
		`REST API endpoint: ${sim.restUrl}`,
		`Identity endpoint: ${sim.identityUrl}`,
		`Client ID: ${sim.clientId}`,
		`Client Secret: ${sim.clientSecret}`,
		'',
		'In n8n, create a "Marketo API" credential: paste the REST API endpoint, the Client ID and the',
		'Client Secret above (leave the identity URL empty: it is derived from the endpoint).',
		'Press Ctrl+C to stop.',
	];
	process.stdout.write(lines.join('\n') + '\n');
	const stop = () => {
		void sim.close().then(() => process.exit(0));
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

if (require.main === module) {
	main().catch((err: Error) => {
		process.stderr.write(`Simulator failed to start: ${err.message}\n`);
		process.exit(1);
	});
}
