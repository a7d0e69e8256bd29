/**
 * What one soak run does, drawn from the soak's seed and the run's number: which example it
 * runs, whether the import node continues on fail, how fast the simulated Marketo imports, and
 * which faults it meets. Pure: the same seed gives the same plans, so a failing run can be
 * repeated alone (`--seed S --runs N` replays runs 1..N; the plan of run k does not depend on
 * the other runs).
 */
import { createPrng, type Prng } from '../../test/simulator/prng';
import type { FaultAnswer, RandomFaults, TransientEnvelopeCode } from '../../test/simulator/types';
import { describeExtractPlan, planExtract, type ExtractPlan } from './extract';

/** The import examples, and 'ex': the extract workflow (scripts/soak/extract.ts). */
export type ExampleId = '01' | '02' | '03' | 'ex';
export type ImportExampleId = Exclude<ExampleId, 'ex'>;

export const EXAMPLE_FILES: Record<ImportExampleId, string> = {
	'01': '01-csv-file-to-leads.json',
	'02': '02-items-to-program-members.json',
	'03': '03-large-file-in-parts.json',
};

/**
 * The order the runs take the workflows in: a short soak (CI's 2 or 3 runs) meets a file
 * import, the extract and a multi-part file first.
 */
export const ROTATION: readonly ExampleId[] = ['01', 'ex', '03', '02'];

/** Example 01's file has 20 rows, example 02's Code node writes 8 items: the sizes the speed is chosen for. */
const ROWS_PER_BATCH: Record<ExampleId, number> = { '01': 20, '02': 8, '03': 60, ex: 20 };

/**
 * Example 03 is cut with this Part Size Limit (MB): generated lead rows are about 115 bytes,
 * so 150-400 rows make 3-6 parts, enough for faults to hit a later part.
 */
export const LARGE_FILE_PART_SIZE_MB = 0.008;
const APPROX_GENERATED_ROW_BYTES = 115;

export interface RunPlan {
	/** 1-based. */
	run: number;
	example: ExampleId;
	/** Seed of the run's simulator (its random faults and ids). */
	simulatorSeed: number;
	/** The import node's On Error: Continue (error items with submittedBatchIds / rowsNotSubmitted) or Stop. */
	continueOnFail: boolean;
	rowsPerSecond: number;
	tokenLifetimeSeconds: number;
	/** Drawn per call by the simulator from its seed. */
	random: Partial<RandomFaults>;
	/** The n-th create-import call is handled (the batch exists) and its answer replaced: the answer is lost. */
	createFault?: { onCreateCall: number; answer: FaultAnswer };
	/** From the n-th API call on, `times` calls answer Marketo's rate (606) or concurrency (615) limit. */
	rateBurst?: { atApiCall: number; code: '606' | '615'; times: number };
	/** Every token issued so far is revoked when the n-th API call arrives (that call gets 601). */
	revokeTokensAtApiCall?: number;
	/** Another integration's jobs, put in the queue as the first create-import call arrives. */
	foreignJobs?: { count: number; rowsEach: number };
	/** The batch made by the n-th create-import call (or the next one that makes a batch) ends Failed. */
	failBatchAtCreateCall?: number;
	/** Example 03's generated file (scripts/generate-leads.js). */
	largeFile?: { rows: number; failEvery: number; warnEvery: number };
	/** The extract workflow's leads, output and faults (example 'ex'). */
	extract?: ExtractPlan;
	/**
	 * Queue mode only: the worker running the execution is killed (SIGKILL) when the n-th API
	 * call of the run arrives, then started again.
	 */
	killWorkerAtApiCall?: number;
}

const CREATE_FAULT_ANSWERS: Array<{ answer: FaultAnswer }> = [
	{ answer: { kind: 'http', status: 500 } },
	{ answer: { kind: 'http', status: 503 } },
	{ answer: { kind: 'gateway502' } },
	{ answer: { kind: 'reset' } },
	{ answer: { kind: 'envelope', code: '604' } },
	{ answer: { kind: 'envelope', code: '608' } },
	{ answer: { kind: 'envelope', code: '611' } },
	{ answer: { kind: 'envelope', code: '713' } },
];

/** One PRNG per run, from the soak seed and the run number only. */
function runPrng(seed: number, run: number): Prng {
	return createPrng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(run, 0x85ebca6b)) >>> 0);
}

