import type { IExecuteFunctions } from 'n8n-workflow';

import type { BatchStatusName } from '../../../shared/batch';
import { delimiterOf, mimeTypeOf, type CsvFormat } from '../../../shared/csv/formats';
import { CsvFileError } from '../../../shared/csv/fileErrors';
import { createImportPath, type ImportType } from '../../../shared/importTypes';
import {
	CreateOutcomeUnknownError,
	marketoCreateImport,
	type CreateImportResult,
} from '../../../shared/transport';
import { toNodeError } from '../../../shared/nodeErrors';
import {
	describeRowRange,
	fileErrorToNodeError,
	lostUploadSentence,
	PartialImportError,
	possibleDuplicateNotice,
	uncertainPartError,
} from './importErrors';
import type { ImportPlan } from '../plan/importPlan';
import type { ImportSession } from '../run/importSession';
import { effectiveMaxPartBytes, lookBeforeUpload } from './lookBeforeUpload';
import { countSharedKeys, keyColumnIndices, keysOfRows } from './partKeys';
import { partSourceOf, type PartSource, type PlannedPart } from './partSources';
import { assertHeaderMatches } from '../plan/preflight';
import {
	createQueueSlotWaiter,
	QueueWaitBudget,
	waitForPredictedSlot,
	waitUntilFinished,
} from '../../../shared/jobs/queueWait';
import {
	highestKnownBatchId,
	MAX_UNCERTAIN_CREATES_PER_PART,
	rememberBatchId,
	settleBatchesAfter,
	settleBatchesAround,
} from './uncertainCreate';

import type { FileToImport, SubmitSettings, SubmittedPart } from './types';

/**
 * The upload: a file's parts, one Marketo batch each, one after the other, with the queue
 * waits, the same-key guard between neighbouring parts and the recovery of a lost create.
 */

/**
 * Pure: the `format` query value. Marketo's documentation and examples use
 * lower case for every import type (the OpenAPI file lists upper case for
 * program members; Marketo accepts both).
 */
export function formatQueryValue(_importType: ImportType, format: CsvFormat): string {
	return format;
}

/**
 * What is known only once submitting ended, for a finished file and for one that stopped
 * early alike: the part count, the measured import speed (handing it over spares Wait for
 * Batch the calls to learn it again) and the ends seen while waiting for a queue slot.
 */
function finishDescriptors(session: ImportSession, submitted: SubmittedPart[]): SubmittedPart[] {
	const rowsPerMs = session.submitted.rowsPerMs();
	for (const { descriptor } of submitted) {
		descriptor.partCount = submitted.length;
		if (rowsPerMs !== null)
			descriptor.observedRowsPerSecond = Math.round(rowsPerMs * 1_000_000) / 1000;
		const finalStatus = session.submitted.finalStatusOf(descriptor.batchId);
		if (finalStatus !== undefined) {
			descriptor.status = finalStatus.status;
			descriptor.finalStatus = finalStatus;
		}
	}
	return submitted;
}

/**
 * Submitting stopped after `submitted` parts: their descriptors are finished as for a whole
 * file and handed back with the error. n8n never sees this wrapper: submitToItems outputs the
 * parts (Continue On Fail) or throws the node error it carries (so does toNodeError).
 */
function stoppedAfterParts(
	session: ImportSession,
	nodeError: ReturnType<typeof toNodeError>,
	submitted: SubmittedPart[],
	lastRow: number | null,
): PartialImportError {
	return new PartialImportError(nodeError, finishDescriptors(session, submitted), lastRow);
}

interface CreateForPartOptions {
	itemIndex: number;
	budget: QueueWaitBudget;
	rowsLabel: string;
	upload: Omit<Parameters<typeof marketoCreateImport>[0], 'waitForQueueSlot'>;
	/**
	 * With no batch id known to look from, hand the lost create back (`lost`) instead of
	 * stopping: the caller uploads the next part first, whose id bounds the lost one's from above.
	 */
	mayDefer?: boolean;
}

type CreateOutcome =
	| { created: CreateImportResult; possibleDuplicateBatchIds?: number[]; lost?: undefined }
	| { lost: CreateOutcomeUnknownError; created?: undefined };

/**
 * Creates the batch for one part. A create whose answer was lost (docs/DECISIONS.md "A create
 * whose outcome is unknown") is sent again only after every batch Marketo made since the last
 * id this process knows has finished; without such an id, or after too many lost answers, the
 * node stops and says which rows may be in Marketo.
 */
