/**
 * One input item's extract, from the request to the output items: today's quota read first
 * (nothing is created over a limit), the columns resolved, then the jobs run until done (each
 * file stored as its job completes) or, with Check Once, one pass per execution carried on from
 * the item the last one output (runState.ts).
 */
import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import {
	customObjectDescribePath,
	fetchDescribe,
	LEAD_DESCRIBE_PATH,
	PROGRAM_MEMBER_DESCRIBE_PATH,
} from '../../../shared/instance/describe';
import {
	BYTES_PER_MB,
	formatMb,
	quotaReading,
	readQuotaUse,
	type QuotaReading,
} from '../../../shared/jobs/exportQuota';
import { toNodeError } from '../../../shared/nodeErrors';
import { currentClock } from '../../../shared/pacing';
import { ExtractFiles, outputCompleted } from '../output/extractOutput';
import { planJobs, type ExtractRequest } from '../plan/extractPlan';
import { readWait, type ExtractSettings } from './extractOptions';
import { advanceJobs, allDone, newJobsState, runJobs } from './jobRunner';
import {
	extractTypeOf,
	keptSettings,
	loadState,
	stateIn,
	stillRunningJson,
	type Continued,
} from './runState';

function describePathOf(request: ExtractRequest): string | null {
	switch (request.target.extractType) {
		case 'leads':
			return LEAD_DESCRIBE_PATH;
		case 'programMembers':
			return PROGRAM_MEMBER_DESCRIBE_PATH;
		case 'customObjects':
			return customObjectDescribePath(request.target.objectApiName ?? '');
		case 'activities':
			return null;
	}
}

async function allFieldsOf(
	context: IExecuteFunctions,
	request: ExtractRequest,
	itemIndex: number,
): Promise<string[] | null> {
	const path = describePathOf(request);
	if (path === null) return null;
	const described = await fetchDescribe(context, path, itemIndex);
	const names = (described?.fields ?? [])
		.map((field) => field.name)
		.filter((name): name is string => typeof name === 'string' && name !== '');
	if (names.length === 0) {
		throw new NodeOperationError(context.getNode(), `Marketo described no fields for ${path}`, {
			itemIndex,
		});
	}
	return names;
}

/** The quota before anything is created; an extract over the user's limit stops here. */
async function checkQuota(
	context: IExecuteFunctions,
	request: ExtractRequest,
	settings: ExtractSettings,
): Promise<QuotaReading> {
	const now = currentClock().now();
	const used = await readQuotaUse(context, request.target.objectApiName, now, settings.itemIndex);
	const reading = quotaReading(used, settings.dailyAllocationMb, now);
	const limitBytes =
		settings.stopAboveMb > 0 ? settings.stopAboveMb * BYTES_PER_MB : reading.allocationBytes;
	if (used >= limitBytes) {
		throw new NodeOperationError(
			context.getNode(),
			`This API user's extracts already used ${formatMb(used)} of Marketo's daily export quota today, at or over the ${formatMb(limitBytes)} this node may start from; nothing was created`,
			{
				itemIndex: settings.itemIndex,
				description: `The quota resets at midnight US Central Time (${new Date(reading.resetsAt).toISOString()}). Raise "Stop If Today's Use Reaches (MB)" or "Daily Export Allocation (MB)" in the options if your instance has more, or run later.`,
			},
		);
	}
	return reading;
}

/** Check Once: one pass over the jobs; the output once all completed, else a still-running item. */
async function checkOnce(
	context: IExecuteFunctions,
	extract: Continued,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { request, quota, state } = extract;
	const settings = { ...extract.settings, itemIndex };
	await advanceJobs(context, request.target, state, settings, async () => undefined);
	if (allDone(state)) {
		const files = new ExtractFiles(context, request, settings, state.runs.length);
		return await outputCompleted(context, request, settings, quota, state.runs, files);
	}
	return [
		{
			json: stillRunningJson(request, extract.settings, quota, state),
			pairedItem: { item: itemIndex },
		},
	];
}

/** Wait Until Done: every job run to Completed, each file stored as its job completes. */
async function untilDone(
	context: IExecuteFunctions,
	extract: Continued,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { request, quota, state } = extract;
	const settings = { ...extract.settings, itemIndex };
	const files = new ExtractFiles(context, request, settings, state.runs.length);
	const runs = await runJobs(context, request.target, state, settings, async (run) => {
		await files.store(run);
	});
	return await outputCompleted(context, request, settings, quota, runs, files);
}

/** A new extract: the quota checked and the columns resolved before anything is created. */
async function startExtract(
	context: IExecuteFunctions,
	request: ExtractRequest,
	settings: ExtractSettings,
): Promise<Continued> {
	const quota = await checkQuota(context, request, settings);
	const fields = settings.allFields
		? await allFieldsOf(context, request, settings.itemIndex)
		: request.fields;
	const resolved: ExtractRequest = { ...request, fields };
	return {
		request: resolved,
		settings: keptSettings(settings),
		quota,
		state: newJobsState(planJobs(resolved), currentClock().now()),
	};
}

export async function runExtract(
	context: IExecuteFunctions,
	request: ExtractRequest,
	settings: ExtractSettings,
): Promise<INodeExecutionData[]> {
	const extract = await startExtract(context, request, settings);
	return settings.wait === 'checkOnce'
		? await checkOnce(context, extract, settings.itemIndex)
		: await untilDone(context, extract, settings.itemIndex);
}

/** One input item: a new extract, or (an item a Check Once run output) the one it carries on. */
async function runItem(
	context: IExecuteFunctions,
	itemIndex: number,
	build: (itemIndex: number) => { request: ExtractRequest; settings: ExtractSettings },
): Promise<INodeExecutionData[]> {
	const saved = stateIn(context.getInputData()[itemIndex]?.json ?? {});
	if (saved === null) {
		const { request, settings } = build(itemIndex);
		return await runExtract(context, request, settings);
	}
	const operation = context.getNodeParameter('operation', 0) as string;
	const extract = loadState(context, saved, extractTypeOf(operation), itemIndex);
	return readWait(context, itemIndex) === 'checkOnce'
		? await checkOnce(context, extract, itemIndex)
		: await untilDone(context, extract, itemIndex);
}

/**
 * An operation over the node's input: one extract per item, in order (they share Marketo's
 * queue and quota, so running them at once would only make them wait on each other). With
 * Settings > On Error > Continue, a failed item becomes an error item and the next one runs.
 */
export async function runExtractOperation(
	context: IExecuteFunctions,
	build: (itemIndex: number) => { request: ExtractRequest; settings: ExtractSettings },
): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	const items = context.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const outcome = await Promise.resolve()
			.then(async () => {
				return await runItem(context, itemIndex, build);
			})
			.then(
				(produced) => ({ produced, error: null }),
				(error: unknown) => ({ produced: null, error }),
			);
		if (outcome.produced !== null) {
			// One by one: spreading a million records as items into push's arguments overflows the stack.
			for (const item of outcome.produced) output.push(item);
			continue;
		}
		const failure = toNodeError(context.getNode(), outcome.error, itemIndex);
		if (!context.continueOnFail()) throw failure;
		output.push({
			json: {
				error: failure.message,
				...(failure.description ? { description: failure.description } : {}),
			},
			pairedItem: { item: itemIndex },
		});
	}
	return output;
}