function between(prng: Prng, low: number, high: number): number {
	return low + prng.next() * (high - low);
}

function integerBetween(prng: Prng, low: number, high: number): number {
	return Math.floor(between(prng, low, high + 1));
}

function chance(prng: Prng, probability: number): boolean {
	return prng.next() < probability;
}

function round(value: number, digits = 3): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

/** How many create-import calls example 03 needs for this file, roughly (the fault may target any of them). */
export function expectedParts(plan: Pick<RunPlan, 'example' | 'largeFile'>): number {
	if (plan.example !== '03' || !plan.largeFile) return 1;
	return Math.max(
		1,
		Math.ceil(
			(plan.largeFile.rows * APPROX_GENERATED_ROW_BYTES) / (LARGE_FILE_PART_SIZE_MB * 1_000_000),
		),
	);
}

/**
 * Run `run` (1-based) of the soak seeded `seed`. Every draw is made on every run, whether its
 * fault is used or not, so changing one probability does not reshuffle the other faults.
 */
export function planRun(seed: number, run: number, mode: { queue?: boolean } = {}): RunPlan {
	const prng = runPrng(seed, run);
	// The workflows take turns, so every one of them is soaked equally.
	const example = ROTATION[(run - 1) % ROTATION.length];
	const plan: RunPlan = {
		run,
		example,
		simulatorSeed: integerBetween(prng, 1, 2 ** 31 - 1),
		continueOnFail: chance(prng, 0.5),
		rowsPerSecond: 0,
		tokenLifetimeSeconds: 3600,
		random: {},
	};

	const largeFile = {
		rows: integerBetween(prng, 150, 400),
		failEvery: integerBetween(prng, 20, 60),
		warnEvery: integerBetween(prng, 20, 60),
	};
	if (example === '03') plan.largeFile = largeFile;

	// A batch lasts 0.5-3 s: long enough that a create-import sent twice is still queued or
	// importing when its copy arrives (so both can be seen at once), short enough for quick runs.
	const batchSeconds = between(prng, 0.5, 3);
	plan.rowsPerSecond = Math.max(1, Math.round(ROWS_PER_BATCH[example] / batchSeconds));

	// Random faults on every API call (identity excluded), each kind present in about half the runs.
	const rate = (probability: number, low: number, high: number) => {
		const present = chance(prng, probability);
		const value = round(between(prng, low, high));
		return present ? value : 0;
	};
	const envelopeErrorRates: Partial<Record<TransientEnvelopeCode, number>> = {};
	const envelopeCodes: Array<[TransientEnvelopeCode, number]> = [
		['604', 0.05],
		['608', 0.05],
		// 611 is retried three times only: kept rarer so it seldom exhausts the retries by chance.
		['611', 0.02],
		['713', 0.05],
	];
	for (const [code, high] of envelopeCodes) {
		const value = rate(0.4, 0.01, high);
		if (value > 0) envelopeErrorRates[code] = value;
	}
	const slowRate = rate(0.5, 0.05, 0.2);
	const slowMs = integerBetween(prng, 300, 2500);
	plan.random = {
		http5xxRate: rate(0.5, 0.02, 0.08),
		gateway502Rate: rate(0.4, 0.02, 0.05),
		connectionResetRate: rate(0.5, 0.02, 0.06),
		envelopeErrorRates,
		slowResponseRate: slowRate,
		slowResponseMs: slowRate > 0 ? slowMs : 0,
	};

	const parts = expectedParts(plan);
	const createFault = {
		present: chance(prng, 0.5),
		onCreateCall: integerBetween(prng, 1, parts),
		answer: CREATE_FAULT_ANSWERS[integerBetween(prng, 0, CREATE_FAULT_ANSWERS.length - 1)].answer,
	};
	if (createFault.present)
		plan.createFault = { onCreateCall: createFault.onCreateCall, answer: createFault.answer };

	// 606 makes the nodes wait out a 20 s window per hit: at most two in a row.
	const burstCode = chance(prng, 0.5) ? '606' : '615';
	const burst = {
		present: chance(prng, 0.3),
		atApiCall: integerBetween(prng, 1, 10),
		times: integerBetween(prng, 1, burstCode === '606' ? 2 : 3),
	};
	if (burst.present)
		plan.rateBurst = { atApiCall: burst.atApiCall, code: burstCode, times: burst.times };

	const shortToken = { present: chance(prng, 0.25), seconds: integerBetween(prng, 2, 6) };
	if (shortToken.present) plan.tokenLifetimeSeconds = shortToken.seconds;
	const revoke = { present: chance(prng, 0.3), atApiCall: integerBetween(prng, 2, 12) };
	if (revoke.present) plan.revokeTokensAtApiCall = revoke.atApiCall;

	const foreign = {
		present: chance(prng, 0.3),
		count: integerBetween(prng, 4, 10),
		seconds: between(prng, 0.5, 2.5),
	};
	if (foreign.present)
		plan.foreignJobs = {
			count: foreign.count,
			rowsEach: Math.max(1, Math.round(plan.rowsPerSecond * foreign.seconds)),
		};

	const failBatch = { present: chance(prng, 0.15), atCreateCall: integerBetween(prng, 1, parts) };
	if (failBatch.present) plan.failBatchAtCreateCall = failBatch.atCreateCall;

	// Drawn after every earlier draw, so adding them left the import runs' plans as they were.
	const kill = { present: chance(prng, 0.5), atApiCall: integerBetween(prng, 2, 8) };
	if (mode.queue && kill.present) plan.killWorkerAtApiCall = kill.atApiCall;
	const extract = planExtract(prng);
	// A token that dies during the minute the extract waits between status reads.
	const extractToken = { present: chance(prng, 0.5), seconds: integerBetween(prng, 15, 50) };
	if (example === 'ex') {
		plan.extract = extract;
		plan.tokenLifetimeSeconds = extractToken.present ? extractToken.seconds : 3600;
		// Import faults tied to create-import calls have no call to hit in an extract.
		delete plan.createFault;
		delete plan.failBatchAtCreateCall;
		delete plan.foreignJobs;
	}
	return plan;
}