async function createBatchForPart(
	context: IExecuteFunctions,
	session: ImportSession,
	plan: ImportPlan,
	options: CreateForPartOptions,
	/** batches found below the next part's id, when this part was deferred */
	settledBefore?: number[],
): Promise<CreateOutcome> {
	const { itemIndex, budget } = options;
	let possibleDuplicateBatchIds: number[] | undefined = settledBefore;
	for (let uncertain = settledBefore === undefined ? 0 : 1; ; ) {
		const waitForQueueSlot = createQueueSlotWaiter(context, session.submitted, {
			itemIndex,
			budget,
		});
		// Ten of ours not seen finished: look at the oldest before uploading 10 MB into a 1016.
		if (session.submitted.mayFillQueue()) await waitForQueueSlot(0, '1016');
		else await waitForPredictedSlot(context, session.submitted, { budget });
		try {
			const created = await marketoCreateImport.call(context, {
				...options.upload,
				waitForQueueSlot,
			});
			await rememberBatchId(context, created.batchId, itemIndex);
			return { created, possibleDuplicateBatchIds };
		} catch (error) {
			if (!(error instanceof CreateOutcomeUnknownError))
				throw toNodeError(context.getNode(), error, itemIndex);
			uncertain++;
			const ownHighest = session.submitted.highestBatchId();
			const processHighest = await highestKnownBatchId(context, itemIndex);
			const anchor = Math.max(ownHighest ?? -1, processHighest ?? -1);
			if (anchor < 0 && options.mayDefer === true) return { lost: error };
			if (anchor < 0 || uncertain > MAX_UNCERTAIN_CREATES_PER_PART) {
				throw uncertainPartError(
					context,
					error,
					options.rowsLabel,
					anchor < 0 ? null : uncertain,
					itemIndex,
					possibleDuplicateBatchIds,
				);
			}
			const found = await settleBatchesAfter(context, plan.target, anchor, {
				itemIndex,
				budget,
				rowsLabel: options.rowsLabel,
			});
			possibleDuplicateBatchIds = [...(possibleDuplicateBatchIds ?? []), ...found];
		}
	}
}

interface DeferredPart {
	part: PlannedPart;
	keys: Set<string>;
	rowsLabel: string;
	lost: CreateOutcomeUnknownError;
	/** batches found around the next part's id, once looked for: any may be the lost upload's */
	found?: number[];
}

/**
 * Holds a part that shares lookup values with a part uploaded just before it until that part's
 * batch has finished: two batches upserting the same record at once can create duplicates.
 */
async function waitForBatchOfPart(
	context: IExecuteFunctions,
	session: ImportSession,
	batchId: number,
	partIndex: number,
	keysShared: number,
	budget: QueueWaitBudget,
	itemIndex: number,
): Promise<void> {
	const tracked = session.submitted.find(batchId);
	if (tracked === undefined || tracked.finished) return;
	await waitUntilFinished(
		context,
		{ ...tracked.target, batchId: tracked.batchId },
		{
			itemIndex,
			budget,
			reason: `part ${partIndex + 1} shares ${keysShared} lookup ${keysShared === 1 ? 'value' : 'values'} with it, and Marketo must not upsert the same record from two batches at once`,
		},
		{ submitted: session.submitted, batch: tracked },
	);
}

/**
 * Splits the file, checks its header once (before anything is uploaded) and
 * creates one Marketo batch per part. Parts are uploaded one after the other
 * without waiting for earlier batches to finish: Marketo queues them, and
 * when its queue is full the waiter decides how long to hold back.
 */
