/**
 * Mode "Wait Until Done": poll the input's batches until each is Complete or Failed,
 * within the time limit. When and which batches to poll is decided by the pure
 * scheduler (nodes/shared/jobs/pollScheduler.ts); this file only does the calls and the waiting.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { fetchBatchStatus, observationOf, type BatchStatus } from '../../shared/jobs/batchStatus';
import { targetOf, type AwaitedBatch } from '../helpers/input/batchSource';
import {
	DEFAULT_POLL_SETTINGS,
	isFinished,
	newPollState,
	planPolls,
	recordObservation,
	rowsPerMsFromItems,
	type BatchPollState,
	type PollSettings,
} from '../../shared/jobs/pollScheduler';
import {
	describeRunning,
	stillRunningJson,
	stopReport,
	unknownStatus,
	type LastStatus,
} from '../helpers/output/summary';
import { pauseUnlessCancelled } from '../../shared/jobs/pause';
import { currentClock } from '../../shared/pacing';
import { handedOverStatus, readBatches } from '../helpers/input/readBatches';
import {
	DEFAULT_MAX_POLL_INTERVAL_SECONDS,
	DEFAULT_TIME_LIMIT_MINUTES,
	readResultOptions,
	stopsOnFailedBatch,
	type OnTimeLimit,
	type ResultOptions,
} from '../helpers/input/options';
import { cancelledError, failedBatchError, handleBatchError } from '../helpers/output/batchErrors';
import { outputFinishedBatch } from '../helpers/output/finishedBatch';
import { OUTPUT_DONE, OutputCollector, pairedTo } from '../helpers/output/outputCollector';
import { RunFiles } from '../helpers/rows/runFiles';

/** One batch being waited for. */
interface Tracked {
	batch: AwaitedBatch;
	poll: BatchPollState;
	last: LastStatus;
}

interface WaitSettings {
	poll: PollSettings;
	timeLimitMs: number;
	onTimeLimit: OnTimeLimit;
	results: ResultOptions;
	/** a Failed batch ends the node with an error naming every batch (see failedBatchError) */
	stopOnFailedBatch: boolean;
}

function readWaitSettings(this: IExecuteFunctions): WaitSettings {
	const maxPollSeconds = this.getNodeParameter(
		'maxPollInterval',
		0,
		DEFAULT_MAX_POLL_INTERVAL_SECONDS,
	) as number;
	const timeLimitMinutes = this.getNodeParameter(
		'timeLimit',
		0,
		DEFAULT_TIME_LIMIT_MINUTES,
	) as number;
	if (!(maxPollSeconds > 0) || !(timeLimitMinutes > 0)) {
		throw new NodeOperationError(
			this.getNode(),
			'Max Poll Interval and Time Limit must be positive numbers',
		);
	}
	const results = readResultOptions.call(this);
	return {
		poll: { ...DEFAULT_POLL_SETTINGS, maxIntervalMs: maxPollSeconds * 1000 },
		timeLimitMs: timeLimitMinutes * 60_000,
		onTimeLimit: this.getNodeParameter('onTimeLimit', 0, 'error') as OnTimeLimit,
		results,
		stopOnFailedBatch: stopsOnFailedBatch.call(this, results),
	};
}

function track(batch: AwaitedBatch, startedAt: number, settings: PollSettings): Tracked {
	// Unknown submission time (Define Below): the batch may be long done, so poll at once.
	const submittedAt =
		batch.submittedAt !== null
			? Date.parse(batch.submittedAt)
			: startedAt - settings.firstPollDelayMs;
	return {
		batch,
		poll: newPollState({ submittedAt, batchId: batch.batchId, totalRows: batch.rows }),
		last: unknownStatus(batch),
	};
}