function describeAnswer(answer: FaultAnswer): string {
	switch (answer.kind) {
		case 'http':
			return `HTTP ${answer.status}`;
		case 'gateway502':
			return 'HTTP 502 gateway page';
		case 'envelope':
			return `envelope ${answer.code}`;
		case 'reset':
			return 'connection reset';
		case 'delay':
			return `delay ${answer.ms} ms`;
		case 'truncate':
			return `download cut after ${answer.afterBytes} bytes`;
		case 'corrupt':
			return 'download with one byte changed';
	}
}

/** The plan's faults in words, one entry each, for the progress lines and the results file. */
export function describePlan(plan: RunPlan): string[] {
	const parts: string[] = [];
	const random = plan.random;
	const rates: string[] = [];
	if (random.http5xxRate) rates.push(`5xx ${random.http5xxRate}`);
	if (random.gateway502Rate) rates.push(`502 ${random.gateway502Rate}`);
	if (random.connectionResetRate) rates.push(`reset ${random.connectionResetRate}`);
	for (const [code, value] of Object.entries(random.envelopeErrorRates ?? {}))
		rates.push(`${code} ${value}`);
	if (random.slowResponseRate)
		rates.push(`slow ${random.slowResponseRate} x ${random.slowResponseMs} ms`);
	parts.push(rates.length > 0 ? `random per call: ${rates.join(', ')}` : 'no random faults');
	if (plan.createFault) {
		parts.push(
			`create call #${plan.createFault.onCreateCall} handled, then answered ${describeAnswer(plan.createFault.answer)}`,
		);
	}
	if (plan.rateBurst)
		parts.push(
			`${plan.rateBurst.times} x ${plan.rateBurst.code} from API call #${plan.rateBurst.atApiCall}`,
		);
	if (plan.tokenLifetimeSeconds < 3600) parts.push(`tokens live ${plan.tokenLifetimeSeconds} s`);
	if (plan.revokeTokensAtApiCall)
		parts.push(`tokens revoked at API call #${plan.revokeTokensAtApiCall}`);
	if (plan.foreignJobs)
		parts.push(
			`${plan.foreignJobs.count} foreign jobs of ${plan.foreignJobs.rowsEach} rows at the first create`,
		);
	if (plan.failBatchAtCreateCall)
		parts.push(`batch of create call #${plan.failBatchAtCreateCall} ends Failed`);
	if (plan.extract) parts.push(...describeExtractPlan(plan.extract));
	if (plan.killWorkerAtApiCall)
		parts.push(`worker killed at API call #${plan.killWorkerAtApiCall}, then restarted`);
	return parts;
}
