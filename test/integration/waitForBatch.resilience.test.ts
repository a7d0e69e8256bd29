/**
 * Waiting survives what long waits meet in production: the access token expiring
 * between polls, and Marketo's rate limit answering 606.
 */
import type { IDataObject } from 'n8n-workflow';

import { configureRetryTiming, resetRetryTiming } from '../../nodes/shared/transport/retryPolicy';
import { startSimulator } from '../simulator';
import { bulkImportOutput, fileCalls, fileItem, statusCalls, waitForBatches } from './support';

afterEach(() => {
	resetRetryTiming();
});

function leads(prefix: string, count: number, badRows: number[] = []): string {
	const lines = ['email,leadScore'];
	for (let i = 1; i <= count; i++) lines.push(`${prefix}${i}@example.com,${badRows.includes(i) ? 'bad' : i}`);
	return lines.join('\n') + '\n';
}

it('a token that expires several times during the wait is refreshed and the wait completes', async () => {
	// The case is a two-minute import outliving a token; here the token lives 2 s and
	// the import takes about 6 s (60 rows at 10 rows/s), so the wait spans three lifetimes
	// without the test taking minutes.
	const sim = await startSimulator({ tokenLifetimeSeconds: 2, rowsPerSecond: 10 });
	try {
		const batches = await bulkImportOutput(sim, { operation: 'importLeads' }, [
			await fileItem(leads('tok', 60, [7]), 'tokens.csv'),
		]);
		const tokensBefore = sim.state.tokens.length;
		sim.state.clearCalls();

		const run = await waitForBatches(sim, batches);

		expect(run.done[0]).toMatchObject({ status: 'Complete', rowsProcessed: 59, rowsFailed: 1 });
		expect(run.failedRows).toHaveLength(1);
		expect(sim.state.tokens.length - tokensBefore).toBeGreaterThanOrEqual(2);
		expect(run.credentialUpdates.length).toBeGreaterThanOrEqual(2);
		// the only refusals were token ones (each followed by a refresh and a retry)
		const statusAnswers = statusCalls(sim);
		expect(statusAnswers.length).toBeGreaterThanOrEqual(2);
		expect(statusAnswers.filter((call) => call.marketoCode !== undefined && !['601', '602'].includes(call.marketoCode)))
			.toEqual([]);
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
	const sim = await startSimulator({ rowsPerSecond: 10 });
	try {
		const batches = await bulkImportOutput(sim, { operation: 'importLeads' }, [
			await fileItem(leads('rev', 50), 'revoked.csv'),
		]);
		sim.state.clearCalls();
		const revoke = setInterval(() => {
			if (statusCalls(sim).length > 0) {
				sim.state.revokeTokens();
				clearInterval(revoke);
			}
		}, 20);
		try {
			const run = await waitForBatches(sim, batches);
			expect(run.done[0]).toMatchObject({ status: 'Complete', rowsProcessed: 50 });
		} finally {
			clearInterval(revoke);
		}
		expect(statusCalls(sim).some((call) => call.marketoCode === '601')).toBe(true);
	} finally {
		await sim.close();
	}
});

it('606 answers while polling several batches are waited out and every batch completes', async () => {
	configureRetryTiming({ scale: 0.1 }); // the simulator's window is 2 s; the transport waits 20 s x 0.1
	const sim = await startSimulator({ rowsPerSecond: 1e6, limits: { callsPerWindow: 3, windowSeconds: 2 } });
	try {
		const inputs = await Promise.all(
			[1, 2, 3].map(async (n) => await fileItem(leads(`rate${n}-`, 5, [n]), `rate${n}.csv`)),
		);
		const batches = await bulkImportOutput(sim, { operation: 'importLeads' }, inputs);
		expect(batches).toHaveLength(3);
		sim.state.resetUsage();
		sim.state.clearCalls();

		const run = await waitForBatches(sim, batches);

		expect(run.done.map((d) => d.status)).toEqual(['Complete', 'Complete', 'Complete']);
		expect(run.failedRows.map((row) => (row._marketo as IDataObject).rowNumber)).toEqual([1, 2, 3]);
		const limited = sim.state.calls.filter((call) => call.marketoCode === '606');
		expect(limited.length).toBeGreaterThan(0);
		expect([...statusCalls(sim), ...fileCalls(sim)].filter((call) => call.success !== false).length).toBe(6);
	} finally {
		await sim.close();
	}
});
