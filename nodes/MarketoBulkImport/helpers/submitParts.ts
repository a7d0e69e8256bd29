import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { BatchDescriptor, BatchStatusName, SubmittedGroup } from '../../shared/batch';
import { delimiterOf, detectFormat, mimeTypeOf, type CsvFormat } from '../../shared/csv/formats';
import {
	ENCODING_HEAD_BYTES,
	EncodingError,
	readHead,
	resolveEncoding,
	type FileEncoding,
	type OpenSource,
} from '../../shared/csv/encoding';
import { CsvFileError, cutParts, planParts, type FilePart, type SplitPlan } from '../../shared/csv/splitter';
import {
	cutGroupParts,
	DEFAULT_GROUP_BUDGET_BYTES,
	headerWithout,
	scanGroups,
	TooManyGroupsError,
	type GroupSummary,
} from '../../shared/csv/groupSplitter';
import { createImportPath, type ImportType } from '../../shared/importTypes';
import { CreateOutcomeUnknownError, marketoCreateImport, type CreateImportResult } from '../../shared/transport';
import { toNodeError } from './errors';
import type { ImportPlan, PlanGrouping } from './importPlan';
import { balancedPartBytes } from './partSizing';
import { countSharedKeys, keyColumnIndices, keysOfRows } from './partKeys';
import { assertHeaderMatches, DescribeCache } from './preflight';
import {
	createQueueSlotWaiter,
	QueueWaitBudget,
	SubmittedBatches,
	waitForPredictedSlot,
	waitUntilFinished,
} from './queueWait';
import {
	highestKnownBatchId,
	MAX_UNCERTAIN_CREATES_PER_PART,
	rememberBatchId,
	settleBatchesAfter,
	settleBatchesAround,
} from './uncertainCreate';

/** Marketo's upload limit. The whole multipart request counts, so the file part must leave room for the envelope. */
export const MAX_UPLOAD_BYTES = 10_000_000;
const MULTIPART_ENVELOPE_RESERVE_BYTES = 1_024;

/** State shared by every item of one execution: describe answers and the batches we put in Marketo's queue. */
export interface ImportSession {
	describeCache: DescribeCache;
	submitted: SubmittedBatches;
}

export function createImportSession(): ImportSession {
	return { describeCache: new DescribeCache(), submitted: new SubmittedBatches() };
}

export interface FileToImport {
	/** opens the file's bytes; called more than once (the file is checked whole before parts are cut) */
	open: OpenSource;
	/** the encoding chosen in the node ('auto': a byte order mark decides, otherwise UTF-8) */
	encoding: FileEncoding;
	/** name sent to Marketo */
	fileName: string;
	/** name and MIME type of the original, used only to detect the format */
	detectionFileName?: string;
	mimeType?: string;
	format: CsvFormat | 'auto';
	/** what the file is, for messages: "The file in item 0's binary property 'data'" */
	subject: string;
	/** how to fix a bad file, for messages */
	fixHint: string;
	/**
	 * Keep each part's bytes for the caller (the Items input attaches them as the batch's file).
	 * Off for binary files: a 1 GB file must not stay in memory, so parts share one buffer
	 * that is overwritten by the next part once this one is uploaded.
	 */
	keepPartBodies: boolean;
}

export interface SubmitSettings {
	preflight: boolean;
	partSizeLimitBytes: number;
	queueWaitLimitMs: number;
}


export interface SubmittedPart {
	descriptor: BatchDescriptor;
	/** `body` is present only when the file asked to keep part bodies */
	part: Omit<FilePart, 'body'> & { body?: Buffer; group?: SubmittedGroup };
}

/** A part ready to upload, with the plan it goes by (a group's own, when settings come from columns). */
type PlannedPart = FilePart & { plan: ImportPlan; group?: SubmittedGroup };

/** Most distinct groups a file may make (more means the wrong column was chosen). */
export const MAX_GROUPS = 200;

