/**
 * What the in-process extract benches share: the node itself (n8n-core's real execution
 * context comes from test/harness) and the clocks it and the simulator run on.
 *
 * Not a bench module itself (the runner only loads `*.bench.ts`).
 */
import * as path from 'node:path';

import type { MarketoBulkExtract as MarketoBulkExtractNode } from '../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { cancellableSleep, type Clock } from '../../nodes/shared/clock';

/**
 * Required by its file name: outside jest, `require` of `MarketoBulkExtract.node` finds the codex
 * (`MarketoBulkExtract.node.json`) before ts-node's `.ts`.
 */
export function extractNode(): MarketoBulkExtractNode {
	const file = path.join(
		__dirname,
		'..',
		'..',
		'nodes',
		'MarketoBulkExtract',
		'MarketoBulkExtract.node.ts',
	);
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const loaded = require(file) as { MarketoBulkExtract: new () => MarketoBulkExtractNode };
	return new loaded.MarketoBulkExtract();
}

/** A clock `factor` times faster than the real one, starting at `startAt`. */
export function scaledClock(factor: number, startAt: number): Clock {
	const realStart = Date.now();
	return {
		now: () => startAt + (Date.now() - realStart) * factor,
		sleep: async (ms, signal) => await cancellableSleep(ms / factor, signal),
	};
}

/**
 * The real time, except that a wait moves it forward at once: the minute before the node's
 * first status read costs nothing, while everything the node does takes its real time.
 */
export function skippingClock(): Clock & { skippedMs(): number } {
	let skipped = 0;
	return {
		now: () => Date.now() + skipped,
		sleep: async (ms, signal) => {
			skipped += Math.max(0, ms);
			await cancellableSleep(0, signal);
			await new Promise((resolve) => setImmediate(resolve));
		},
		skippedMs: () => skipped,
	};
}
