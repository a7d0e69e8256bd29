import type { IExecuteFunctions } from 'n8n-workflow';

import type { BatchStatusName } from '../../../shared/batch';
import type { ItemRange } from '../../../shared/itemRanges';
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
	describeRowNumbers,
	describeRowRange,
	fileErrorToNodeError,
	HeldBackRows,
	lostUploadSentence,
	PartialImportError,
	possibleDuplicateNotice,
	uncertainPartError,
	type RowsNotSubmitted,
} from './importErrors';
import type { ImportPlan } from '../plan/importPlan';
import type { ImportSession } from '../run/importSession';
import { effectiveMaxPartBytes, lookBeforeUpload } from './lookBeforeUpload';
import { heldBackParts, keepRows, partDependencies, sameKeyGuardOf } from './heldRows';
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
 * waits, the same-key guard (heldRows.ts) and the recovery of a lost create.
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
	submitted.forEach(({ descriptor }, position) => {
		// A part whose rows were all held back made no batch: the batches are numbered as made.
		descriptor.part = position + 1;
		descriptor.partCount = submitted.length;
		if (rowsPerMs !== null)
			descriptor.observedRowsPerSecond = Math.round(rowsPerMs * 1_000_000) / 1000;
		const finalStatus = session.submitted.finalStatusOf(descriptor.batchId);
		if (finalStatus !== undefined) {
			descriptor.status = finalStatus.status;
			descriptor.finalStatus = finalStatus;
		}
	});
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
	notSubmitted?: RowsNotSubmitted,
): PartialImportError {
	return new PartialImportError(
		nodeError,
		finishDescriptors(session, submitted),
		lastRow,
		notSubmitted,
	);
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

/** A part on its way up: a part of the file (or held-back rows) and what it waits for. */
type PartToUpload = PlannedPart & {
	rowNumbers?: ItemRange[];
	/** parts (0-based) whose batches must finish first */
	waitsFor: number[];
	rowsHeldBack?: number;
	/** rows held back from earlier parts (uploaded after every part of the file) */
	heldBackPart?: boolean;
};

interface DeferredPart {
	part: PartToUpload;
	rowsLabel: string;
	lost: CreateOutcomeUnknownError;
	/** batches found around the next part's id, once looked for: any may be the lost upload's */
	found?: number[];
}

/**
 * Holds a part until the batch of a part holding earlier rows of its records has finished:
 * two batches upserting the same record at once can create duplicates.
 */
async function waitForBatchOfPart(
	context: IExecuteFunctions,
	session: ImportSession,
	batchId: number,
	rowsLabel: string,
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
			reason: `it holds earlier rows of records in ${rowsLabel}, and Marketo must not upsert the same record from two batches at once`,
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

	// A grouped import's keys do not depend on its header (program members: email).
	const groupedKeyColumns = plan.grouping
		? await plan.keyColumns(this, session.describeCache, itemIndex, [])
		: undefined;
	const { splitPlan, format, groups, repeatedKeys } = await lookBeforeUpload(
		this,
		file,
		maxPartBytes,
		itemIndex,
		plan.grouping,
		groupedKeyColumns,
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
	const { keysKnown, guard } = await sameKeyGuardOf(
		this,
		session,
		plan,
		file,
		splitPlan,
		source,
		itemIndex,
		repeatedKeys,
	);
	/** the batch of each part uploaded (0-based part index), for the parts that wait for it */
	const batchOfPart = new Map<number, number>();
	/** rows held back for a later part and not yet in one (for the error, should the import stop) */
	const heldBack = new HeldBackRows();
	/** the first part, when its create's answer was lost with no batch id known to look from */
	let deferred: DeferredPart | null = null;
	/** the first row after the file's parts submitted (or all held back), for the error */
	let nextRow = 1;
	const rowsTaken = (index: number) => {
		const range = splitPlan.parts[index];
		nextRow = Math.max(nextRow, range.firstRowNumber + range.rows);
	};
	const uploadOf = (body: Buffer, partPlan: ImportPlan) => ({
		path: createImportPath(partPlan.target),
		qs: { ...partPlan.query, format: formatQueryValue(partPlan.target.importType, format) },
		itemIndex,
		file: { body, fileName: file.fileName, contentType: mimeTypeOf(format) },
	});
	const record = (part: PartToUpload, outcome: CreateOutcome, rowsLabel: string) => {
		const created = outcome.created as CreateImportResult;
		const possibleDuplicateBatchIds =
			outcome.lost === undefined ? outcome.possibleDuplicateBatchIds : undefined;
		session.submitted.add(part.plan.target, created.batchId, part.rows, created.status);
		const { body, plan: partPlan, waitsFor, rowsHeldBack, heldBackPart, ...partInfo } = part;
		const waitedFor = waitsFor.map((index) => batchOfPart.get(index) as number);
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
				...(rowsHeldBack ? { rowsHeldBack } : {}),
				...(waitedFor.length > 0 ? { waitedForBatchIds: waitedFor } : {}),
				...(possibleDuplicateBatchIds !== undefined
					? {
							possibleDuplicateBatchIds,
							notice: possibleDuplicateNotice(rowsLabel, possibleDuplicateBatchIds),
						}
					: {}),
			},
		});
		batchOfPart.set(part.index, created.batchId);
		if (heldBackPart === true) heldBack.submitted(part.rows);
		else if (!part.group) rowsTaken(part.index);
		return created.batchId;
	};

	/** The file's parts with the rows held back taken out, then the held-back rows' parts. */
	async function* partsToUpload(): AsyncGenerator<PartToUpload> {
		for await (const part of source.parts) {
			if (guard === null) yield { ...part, waitsFor: [] };
			else if (guard.movesRows) {
				const kept = keepRows(guard.keys, guard.partKeys, part, source.headerBytes, delimiter);
				heldBack.add(kept.heldBackRowNumbers);
				// A part whose rows all wait for earlier parts makes no batch of its own.
				if (kept.rows === 0) rowsTaken(part.index);
				else
					yield {
						...part,
						body: kept.body,
						rows: kept.rows,
						waitsFor: [],
						...(kept.rowNumbers ? { rowNumbers: kept.rowNumbers } : {}),
						...(kept.heldBack > 0 ? { rowsHeldBack: kept.heldBack } : {}),
					};
			} else {
				const data = part.body.subarray(source.headerBytes);
				const waitsFor = partDependencies(guard.keys, guard.partKeys, part.index, data, delimiter);
				yield { ...part, waitsFor };
			}
		}
		if (guard === null || !guard.movesRows || heldBack.total === 0) return;
		const held = heldBackParts(
			file.open,
			splitPlan,
			guard.keys,
			guard.fileKeys,
			maxPartBytes,
			splitPlan.parts.length,
		);
		for await (const part of held) yield { ...part, plan, heldBackPart: true };
	}

	try {
		for await (const part of partsToUpload()) {
			const rowsLabel = labelOfPart(part);
			for (const index of part.waitsFor) {
				if (deferred !== null && deferred.part.index === index) {
					// The lost upload may be running: rows upserting the same records must not go beside it.
					const lost = deferred;
					deferred = null;
					throw uncertainPartError(this, lost.lost, lost.rowsLabel, null, itemIndex);
				}
				const batchId = batchOfPart.get(index) as number;
				await waitForBatchOfPart(this, session, batchId, rowsLabel, budget, itemIndex);
			}

			const outcome = await createBatchForPart(this, session, part.plan, {
				itemIndex,
				budget,
				rowsLabel,
				upload: uploadOf(part.body, part.plan),
				// Uploading the next part first needs to know which parts it waits for.
				mayDefer:
					deferred === null &&
					submitted.length === 0 &&
					keysKnown &&
					!part.group &&
					part.index + 1 < splitPlan.parts.length,
			});
			if (outcome.lost !== undefined) {
				deferred = {
					part: { ...part, body: Buffer.from(part.body) },
					rowsLabel,
					lost: outcome.lost,
				};
				continue;
			}
			const batchId = record(part, outcome, rowsLabel);

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
				record(lost.part, resent, lost.rowsLabel);
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
		if (submitted.length > 0) {
			const notSubmitted = guard?.movesRows
				? heldBack.notSubmitted(nextRow, splitPlan.totalRows)
				: undefined;
			throw stoppedAfterParts(session, nodeError, submitted, splitPlan.totalRows, notSubmitted);
		}
		throw nodeError;
	}

	submitted.sort((a, b) => a.part.index - b.part.index);
	return finishDescriptors(session, submitted);
}

/** Pure: how a part's rows are named in messages. */
function labelOfPart(part: PartToUpload): string {
	if (part.group)
		return `${part.rows === 1 ? 'row' : `${part.rows} rows`} from row ${part.firstRowNumber} with ${part.group.values.map((value) => `'${value}'`).join(', ')}`;
	if (part.rowNumbers) return describeRowNumbers(part.rowNumbers);
	return describeRowRange({ from: part.firstRowNumber, to: part.firstRowNumber + part.rows - 1 });
}