interface PartSource {
	parts: AsyncIterable<PlannedPart>;
	/** the header line as uploaded */
	headerBytes: number;
	header: string[];
	/** whether parts may share keys with a neighbour (more than one part) */
	manyParts: boolean;
}

async function* plainParts(open: FileToImport['open'], splitPlan: SplitPlan, plan: ImportPlan, reuse: boolean) {
	for await (const part of cutParts(open, splitPlan, { reusePartBuffer: reuse })) yield { ...part, plan };
}

/** Pure: the indices of the group columns in the header (exact name first, then ignoring case and spaces). */
export function groupColumnIndices(header: string[], names: string[]): Array<number | undefined> {
	return names.map((name) => {
		const exact = header.indexOf(name);
		if (exact !== -1) return exact;
		const wanted = name.trim().toLowerCase();
		const loose = header.findIndex((column) => column.trim().toLowerCase() === wanted);
		return loose === -1 ? undefined : loose;
	});
}

/** The indices of a grouped import's columns in the header; stops, naming them, when one is missing. */
export function findGroupColumns(
	context: IExecuteFunctions,
	grouping: PlanGrouping,
	file: FileToImport,
	header: string[],
	itemIndex: number,
): number[] {
	const found = groupColumnIndices(header, grouping.columns.map((column) => column.name));
	const missing = grouping.columns.filter((_, k) => found[k] === undefined);
	if (missing.length > 0) {
		const names = missing.map((column) => `'${column.name}'`).join(' and ');
		throw new NodeOperationError(context.getNode(), `${file.subject} has no column ${names}`, {
			itemIndex,
			description:
				`${missing.map((column) => `${column.parameter} is set to "From a Column" with the column '${column.name}'`).join('; ')}, ` +
				`but the header has: ${header.map((name) => `'${name}'`).join(', ')}. Enter the column's header exactly, ` +
				'or add the column to the file. Nothing was uploaded.',
		});
	}
	return found as number[];
}

/** A grouped import's groups, in one read of the file; stops when there are too many of them. */
export async function readGroups(
	context: IExecuteFunctions,
	grouping: PlanGrouping,
	file: FileToImport,
	splitPlan: SplitPlan,
	columns: number[],
	itemIndex: number,
): Promise<GroupSummary[]> {
	let groups;
	try {
		groups = await scanGroups(file.open, splitPlan, columns, MAX_GROUPS);
	} catch (error) {
		if (!(error instanceof TooManyGroupsError)) throw toNodeError(context.getNode(), error, itemIndex);
		const names = grouping.columns.map((column) => `'${column.name}'`).join(' and ');
		throw new NodeOperationError(context.getNode(), `${file.subject}: ${names} ${grouping.columns.length === 1 ? 'has' : 'have'} more than ${MAX_GROUPS} different values`, {
			itemIndex,
			description: `Each different value becomes its own batches; row ${error.rowNumber} brings value number ${MAX_GROUPS + 1}. Check that ${names} is the right column. Nothing was uploaded.`,
		});
	}
	return groups;
}

/**
 * A grouped import's parts: finds the group columns, reads the groups (one pass), lets the
 * plan refuse bad values, then cuts each group's parts (one more pass, streaming).
 */