/** Takes a batch out of the scheduler's view after an error (it will not be polled again). */
function settle(tracked: Tracked, at: number): void {
	tracked.poll = recordObservation(tracked.poll, {
		at,
		status: 'Failed',
		rowsProcessed: tracked.last.rowsProcessed + tracked.last.rowsFailed,
	});
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const startedAt = currentClock().now();
	const collector = new OutputCollector(this.getInputData().length);
	const settings = readWaitSettings.call(this);
	const deadline = startedAt + settings.timeLimitMs;
	const tracked = readBatches
		.call(this, collector)
		.map((batch) => track(batch, startedAt, settings.poll));
	// Bulk Import may have measured the instance's speed already: no need to learn it again.
	const handedOverRowsPerMs = rowsPerMsFromItems(
		this.getInputData().map((item) => item.json.observedRowsPerSecond),
	);

	const files = new RunFiles(
		this,
		tracked.map((t) => t.batch),
	);
	const finishing = new FinishingBatches(files);
	// Batches Bulk Import already saw end need no status call.
	for (const t of tracked) {
		const seen = handedOverStatus(t.batch);
		if (seen !== null) finish.call(this, collector, t, seen, settings, finishing, files);
	}

	try {
		return await waitForAll.call(this, collector, tracked, settings, {
			finishing,
			files,
			deadline,
			handedOverRowsPerMs,
		});
	} finally {
		// Stopped or failed: no batch waits for a turn that will not come, no file stays open.
		finishing.stop();
		await files.close();
	}
}

async function waitForAll(
	this: IExecuteFunctions,
	collector: OutputCollector,
	tracked: Tracked[],
	settings: WaitSettings,
	run: {
		finishing: FinishingBatches;
		files: RunFiles;
		deadline: number;
		handedOverRowsPerMs: number | null;
	},
): Promise<INodeExecutionData[][]> {
	const { finishing, files, deadline, handedOverRowsPerMs } = run;
	const signal = this.getExecutionCancelSignal?.();
	for (;;) {
		if (signal?.aborted) throw cancelledError.call(this);
		finishing.throwIfFailed();
		const failed = settings.stopOnFailedBatch
			? tracked.find((t) => t.last.status === 'Failed')
			: undefined;
		if (failed !== undefined) {
			// Nothing is output, so no more result files are fetched; the error names every batch.
			await finishing.abandon();
			throw failedBatchError.call(this, failed.batch, failed.last, tracked);
		}
		const now = currentClock().now();
		const plan = planPolls(
			tracked.map((t) => t.poll),
			now,
			settings.poll,
			deadline,
			handedOverRowsPerMs,
		);
		if (plan.timeLimitReached) {
			files.releaseAll(); // the batches still running will not take their turn
			await finishing.settle();
			handleTimeLimit.call(this, collector, tracked, settings);
			break;
		}
		if (plan.wakeAt === null) break; // every batch is finished
		if (plan.due.length === 0) {
			await pauseUnlessCancelled(plan.wakeAt - now, signal);
			continue;
		}
		// At most three batches are due at once (see planPolls): a small, bounded concurrency.
		await Promise.all(
			plan.due.map(
				async (index) =>
					await pollOnce.call(this, collector, tracked[index], settings, finishing, files),
			),
		);
	}
	await finishing.settle();
	return collector.outputs();
}

/**
 * Fetching a finished batch's result files and tying its rows back takes longer than
 * a status call (the tie-back reads the submitted part). Done in line, it would
 * hold back the polls of every other batch: when Wait for Batch starts behind a long
 * upload, many batches have already ended and would be found one after the other.
 * So a finished batch is handed over here and the polling goes on; the output order
 * does not change, since the collector keeps every batch in its input item's slot.
 * Every finished batch starts at once: RunFiles limits the downloads, and a batch
 * waiting for its turn to read the file (submittedFiles.ts) must not keep the batch
 * whose turn comes first from starting.
 */
class FinishingBatches {
	private readonly running = new Set<Promise<void>>();
	private failure: { error: unknown } | null = null;
	private stopped = false;

	constructor(private readonly files: RunFiles) {}

