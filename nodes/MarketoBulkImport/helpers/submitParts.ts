import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { BatchDescriptor, BatchStatusName } from '../../shared/batch';
import { delimiterOf, detectFormat, mimeTypeOf, type CsvFormat } from '../../shared/csv/formats';
import { CsvFileError, readHeader, splitIntoParts, type FilePart } from '../../shared/csv/splitter';
import { createImportPath, type ImportType } from '../../shared/importTypes';
import { marketoCreateImport } from '../../shared/transport';
import { toNodeError } from './errors';
import type { ImportPlan } from './importPlan';
import { balancedPartBytes } from './partSizing';
import { assertHeaderMatches, DescribeCache } from './preflight';
import { createQueueSlotWaiter, SubmittedBatches, waitForPredictedSlot } from './queueWait';

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
	chunks: AsyncIterable<Buffer>;
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
	/** the whole file's size when known up front: lets the parts come out even (see partSizing.ts) */
	sizeBytes?: number | null;
}

export interface SubmitSettings {
	preflight: boolean;
	partSizeLimitBytes: number;
	queueWaitLimitMs: number;
}

export interface SubmittedPart {
	descriptor: BatchDescriptor;
	/** `body` is present only when the file asked to keep part bodies */
	part: Omit<FilePart, 'body'> & { body?: Buffer };
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

function describeSubmitted(parts: SubmittedPart[]): string {
	if (parts.length === 0) return 'Nothing was uploaded.';
	const ids = parts.map((p) => p.descriptor.batchId).join(', ');
	return `Parts before the problem were already submitted as batch ${ids}; check them before importing the file again.`;
}

function fileErrorToNodeError(
	context: IExecuteFunctions,
	error: CsvFileError,
	file: FileToImport,
	submitted: SubmittedPart[],
	itemIndex: number,
): NodeOperationError {
	// "The file in item 0 ...: the file is empty" reads as one sentence.
	const reason = error.message.charAt(0).toLowerCase() + error.message.slice(1);
	return new NodeOperationError(context.getNode(), `${file.subject}: ${reason}`, {
		itemIndex,
		description: `${file.fixHint} ${describeSubmitted(submitted)}`,
	});
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
	let format: CsvFormat | undefined;
	const maxPartBytes = balancedPartBytes(
		file.sizeBytes ?? null,
		effectiveMaxPartBytes(settings.partSizeLimitBytes, file.fileName),
	);

	try {
		const parts = splitIntoParts(file.chunks, { maxPartBytes, reusePartBuffer: !file.keepPartBodies });
		for await (const part of parts) {
			if (format === undefined) {
				format = resolveFormat(file.format, file.detectionFileName, file.mimeType, part.body);
				if (settings.preflight) {
					const header = readHeader(part.body, delimiterOf(format));
					const rules = await plan.headerRules(this, session.describeCache, itemIndex);
					assertHeaderMatches(this, header, rules, file.subject, itemIndex);
				}
			}

			const waitForQueueSlot = createQueueSlotWaiter(this, session.submitted, {
				itemIndex,
				waitLimitMs: settings.queueWaitLimitMs,
			});
			// Ten of ours not seen finished: look at the oldest before uploading 10 MB into a 1016.
			if (session.submitted.mayFillQueue()) await waitForQueueSlot(0, '1016');
			else await waitForPredictedSlot(this, session.submitted, { waitLimitMs: settings.queueWaitLimitMs });
			const created = await marketoCreateImport.call(this, {
				path: createImportPath(plan.target),
				qs: { ...plan.query, format: formatQueryValue(plan.target.importType, format) },
				itemIndex,
				file: { body: part.body, fileName: file.fileName, contentType: mimeTypeOf(format) },
				waitForQueueSlot,
			});
			session.submitted.add(plan.target, created.batchId, part.rows, created.status);

			const { body, ...partInfo } = part;
			submitted.push({
				part: file.keepPartBodies ? part : partInfo,
				descriptor: {
					batchId: created.batchId,
					importId: created.importId,
					status: created.status as BatchStatusName,
					importType: plan.target.importType,
					...plan.targetFields,
					format,
					fileName: file.fileName,
					part: part.index + 1,
					partCount: 0, // known once the whole file is read
					rows: part.rows,
					bytes: body.length,
					firstRowNumber: part.firstRowNumber,
					submittedAt: new Date().toISOString(),
				},
			});
		}
	} catch (error) {
		if (error instanceof CsvFileError) throw fileErrorToNodeError(this, error, file, submitted, itemIndex);
		// An API error on part 3 must not hide that parts 1 and 2 are already in Marketo.
		if (submitted.length > 0 && error instanceof Error && 'description' in error) {
			const previous = (error as { description?: string | null }).description;
			(error as { description?: string | null }).description = [previous, describeSubmitted(submitted)]
				.filter(Boolean)
				.join(' ');
		}
		throw toNodeError(this.getNode(), error, itemIndex);
	}

	// Handing the measured speed over spares Wait for Batch the calls to learn it again.
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