async function groupedParts(
	context: IExecuteFunctions,
	plan: ImportPlan,
	file: FileToImport,
	splitPlan: SplitPlan,
	maxPartBytes: number,
	itemIndex: number,
): Promise<PartSource> {
	const grouping = plan.grouping as PlanGrouping;
	const columns = findGroupColumns(context, grouping, file, splitPlan.header, itemIndex);
	const groups = await readGroups(context, grouping, file, splitPlan, columns, itemIndex);
	await grouping.check(context, groups, itemIndex, file.subject);
	const sorted = [...columns].sort((a, b) => a - b);
	const header = splitPlan.header.filter((_, index) => !sorted.includes(index));
	async function* parts(): AsyncGenerator<PlannedPart> {
		for await (const part of cutGroupParts(file.open, splitPlan, {
			columns,
			maxPartBytes,
			memoryBudgetBytes: DEFAULT_GROUP_BUDGET_BYTES,
			// Each part is uploaded (or copied, when deferred) before the next is asked for.
			reusePartBuffers: !file.keepPartBodies,
		})) {
			yield {
				index: part.index,
				rows: part.rows,
				firstRowNumber: part.firstRowNumber,
				dataStart: part.dataStart,
				dataEnd: part.dataEnd,
				body: part.body,
				plan: grouping.planFor(part.values),
				group: { columns, values: part.values },
			};
		}
	}
	return {
		parts: parts(),
		headerBytes: headerWithout(splitPlan, sorted).length,
		header,
		manyParts: groups.length > 1 || splitPlan.parts.length > 1,
	};
}

/** Pure: the part size the splitter may use for a user-chosen limit, leaving room for the multipart envelope. */
export function effectiveMaxPartBytes(partSizeLimitBytes: number, fileName: string): number {
	const envelope = MULTIPART_ENVELOPE_RESERVE_BYTES + Buffer.byteLength(fileName);
	return Math.max(2, Math.floor(Math.min(partSizeLimitBytes, MAX_UPLOAD_BYTES - envelope)));
}

/**
 * Pure: the `format` query value. Marketo's documentation and examples use
 * lower case for every import type (the OpenAPI file lists upper case for
 * program members; Marketo accepts both).
 */
export function formatQueryValue(_importType: ImportType, format: CsvFormat): string {
	return format;
}

/** Pure: the delimiter to read the file with, from the parameter or detected. */
export function resolveFormat(
	requested: CsvFormat | 'auto',
	fileName: string | undefined,
	mimeType: string | undefined,
	head: Buffer,
): CsvFormat {
	if (requested !== 'auto') return requested;
	// Nothing to go by means a one-column file: any delimiter reads it the same.
	return detectFormat({ fileName, mimeType, head })?.format ?? 'csv';
}

/** The data rows an import did not submit: `to` is the file's last row, null when the rest of the file was not read. */
export interface RowsNotSubmitted {
	from: number;
	to: number | null;
}

/** Pure: "rows 41-60", "row 60", "rows 41 to the end of the file". */
export function describeRowRange(range: RowsNotSubmitted): string {
	if (range.to === null) return `rows ${range.from} to the end of the file`;
	return range.to === range.from ? `row ${range.from}` : `rows ${range.from}-${range.to}`;
}

/** Pure: what is in Marketo and what is not, for an error's description. */
function describeSubmitted(parts: SubmittedPart[], notSubmitted: RowsNotSubmitted): string {
	if (parts.some(({ part }) => part.group !== undefined)) {
		// Groups interleave in the file: what was submitted is no range of rows.
		const listed = parts
			.map(({ descriptor, part }) => `batch ${descriptor.batchId} (${(part.group?.values ?? []).map((v) => `'${v}'`).join(', ')}: ${part.rows} rows from row ${part.firstRowNumber})`)
			.join(', ');
		return (
			`These batches are already in Marketo and will be imported: ${listed}. The file's other rows were not submitted: ` +
			'import again only the rows that are not in those batches.'
		);
	}
	const ids = parts.map((p) => p.descriptor.batchId).join(', ');
	const submittedRows: RowsNotSubmitted = { from: parts[0].part.firstRowNumber, to: notSubmitted.from - 1 };
	const batches = parts.length === 1 ? `batch ${ids}` : `batches ${ids}`;
	return (
		`The parts before the problem are already in Marketo as ${batches} (${describeRowRange(submittedRows)}) and will be imported. ` +
		`Not submitted: ${describeRowRange(notSubmitted)}. Import only those rows again, not the whole file.`
	);
}