	start(work: () => Promise<void>): void {
		if (this.failure !== null || this.stopped) return;
		const job: Promise<void> = work()
			.catch((error: unknown) => {
				// The first failure ends the node (without Continue On Fail), as it did in line.
				this.failure ??= { error };
				this.files.releaseAll();
			})
			.finally(() => this.running.delete(job));
		this.running.add(job);
	}

	/** Starts nothing more. */
	stop(): void {
		this.stopped = true;
	}

	/** The node is about to fail: starts nothing more and lets the running ones end. */
	async abandon(): Promise<void> {
		this.stop();
		this.files.releaseAll();
		await Promise.allSettled([...this.running]);
	}

	throwIfFailed(): void {
		if (this.failure !== null) throw this.failure.error;
	}

	/** Waits for every batch handed over; rethrows the first failure. */
	async settle(): Promise<void> {
		while (this.running.size > 0) await Promise.race(this.running);
		this.throwIfFailed();
	}
}

async function pollOnce(
	this: IExecuteFunctions,
	collector: OutputCollector,
	tracked: Tracked,
	settings: WaitSettings,
	finishing: FinishingBatches,
	files: RunFiles,
): Promise<void> {
	const { batch } = tracked;
	let status: BatchStatus;
	try {
		status = await fetchBatchStatus.call(this, targetOf(batch), batch.itemIndex);
	} catch (error) {
		settle(tracked, currentClock().now());
		files.letGo(batch);
		handleBatchError.call(this, collector, batch, error as Error, tracked.last);
		return;
	}
	finish.call(this, collector, tracked, status, settings, finishing, files);
}

/** Records a status answer; a finished batch is handed to `finishing` for its outputs. */
function finish(
	this: IExecuteFunctions,
	collector: OutputCollector,
	tracked: Tracked,
	status: BatchStatus,
	settings: WaitSettings,
	finishing: FinishingBatches,
	files: RunFiles,
): void {
	tracked.last = status;
	tracked.poll = recordObservation(tracked.poll, observationOf(status));
	if (!isFinished(tracked.poll)) return;
	// Stopping on it: the main loop throws before the next poll, naming every batch.
	const { batch } = tracked;
	if (status.status === 'Failed' && settings.stopOnFailedBatch) {
		files.letGo(batch);
		return;
	}
	finishing.start(async () => {
		try {
			await outputFinishedBatch.call(this, collector, batch, status, settings.results, files);
		} catch (error) {
			handleBatchError.call(this, collector, batch, error as Error, status);
		}
	});
}

function handleTimeLimit(
	this: IExecuteFunctions,
	collector: OutputCollector,
	tracked: Tracked[],
	settings: WaitSettings,
): void {
	const running = tracked.filter((t) => !isFinished(t.poll));
	if (settings.onTimeLimit === 'outputStillRunning') {
		for (const { batch, last } of running) {
			collector.add(batch.itemIndex, OUTPUT_DONE, [
				{ json: stillRunningJson(batch, last) as IDataObject, pairedItem: pairedTo(batch) },
			]);
		}
		return;
	}
	const minutes = settings.timeLimitMs / 60_000;
	const list = running.map((t) => describeRunning(t.batch, t.last)).join('; ');
	const message = `Time limit of ${minutes} minute${minutes === 1 ? '' : 's'} reached; still running in Marketo: ${list}`;
	const description =
		'The batches keep running in Marketo. Raise the Time Limit, set On Time Limit to "Output Still-Running Batches", or check later with Mode "Check Once". ' +
		stopReport(tracked);
	if (!this.continueOnFail()) {
		throw new NodeOperationError(this.getNode(), message, { description });
	}
	for (const t of running) {
		handleBatchError.call(
			this,
			collector,
			t.batch,
			new NodeOperationError(
				this.getNode(),
				`Time limit reached; ${describeRunning(t.batch, t.last)}`,
				{
					itemIndex: t.batch.itemIndex,
				},
			),
			t.last,
		);
	}
}
