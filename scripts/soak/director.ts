/**
 * Puts a run's plan into a running simulator. Random faults and the token lifetime are
 * simulator options; the other faults are tied to the run's calls as they arrive (the n-th
 * create-import call, the n-th API call), through the simulator's call listener, which runs
 * before the simulator decides a call's faults. So "the answer to create call #2 is lost"
 * hits exactly that call whatever the timing, where a timer could miss it.
 */
import type { CallRecord, SimulatorOptions, SimulatorState } from '../../test/simulator/types';
import type { RunPlan } from './plan';

const CREATE_ROUTES = new Set(['importLeads', 'importProgramMembers', 'importCustomObjects']);

/** The REST and bulk APIs; the identity endpoint never answers a rate limit. */
const API_PATHS = /^\/(rest|bulk)\//;

export const FAILED_BATCH_MESSAGE =
	'Import failed: the file could not be read (simulated by the soak)';

const RATE_LIMIT_MESSAGES: Record<'606' | '615', string> = {
	'606': "Max rate limit '100' exceeded with in '20' secs",
	'615': 'Concurrent access limit reached',
};

export function isCreateCall(call: Pick<CallRecord, 'route'>): boolean {
	return CREATE_ROUTES.has(call.route);
}

export function simulatorOptions(
	plan: RunPlan,
	port: number,
	firstBatchId = 1001,
): SimulatorOptions {
	return {
		port,
		// One Marketo for the whole soak: batch ids go on rising from run to run, as they do in Marketo.
		firstBatchId,
		seed: plan.simulatorSeed,
		rowsPerSecond: plan.rowsPerSecond,
		tokenLifetimeSeconds: plan.tokenLifetimeSeconds,
		faults: plan.random,
	};
}

/** Starts following the run's calls; returns a function that stops it and switches every fault off. */
export function directFaults(state: SimulatorState, plan: RunPlan): () => void {
	let apiCalls = 0;
	let createCalls = 0;
	const stopListening = state.onCall((call) => {
		if (call.route === 'identity') return;
		apiCalls++;
		if (plan.rateBurst && apiCalls === plan.rateBurst.atApiCall) {
			const { code, times } = plan.rateBurst;
			state.scriptFault({
				path: API_PATHS,
				times,
				answer: { kind: 'envelope', code, message: RATE_LIMIT_MESSAGES[code] },
			});
		}
		if (plan.revokeTokensAtApiCall === apiCalls) state.revokeTokens();
		if (!isCreateCall(call)) return;
		createCalls++;
		// Before this create is handled: it finds the queue holding the other integration's jobs.
		if (plan.foreignJobs && createCalls === 1)
			state.addForeignJobs(plan.foreignJobs.count, plan.foreignJobs.rowsEach);
		if (plan.failBatchAtCreateCall === createCalls) state.failNextBatch(FAILED_BATCH_MESSAGE);
		if (plan.createFault?.onCreateCall === createCalls) {
			state.scriptFault({
				route: call.route,
				times: 1,
				when: 'after',
				answer: plan.createFault.answer,
			});
		}
	});
	return () => {
		stopListening();
		state.clearScriptedFaults();
		state.setFaults({
			http5xxRate: 0,
			gateway502Rate: 0,
			connectionResetRate: 0,
			envelopeErrorRates: {},
			slowResponseRate: 0,
			slowResponseMs: 0,
		});
	};
}