/**
 * An import that stopped after some of its parts were created in Marketo. Those batches run
 * whatever happens next, so they must not be dropped: with Continue On Fail the caller outputs
 * them like a finished import's (`submitted`, descriptors complete) plus an error item; without,
 * it throws `nodeError`, whose description names the batches and the rows not submitted.
 */
export class PartialImportError extends Error {
	readonly nodeError: ReturnType<typeof toNodeError>;
	readonly submitted: SubmittedPart[];
	readonly rowsNotSubmitted: RowsNotSubmitted;

	/** `lastRow`: the file's last data row, null when not known */
	constructor(nodeError: ReturnType<typeof toNodeError>, submitted: SubmittedPart[], lastRow: number | null) {
		super(nodeError.message);
		this.name = 'PartialImportError';
		this.nodeError = nodeError;
		this.submitted = submitted;
		const last = submitted[submitted.length - 1].part;
		const from = last.firstRowNumber + last.rows;
		this.rowsNotSubmitted = { from, to: lastRow !== null && lastRow >= from ? lastRow : null };
		nodeError.description = [nodeError.description, describeSubmitted(submitted, this.rowsNotSubmitted)]
			.filter(Boolean)
			.join(' ');
	}
}

/** Pure: what the user does about a problem found in the file, when it is more than "fix the file". */
export function fixForFileError(error: CsvFileError | EncodingError): string | undefined {
	if (error instanceof EncodingError || error.code === 'invalid-encoding') {
		if (/NUL byte/.test(error.message)) {
			return 'Set Options > File Encoding to UTF-16 (Excel\'s "Unicode Text"), or save the file again as "CSV UTF-8".';
		}
		if (/byte order mark/.test(error.message)) return 'Set Options > File Encoding to Auto.';
		return (
			'Marketo reads UTF-8 only. A "CSV" saved by Excel on Windows is Windows-1252: set Options > File Encoding to ' +
			'Windows-1252 (ISO-8859-1 for older Unix or database exports), or save the file again as "CSV UTF-8".'
		);
	}
	switch (error.code) {
		case 'unclosed-quote':
			return (
				'A value that starts with a double quote must end with one. Close the quote; or, if the quote is part of ' +
				'the value, double it inside a quoted value ("Baker 5"" 10"), or remove it. A quote that is not the first ' +
				'character of a value needs nothing.'
			);
		case 'row-too-large':
			return (
				'Shorten the values of that row (Marketo\'s text fields hold 255 characters, text areas about 65,000), ' +
				'or look for a quote that opens a value by mistake earlier in that row.'
			);
		case 'file-changed':
			return 'Run the workflow again: the file was replaced while the node was reading it.';
		default:
			return undefined;
	}
}

