/**
 * Issue 23: every token revoked right after the transport fetched a new one early (the old one
 * was about to expire), at each point of a multi-part import where that can happen: a part's
 * create, a batch's status, a failures file's download, and the search for a batch whose
 * create answer was lost. The refused call must get a token of its own and go on, and the
 * import must end with every row imported or failed with Marketo's reason.
 * Tokens live 3 s (the soak's setting), so every call is preceded by an early refresh.
 * On the transport before the fix (8b18307), the create, Bulk Import's status call and the
 * search end the import with 601; Wait for Batch reads statuses and files a few at a time, and
 * which of those calls made the early refresh decides whether it failed there.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { forgetKnownBatchIds } from '../../nodes/MarketoBulkImport/helpers/upload/uncertainCreate';
import { configurePacing, resetPacing } from '../../nodes/shared/pacing';
import { assertRequestsMatchContract } from '../simulator/contract';
import {
	createFakeClock,
	startSimulator,
	type FakeClock,
	type RunningSimulator,
} from '../simulator';
import {
	fileItem,
	marketoOf,
	runBulkImport,
	submittedOnSimulatorClock,
	waitForBatches,
} from './support';

/** About 30 bytes a row: 90 rows make 3 parts with a 1,000-byte part limit. */
const TINY_PARTS = { partSizeMb: 0.001 };
const ROWS = 90;
const BAD_EVERY = 15;

/** Row 40 has row 20's email: parts 1 and 2 share a lookup value, so Bulk Import reads part 1's status before uploading part 2. */
const SHARED = { row: 40, sameAs: 20 };

function emailOf(row: number): string {
	return `row${row === SHARED.row ? SHARED.sameAs : row}@revoked.example.com`;
}

function leadFile(): string {
	const lines = Array.from(
		{ length: ROWS },
		(_, i) => `${emailOf(i + 1)},${(i + 1) % BAD_EVERY === 0 ? 'x' : i + 1}`,
	);
	return ['email,leadScore', ...lines].join('\n') + '\n';
}

let sim: RunningSimulator;
let clock: FakeClock;

beforeEach(async () => {
	clock = createFakeClock();
	configurePacing({ clock });
	sim = await startSimulator({ rowsPerSecond: 100, tokenLifetimeSeconds: 3, clock });
	forgetKnownBatchIds();
});

afterEach(async () => {
	resetPacing();
	try {
		assertRequestsMatchContract(sim.state.calls);
	} finally {
		await sim.close();
	}
});

type Phase = 'import' | 'wait';

/**
 * Revokes every token as the first call to `route` in `phase` arrives, when the call logged just
 * before it is the identity call of an early refresh; returns what it saw.
 */
function revokeRightAfterEarlyRefresh(route: string, phaseOf: () => Phase, phase: Phase) {
	const seen = { revoked: false };
	sim.state.onCall((call) => {
		if (seen.revoked || call.route !== route || phaseOf() !== phase) return;
		const before = sim.state.calls.at(-2);
		if (before?.route !== 'identity') return;
		sim.state.revokeTokens();
		seen.revoked = true;
	});
	return seen;
}

const POINTS: Array<[string, string, Phase, boolean]> = [
	['the create of a part', 'importLeads', 'import', false],
	[
		"a status call of Bulk Import's (a part waiting for the batch of a part sharing a key)",
		'leadBatchStatus',
		'import',
		false,
	],
	['a status call of Wait for Batch', 'leadBatchStatus', 'wait', false],
	['the download of a failures file', 'leadBatchFailures', 'wait', false],
	['the search for a batch whose create answer was lost', 'leadBatchStatus', 'import', true],
];

describe('Bulk Import and Wait for Batch: all tokens revoked right after an early refresh', () => {
	it.each(POINTS)(
		'at %s: the import finishes, every row imported or failed',
		async (_label, route, phase, loseCreate) => {
			let current: Phase = 'import';
			const seen = revokeRightAfterEarlyRefresh(route, () => current, phase);
			if (loseCreate) {
				// Part 2's batch is made but its answer is lost: the node searches for it by status.
				sim.state.scriptFault({ route: 'importLeads', times: 1, answer: { kind: 'delay', ms: 0 } });
				sim.state.scriptFault({
					route: 'importLeads',
					times: 1,
					answer: { kind: 'gateway502' },
					when: 'after',
				});
			}
			const imported = await runBulkImport(sim, { operation: 'importLeads', options: TINY_PARTS }, [
				await fileItem(leadFile(), 'leads.csv'),
			]);
			const batches: INodeExecutionData[] = submittedOnSimulatorClock(sim, imported.outputs[0]);
			// Row 40 (row 20's lead, an earlier part's) is held back into a fourth part, uploaded once
			// part 1's batch has finished: Bulk Import reads that batch's status meanwhile.
			expect(batches.map((item) => item.json.part)).toEqual([1, 2, 3, 4]);
			expect(batches[3].json.waitedForBatchIds).toEqual([batches[0].json.batchId]);

			current = 'wait';
			const waited = await waitForBatches(sim, batches, { mode: 'waitUntilDone' }, { clock });

			expect(seen.revoked).toBe(true);
			// The refused call was the one revoked, and a new token was fetched for it.
			const { calls } = sim.state;
			const refusals = calls.filter((call) => call.marketoCode === '601');
			expect(refusals[0].route).toBe(route);
			// Calls in flight meet the same revocation; each gets a new token and is sent again.
			for (const refused of refusals) {
				const at = calls.indexOf(refused);
				const retried = calls.findIndex((call, index) => index > at && call.path === refused.path);
				expect(retried).toBeGreaterThan(at);
				expect(calls.slice(at + 1, retried).map((call) => call.route)).toContain('identity');
				expect(calls[retried].marketoCode).toBeUndefined();
			}

			expect(waited.done.map((batch: IDataObject) => batch.status)).toEqual(
				batches.map(() => 'Complete'),
			);
			const failedRowNumbers = waited.failedRows
				.map((row) => marketoOf(row).rowNumber)
				.sort((a, b) => Number(a) - Number(b));
			const bad = Array.from({ length: ROWS / BAD_EVERY }, (_, i) => (i + 1) * BAD_EVERY);
			expect(failedRowNumbers).toEqual(bad);
			for (let i = 1; i <= ROWS; i++) {
				if (i === SHARED.row) continue;
				const lead = sim.state.findLead('email', emailOf(i));
				if (i % BAD_EVERY === 0) expect(lead).toBeUndefined();
				else expect(lead).toBeDefined();
			}
		},
	);
});