export async function submitParts(
	this: IExecuteFunctions,
	session: ImportSession,
	plan: ImportPlan,
	file: FileToImport,
	itemIndex: number,
	settings: SubmitSettings,
): Promise<SubmittedPart[]> {
	const submitted: SubmittedPart[] = [];
	const maxPartBytes = effectiveMaxPartBytes(settings.partSizeLimitBytes, file.fileName);

	const { splitPlan, format, groups } = await lookBeforeUpload(
		this,
		file,
		maxPartBytes,
		itemIndex,
		plan.grouping,
	);
	let source: PartSource;
	try {
		source = await partSourceOf(
			this,
			session.programStatuses,
			plan,
			file,
			splitPlan,
			maxPartBytes,
			itemIndex,
			groups,
		);
	} catch (error) {
		throw toNodeError(this.getNode(), error, itemIndex);
	}
	if (settings.preflight) {
		const rules = await plan.headerRules(this, session.describeCache, itemIndex);
		// The group columns are not uploaded: only the rest must be Marketo fields.
		assertHeaderMatches(this, source.header, rules, file.subject, itemIndex);
	}

	const budget = new QueueWaitBudget(settings.queueWaitLimitMs);
	const delimiter = delimiterOf(format);
	// One part has no neighbour to collide with: its keys are not worth reading.
	const keyIndices = source.manyParts
		? keyColumnIndices(
				source.header,
				await plan.keyColumns(this, session.describeCache, itemIndex, source.header),
			)
		: null;
	/** the parts uploaded just before the current one, with their keys (the same-key guard) */
	let neighbours: Array<{ keys: Set<string>; batchId: number }> = [];
	/** the first part, when its create's answer was lost with no batch id known to look from */
	let deferred: DeferredPart | null = null;
	const uploadOf = (body: Buffer, partPlan: ImportPlan) => ({
		path: createImportPath(partPlan.target),
		qs: { ...partPlan.query, format: formatQueryValue(partPlan.target.importType, format) },
		itemIndex,
		file: { body, fileName: file.fileName, contentType: mimeTypeOf(format) },
	});
	const record = (
		part: PlannedPart,
		outcome: CreateOutcome,
		keysShared: number | undefined,
		rowsLabel: string,
	) => {
		const created = outcome.created as CreateImportResult;
		const possibleDuplicateBatchIds =
			outcome.lost === undefined ? outcome.possibleDuplicateBatchIds : undefined;
		session.submitted.add(part.plan.target, created.batchId, part.rows, created.status);
		const { body, plan: partPlan, ...partInfo } = part;
		submitted.push({
			part: file.keepPartBodies ? { ...partInfo, body } : partInfo,
			descriptor: {
				batchId: created.batchId,
				importId: created.importId,
				status: created.status as BatchStatusName,
				importType: partPlan.target.importType,
				...partPlan.targetFields,
				format,
				fileEncoding: splitPlan.encoding,
				fileName: file.fileName,
				part: part.index + 1,
				partCount: 0, // known once the whole file is read
				rows: part.rows,
				bytes: body.length,
				firstRowNumber: part.firstRowNumber,
				submittedAt: new Date().toISOString(),
				...(keysShared !== undefined ? { keysSharedWithPreviousPart: keysShared } : {}),
				...(possibleDuplicateBatchIds !== undefined
					? {
							possibleDuplicateBatchIds,
							notice: possibleDuplicateNotice(rowsLabel, possibleDuplicateBatchIds),
						}
					: {}),
			},
		});
		return created.batchId;
	};

	try {
		for await (const part of source.parts) {
			const rowsLabel = part.group
				? `${part.rows === 1 ? 'row' : `${part.rows} rows`} from row ${part.firstRowNumber} with ${part.group.values.map((value) => `'${value}'`).join(', ')}`
				: describeRowRange({ from: part.firstRowNumber, to: part.firstRowNumber + part.rows - 1 });
			let keys: Set<string> | null = null;
			let keysShared: number | undefined;
			if (keyIndices !== null) {
				keys = await keysOfRows(part.body.subarray(source.headerBytes), delimiter, keyIndices);
				if (deferred !== null && countSharedKeys(deferred.keys, keys) > 0) {
					// The lost upload may be running: rows upserting the same records must not go beside it.
					const lost = deferred;
					deferred = null;
					throw uncertainPartError(this, lost.lost, lost.rowsLabel, null, itemIndex);
				}
				if (part.index > 0) keysShared = 0;
				for (const neighbour of neighbours) {
					const shared = countSharedKeys(neighbour.keys, keys);
					if (shared === 0) continue;
					keysShared = (keysShared ?? 0) + shared;
					await waitForBatchOfPart(
						this,
						session,
						neighbour.batchId,
						part.index,
						shared,
						budget,
						itemIndex,
					);
				}
			}

			const outcome = await createBatchForPart(this, session, part.plan, {
				itemIndex,
				budget,
				rowsLabel,
				upload: uploadOf(part.body, part.plan),
				// Uploading the next part first needs its keys, to be sure it cannot collide.
				mayDefer:
					deferred === null &&
					submitted.length === 0 &&
					keys !== null &&
					!part.group &&
					part.index + 1 < splitPlan.parts.length,
			});
			if (outcome.lost !== undefined) {
				deferred = {
					part: { ...part, body: Buffer.from(part.body) },
					keys: keys as Set<string>,
					rowsLabel,
					lost: outcome.lost,
				};
				continue;
			}
			const batchId = record(part, outcome, keysShared, rowsLabel);
			neighbours = keys !== null ? [{ keys, batchId }] : [];

			if (deferred !== null) {
				// This part's id bounds the lost upload's from above: settle it, then send it again.
				const lost = deferred;
				lost.found = await settleBatchesAround(this, lost.part.plan.target, batchId, {
					itemIndex,
					budget,
					rowsLabel: lost.rowsLabel,
				});
				const resent = await createBatchForPart(
					this,
					session,
					lost.part.plan,
					{
						itemIndex,
						budget,
						rowsLabel: lost.rowsLabel,
						upload: uploadOf(lost.part.body, lost.part.plan),
					},
					lost.found,
				);
				deferred = null;
				const resentId = record(lost.part, resent, undefined, lost.rowsLabel);
				neighbours.push({ keys: lost.keys, batchId: resentId });
			}
		}
	} catch (error) {
		const nodeError =
			error instanceof CsvFileError
				? fileErrorToNodeError(this, error, file, submitted, itemIndex)
				: toNodeError(this.getNode(), error, itemIndex);
		// Unless the error is about those very rows (a resend lost again), say what became of them.
		if (deferred !== null && !nodeError.message.includes(`batch for ${deferred.rowsLabel}:`)) {
			nodeError.description = [
				nodeError.description,
				lostUploadSentence(deferred.rowsLabel, deferred.found ?? []),
			]
				.filter(Boolean)
				.join(' ');
		}
		submitted.sort((a, b) => a.part.index - b.part.index);
		// An error on part 3 must not drop parts 1 and 2: they are Marketo batches already.
		if (submitted.length > 0)
			throw stoppedAfterParts(session, nodeError, submitted, splitPlan.totalRows);
		throw nodeError;
	}

	submitted.sort((a, b) => a.part.index - b.part.index);
	return finishDescriptors(session, submitted);
}