function fileErrorToNodeError(
	context: IExecuteFunctions,
	error: CsvFileError | EncodingError,
	file: FileToImport,
	submitted: SubmittedPart[],
	itemIndex: number,
): NodeOperationError {
	// "The file in item 0 ...: the file is empty" reads as one sentence.
	const reason = error.message.charAt(0).toLowerCase() + error.message.slice(1);
	const fix = fixForFileError(error) ?? file.fixHint;
	return new NodeOperationError(context.getNode(), `${file.subject}: ${reason}`, {
		itemIndex,
		// With parts submitted, PartialImportError adds what is in Marketo and what is not.
		description: submitted.length === 0 ? `${fix} Nothing was uploaded.` : fix,
	});
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
		if (rowsPerMs !== null) descriptor.observedRowsPerSecond = Math.round(rowsPerMs * 1_000_000) / 1000;
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
 * file and handed back with the error. n8n never sees this wrapper: runImport outputs the
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

/** Pure: what the user reads on a batch that was sent again after an answer was lost. */
export function possibleDuplicateNotice(rowsLabel: string, batchIds: number[]): string {
	if (batchIds.length === 0) {
		return `Marketo's answer to the first upload of ${rowsLabel} was lost; no batch had been made from it, so they were sent again.`;
	}
	const ids = batchIds.join(', ');
	return (
		`Marketo's answer to the first upload of ${rowsLabel} was lost, so they were sent again once ` +
		`${batchIds.length === 1 ? `batch ${ids}` : `batches ${ids}`} (made meanwhile, possibly from that upload) had finished. ` +
		'If one of them was that upload, these rows were imported twice, one after the other, never at the same time: an upsert repeated.'
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
		const waitForQueueSlot = createQueueSlotWaiter(context, session.submitted, { itemIndex, budget });
		// Ten of ours not seen finished: look at the oldest before uploading 10 MB into a 1016.
		if (session.submitted.mayFillQueue()) await waitForQueueSlot(0, '1016');
		else await waitForPredictedSlot(context, session.submitted, { budget });
		try {
			const created = await marketoCreateImport.call(context, { ...options.upload, waitForQueueSlot });
			await rememberBatchId(context, created.batchId, itemIndex);
			return { created, possibleDuplicateBatchIds };
		} catch (error) {
			if (!(error instanceof CreateOutcomeUnknownError)) throw toNodeError(context.getNode(), error, itemIndex);
			uncertain++;
			const ownHighest = session.submitted.highestBatchId();
			const processHighest = await highestKnownBatchId(context, itemIndex);
			const anchor = Math.max(ownHighest ?? -1, processHighest ?? -1);
			if (anchor < 0 && options.mayDefer === true) return { lost: error };
			if (anchor < 0 || uncertain > MAX_UNCERTAIN_CREATES_PER_PART) {
				throw uncertainPartError(context, error, options.rowsLabel, anchor < 0 ? null : uncertain, itemIndex, possibleDuplicateBatchIds);
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

/** Pure: what the user reads about rows whose upload's answer was lost and that were not sent again. */
export function maybeInMarketoSentence(rowsLabel: string, candidateBatchIds: number[] = []): string {
	const candidates =
		candidateBatchIds.length === 0
			? ''
			: `${candidateBatchIds.length === 1 ? 'Batch' : 'Batches'} ${candidateBatchIds.join(', ')}, made meanwhile, may hold them. `;
	return (
		`${candidates}The node did not send ${rowsLabel} again, so they cannot be imported twice at the same time. ` +
		'They may be in Marketo: look them up (for example a smart list on their email addresses) before importing them again.'
	);
}

/** Pure: the same, as a sentence added to another error's description. */
export function lostUploadSentence(rowsLabel: string, candidateBatchIds: number[]): string {
	return `Marketo may or may not have made a batch for ${rowsLabel}: the answer to their upload was lost. ${maybeInMarketoSentence(rowsLabel, candidateBatchIds)}`;
}

function uncertainPartError(
	context: IExecuteFunctions,
	error: CreateOutcomeUnknownError,
	rowsLabel: string,
	/** uploads of these rows whose answers were lost; null when there was no batch id to look from */
	lostAnswers: number | null,
	itemIndex: number,
	candidateBatchIds: number[] = [],
): NodeOperationError {
	const why =
		lostAnswers === null
			? 'This was the first upload to this Marketo instance since n8n started, and no later part could be uploaded first to find the batch it may have made.'
			: `Marketo's answers to ${lostAnswers} uploads of these rows were lost in a row.`;
	const message = `Marketo may or may not have made a batch for ${rowsLabel}: ${error.nodeError.message}`;
	const nodeError = new NodeOperationError(context.getNode(), message, {
		itemIndex,
		description: `${why} ${maybeInMarketoSentence(rowsLabel, candidateBatchIds)}`,
	});
	// n8n swaps a message naming ECONNRESET & co. for a generic sentence that drops the rows; keep ours.
	nodeError.message = message;
	return nodeError;
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

/** The file as pass 1 found it: its parts, header and encoding, and the format it is read in. */
export interface LookedAtFile {
	splitPlan: SplitPlan;
	format: CsvFormat;
}

/**
 * Look before uploading: the whole file is read once, and anything that would stop the
 * import half way refuses it now (a NodeOperationError saying nothing was uploaded).
 */
export async function lookBeforeUpload(
	context: IExecuteFunctions,
	file: FileToImport,
	maxPartBytes: number,
	itemIndex: number,
): Promise<LookedAtFile> {
	let format: CsvFormat = 'csv';
	try {
		const encoding = resolveEncoding(file.encoding, await readHead(await file.open(), ENCODING_HEAD_BYTES));
		const splitPlan = await planParts(file.open, {
			encoding,
			maxPartBytes,
			targetPartBytes: (fileBytes) => balancedPartBytes(fileBytes, maxPartBytes),
			delimiterFor: (head) => {
				format = resolveFormat(file.format, file.detectionFileName, file.mimeType, head);
				return delimiterOf(format);
			},
		});
		return { splitPlan, format };
	} catch (error) {
		if (error instanceof CsvFileError || error instanceof EncodingError) {
			throw fileErrorToNodeError(context, error, file, [], itemIndex);
		}
		throw toNodeError(context.getNode(), error, itemIndex);
	}
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

	const { splitPlan, format } = await lookBeforeUpload(this, file, maxPartBytes, itemIndex);
	let source: PartSource;
	try {
		source = plan.grouping
			? await groupedParts(this, plan, file, splitPlan, maxPartBytes, itemIndex)
			: {
					parts: plainParts(file.open, splitPlan, plan, !file.keepPartBodies),
					headerBytes: splitPlan.headerLine.length,
					header: splitPlan.header,
					manyParts: splitPlan.parts.length > 1,
				};
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
		? keyColumnIndices(source.header, await plan.keyColumns(this, session.describeCache, itemIndex, source.header))
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
	const record = (part: PlannedPart, outcome: CreateOutcome, keysShared: number | undefined, rowsLabel: string) => {
		const created = outcome.created as CreateImportResult;
		const possibleDuplicateBatchIds = outcome.lost === undefined ? outcome.possibleDuplicateBatchIds : undefined;
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
					await waitForBatchOfPart(this, session, neighbour.batchId, part.index, shared, budget, itemIndex);
				}
			}

			const outcome = await createBatchForPart(this, session, part.plan, {
				itemIndex,
				budget,
				rowsLabel,
				upload: uploadOf(part.body, part.plan),
				// Uploading the next part first needs its keys, to be sure it cannot collide.
				mayDefer:
					deferred === null && submitted.length === 0 && keys !== null && !part.group && part.index + 1 < splitPlan.parts.length,
			});
			if (outcome.lost !== undefined) {
				deferred = { part: { ...part, body: Buffer.from(part.body) }, keys: keys as Set<string>, rowsLabel, lost: outcome.lost };
				continue;
			}
			const batchId = record(part, outcome, keysShared, rowsLabel);
			neighbours = keys !== null ? [{ keys, batchId }] : [];

			if (deferred !== null) {
				// This part's id bounds the lost upload's from above: settle it, then send it again.
				const lost = deferred;
				lost.found = await settleBatchesAround(this, lost.part.plan.target, batchId, { itemIndex, budget, rowsLabel: lost.rowsLabel });
				const resent = await createBatchForPart(
					this,
					session,
					lost.part.plan,
					{ itemIndex, budget, rowsLabel: lost.rowsLabel, upload: uploadOf(lost.part.body, lost.part.plan) },
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
			nodeError.description = [nodeError.description, lostUploadSentence(deferred.rowsLabel, deferred.found ?? [])]
				.filter(Boolean)
				.join(' ');
		}
		submitted.sort((a, b) => a.part.index - b.part.index);
		// An error on part 3 must not drop parts 1 and 2: they are Marketo batches already.
		if (submitted.length > 0) throw stoppedAfterParts(session, nodeError, submitted, splitPlan.totalRows);
		throw nodeError;
	}

	submitted.sort((a, b) => a.part.index - b.part.index);
	return finishDescriptors(session, submitted);
}
