/**
 * Runs Marketo Bulk Import on lead items (Items input, one static list; the parameters of `case`,
 * below) in-process with n8n-core's real execution context (test/harness), against the
 * simulator, and prints the node's execution time as JSON. With N8N_LINE1_NODE_MODULES set
 * (the n8n 1.x runtime's node_modules, as scripts/e2e.js sets it for the integration tests),
 * n8n-core, n8n-workflow and @n8n/di are n8n 1.x's: the node pays 1.x's parameter reads.
 *
 *   node -r ts-node/register/transpile-only bench/items/itemsInputProbe.ts <items> [rounds] [case]
 */
import Module from 'node:module';
import * as path from 'node:path';

const line1 = process.env.N8N_LINE1_NODE_MODULES;
if (line1) {
	const mapped: Record<string, string> = {
		'n8n-core': path.join(line1, 'n8n-core'),
		'n8n-workflow': path.join(line1, 'n8n-workflow'),
		'@n8n/di': path.join(line1, '@n8n/di'),
	};
	const moduleWithResolve = Module as unknown as {
		_resolveFilename: (request: string, ...rest: unknown[]) => string;
	};
	const resolve = moduleWithResolve._resolveFilename;
	moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]) {
		const [name, ...subpath] = request.startsWith('@') ? [request] : request.split('/');
		const target =
			mapped[request] ?? (mapped[name] ? [mapped[name], ...subpath].join('/') : request);
		return resolve.call(this, target, ...rest);
	};
}

const LEADS = { operation: 'importLeads', inputSource: 'items' };
const LIST_2001 = { __rl: true, mode: 'id', value: '2001' };

/**
 * auto: one list, Map Automatically, no expression (the case); manual: Map Each Column
 * Manually, each column an expression; manualFixed: the same with fixed values; perItemList: the list an expression, so every item's
 * settings are read (the other parameters hold none).
 */
const CASES = {
	auto: {
		...LEADS,
		list: LIST_2001,
		columnMapping: { mappingMode: 'autoMapInputData', value: null },
	},
	manual: {
		...LEADS,
		list: LIST_2001,
		columnMapping: {
			mappingMode: 'defineBelow',
			value: { email: '={{ $json.email }}', firstName: '={{ $json.firstName }}', company: 'Acme' },
		},
	},
	manualFixed: {
		...LEADS,
		list: LIST_2001,
		columnMapping: {
			mappingMode: 'defineBelow',
			value: { email: 'same@example.com', company: 'Acme' },
		},
	},
	perItemList: {
		...LEADS,
		list: { ...LIST_2001, value: '={{ $json.listId }}' },
		lookupField: 'email',
		partitionName: '',
		columnMapping: { mappingMode: 'autoMapInputData', value: null },
	},
};

async function main(): Promise<void> {
	// Required after the mapping, so the harness and the node load the line's n8n.
	/* eslint-disable @typescript-eslint/no-require-imports */
	const { runNode, simulatorCredentials } =
		require('../../test/harness') as typeof import('../../test/harness');
	const { startSimulator } =
		require('../../test/simulator') as typeof import('../../test/simulator');
	const { MarketoBulkImport } =
		require('../../nodes/MarketoBulkImport/MarketoBulkImport.node.ts') as typeof import('../../nodes/MarketoBulkImport/MarketoBulkImport.node');
	const { configurePacing, resetPacing } =
		require('../../nodes/shared/pacing') as typeof import('../../nodes/shared/pacing');
	/* eslint-enable @typescript-eslint/no-require-imports */
	const [countArg, roundsArg, caseArg] = process.argv.slice(2);
	const count = Number(countArg ?? 100_000);
	const rounds = Number(roundsArg ?? 3);
	const shape = (caseArg ?? 'auto') as keyof typeof CASES;
	if (!(shape in CASES)) throw new Error(`case must be one of ${Object.keys(CASES).join(', ')}`);
	configurePacing({ throttle: { maxCallsPerWindow: 10_000 } });
	const node = new MarketoBulkImport();
	const input = Array.from({ length: count }, (_, i) => ({
		json: {
			email: `lead${i}@example.com`,
			firstName: `First ${i}`,
			lastName: 'Last',
			company: 'Acme',
			listId: 2001,
		},
	}));
	const timesMs: number[] = [];
	try {
		for (let round = 0; round < rounds; round++) {
			// A Marketo of its own per round: the last round's import into the list is not in the way.
			const sim = await startSimulator();
			try {
				const started = performance.now();
				const result = await runNode({
					node,
					parameters: CASES[shape],
					input,
					credentials: { marketoApi: simulatorCredentials(sim) },
				});
				timesMs.push(performance.now() - started);
				const rows = result.outputs[0].reduce((sum, item) => sum + Number(item.json.rows ?? 0), 0);
				if (rows !== count) throw new Error(`${rows} rows submitted of ${count}`);
			} finally {
				await sim.close();
			}
		}
	} finally {
		resetPacing();
	}
	const { version } = require(require.resolve('n8n-core/package.json')) as { version: string };
	process.stdout.write(
		`${JSON.stringify({ n8nCore: version, case: shape, items: count, timesMs, bestMs: Math.min(...timesMs) })}\n`,
	);
}

// n8n-core 1.x leaves a handle open after a run: the figures are printed by then.
main().then(
	() => process.exit(0),
	(error: unknown) => {
		process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
		process.exit(1);
	},
);
