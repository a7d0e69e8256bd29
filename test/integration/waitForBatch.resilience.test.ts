/**
 * Waiting survives what long waits meet in production: the access token expiring
 * between polls, and Marketo's rate limit answering 606. Marketo and the node share a fake
 * clock that moves only while the node sleeps, so tokens expire and rate windows pass at
 * the same moments of the wait on every run, in no real time.
 */
import type { IDataObject } from 'n8n-workflow';

import { routeRetryWaitsTo } from '../harness/retryWaits';
import { createFakeClock, startSimulator } from '../simulator';
import { bulkImportOutput, fileCalls, fileItem, statusCalls, waitForBatches } from './support';

function leads(prefix: string, count: number, badRows: number[] = []): string {
	const lines = ['email,leadScore'];
	for (let i = 1; i <= count; i++)
		lines.push(`${prefix}${i}@example.com,${badRows.includes(i) ? 'bad' : i}`);
	return lines.join('\n') + '\n';
}

it('a token that expires several times during the wait is refreshed and the wait completes', async () => {
	// The case is a two-minute import outliving a token; here the token lives 2 s and
	// the import takes 6 s (60 rows at 10 rows/s), so the wait spans three lifetimes.
	const clock = createFakeClock();
	const sim = await startSimulator({ tokenLifetimeSeconds: 2, rowsPerSecond: 10, clock });
	try {
		const batches = await bulkImportOutput(sim, { operation: 'importLeads' }, [
			await fileItem(leads('tok', 60, [7]), 'tokens.csv'),
		]);
		const tokensBefore = sim.state.tokens.length;
		sim.state.clearCalls();

		const run = await waitForBatches(sim, batches, {}, { clock });

		expect(run.done[0]).toMatchObject({ status: 'Complete', rowsProcessed: 59, rowsFailed: 1 });
		expect(run.failedRows).toHaveLength(1);
		expect(sim.state.tokens.length - tokensBefore).toBeGreaterThanOrEqual(2);
		expect(run.credentialUpdates.length).toBeGreaterThanOrEqual(2);
		// the only refusals were token ones (each followed by a refresh and a retry)
		const statusAnswers = statusCalls(sim);
		expect(statusAnswers.length).toBeGreaterThanOrEqual(2);
		expect(
			statusAnswers.filter(
				(call) => call.marketoCode !== undefined && !['601', '602'].includes(call.marketoCode),
			),
		).toEqual([]);
		expect(statusAnswers[statusAnswers.length - 1].success).toBe(true);
		expect(sim.state.calls.every((call) => call.authStyle !== 'query')).toBe(true);
		const tokens = sim.state.tokens.map((token) => token.accessToken);
		const outputText = JSON.stringify(run.outputs);
		expect(tokens.some((token) => outputText.includes(token))).toBe(false);
	} finally {
		await sim.close();
	}
});

it('a token revoked mid-wait (601) is refreshed once and the wait goes on', async () => {
	const clock = createFakeClock();
	const sim = await startSimulator({ rowsPerSecond: 10, clock });
	try {
		const batches = await bulkImportOutput(sim, { operation: 'importLeads' }, [
			await fileItem(leads('rev', 50), 'revoked.csv'),
		]);
		sim.state.clearCalls();
		// Revoked as the first status call arrives: that very call meets the revocation.
		const stopWatching = sim.state.onCall((call) => {
			if (statusCalls(sim).includes(call)) {
				sim.state.revokeTokens();
				stopWatching();
			}
		});

		const run = await waitForBatches(sim, batches, {}, { clock });

		expect(run.done[0]).toMatchObject({ status: 'Complete', rowsProcessed: 50 });
		const [refused, resent] = statusCalls(sim);
		expect(refused.marketoCode).toBe('601');
		// One new token, then the same status call again, and the wait went on.
		const calls = sim.state.calls;
		expect(
			calls.slice(calls.indexOf(refused) + 1, calls.indexOf(resent)).map((call) => call.route),
		).toEqual(['identity']);
		expect(resent.success).toBe(true);
		expect(sim.state.tokens.filter((token) => !token.revoked)).toHaveLength(1);
	} finally {
		await sim.close();
	}
});

it('606 answers while polling several batches are waited out and every batch completes', async () => {
	const clock = createFakeClock();
	const sim = await startSimulator({ rowsPerSecond: 1e6, clock });
	// The transport's 606 waits sleep on the shared clock too.
	const retryWaits = routeRetryWaitsTo(clock);
	try {
		const inputs = await Promise.all(
			[1, 2, 3].map(async (n) => await fileItem(leads(`rate${n}-`, 5, [n]), `rate${n}.csv`)),
		);
		const batches = await bulkImportOutput(sim, { operation: 'importLeads' }, inputs);
		expect(batches).toHaveLength(3);
		// The node's polls and downloads all fall due at the same moment: more than 3 in 2 s.
		sim.state.setLimits({ callsPerWindow: 3, windowSeconds: 2 });
		sim.state.resetUsage();
		sim.state.clearCalls();

		const run = await waitForBatches(sim, batches, {}, { clock });

		expect(run.done.map((d) => d.status)).toEqual(['Complete', 'Complete', 'Complete']);
		expect(run.failedRows.map((row) => (row._marketo as IDataObject).rowNumber)).toEqual([1, 2, 3]);
		const limited = sim.state.calls.filter((call) => call.marketoCode === '606');
		expect(limited.length).toBeGreaterThan(0);
		expect(
			[...statusCalls(sim), ...fileCalls(sim)].filter((call) => call.success !== false).length,
		).toBe(6);
		// Each 606 was waited out for Marketo's 20 s window, never less.
		const waits = retryWaits.mock.calls.map(([ms]) => ms);
		expect(waits).toHaveLength(limited.length);
		expect(waits.every((ms) => ms >= 20_000)).toBe(true);
	} finally {
		retryWaits.mockRestore();
		await sim.close();
	}
});
