import type { IExecuteFunctions } from 'n8n-workflow';

import { delimiterOf, detectFormat, type CsvFormat } from '../../../shared/csv/formats';
import {
	ENCODING_HEAD_BYTES,
	EncodingError,
	readHead,
	resolveEncoding,
} from '../../../shared/csv/encoding';
import { planParts, type SplitPlan } from '../../../shared/csv/splitter';
import { CsvFileError } from '../../../shared/csv/fileErrors';
import { DEFAULT_ROW_LOG_BYTES, GroupTally } from '../../../shared/csv/groupSplitter';
import { toNodeError } from '../../../shared/nodeErrors';
import { fileErrorToNodeError } from './importErrors';
import type { PlanGrouping } from '../plan/importPlan';
import { balancedPartBytes } from '../plan/partSizing';
import { groupColumnIndices, MAX_GROUPS } from './partSources';
import type { FileToImport } from './types';
import { keyColumnIndices, RecordKeyReader, RepeatedKeys } from './partKeys';

/** The key filter of a grouped import, whose keys pass 1 reads (its file size is not known yet). */
const GROUPED_SEEN_BITS = 1 << 26;

/**
 * Pass 1, shared by the upload and Validate Only: the whole file is read once (encoding,
 * format, rows, part boundaries) before anything is uploaded.
 */

/** Marketo's upload limit. The whole multipart request counts, so the file part must leave room for the envelope. */
export const MAX_UPLOAD_BYTES = 10_000_000;
const MULTIPART_ENVELOPE_RESERVE_BYTES = 1_024;

/** Pure: the part size the splitter may use for a user-chosen limit, leaving room for the multipart envelope. */
export function effectiveMaxPartBytes(partSizeLimitBytes: number, fileName: string): number {
	const envelope = MULTIPART_ENVELOPE_RESERVE_BYTES + Buffer.byteLength(fileName);
	return Math.max(2, Math.floor(Math.min(partSizeLimitBytes, MAX_UPLOAD_BYTES - envelope)));
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

/** The file as pass 1 found it: its parts, header and encoding, and the format it is read in. */
export interface LookedAtFile {
	splitPlan: SplitPlan;
	format: CsvFormat;
	/** a grouped import's groups, tallied in the same read (none when the header lacks a group column) */
	groups?: GroupTally;
	/** the record keys seen more than once, when `keyColumns` were given and the header has them */
	repeatedKeys?: RepeatedKeys;
}

/**
 * Look before uploading: the whole file is read once, and anything that would stop the
 * import half way refuses it now (a NodeOperationError saying nothing was uploaded). A
 * grouped import's groups are tallied in the same read, so cutting its parts is the only
 * other read of the file.
 */
export async function lookBeforeUpload(
	context: IExecuteFunctions,
	file: FileToImport,
	maxPartBytes: number,
	itemIndex: number,
	grouping?: PlanGrouping,
	/** a grouped import's record key columns: their repeated keys are found in the same read */
	keyColumns?: string[],
): Promise<LookedAtFile> {
	let format: CsvFormat = 'csv';
	let groups: GroupTally | undefined;
	let repeatedKeys: RepeatedKeys | undefined;
	try {
		const encoding = resolveEncoding(
			file.encoding,
			await readHead(await file.open(), ENCODING_HEAD_BYTES),
		);
		const splitPlan = await planParts(file.open, {
			encoding,
			maxPartBytes,
			targetPartBytes: (fileBytes) => balancedPartBytes(fileBytes, maxPartBytes),
			delimiterFor: (head) => {
				format = resolveFormat(file.format, file.detectionFileName, file.mimeType, head);
				return delimiterOf(format);
			},
			visitRows: (header) => {
				const names = grouping?.columns.map((column) => column.name) ?? [];
				const columns = groupColumnIndices(header, names);
				// A missing column is refused after the read, as a file error would be refused first.
				if (names.length === 0 || columns.includes(undefined)) return undefined;
				// Its row log spares pass 2 finding the rows again (most of a read's work).
				groups = new GroupTally(
					columns as number[],
					delimiterOf(format),
					MAX_GROUPS,
					DEFAULT_ROW_LOG_BYTES,
				);
				const keyIndices = keyColumnIndices(header, keyColumns ?? []);
				if (keyIndices === null) return groups.visit;
				// The same-key guard's keys in this read too: a status split reads the file twice.
				const keys = new RepeatedKeys(GROUPED_SEEN_BITS);
				const reader = new RecordKeyReader(delimiterOf(format), keyIndices);
				repeatedKeys = keys;
				const tally = groups.visit;
				return (bytes, start, contentEnd, position, rowEnd, streamStart) => {
					tally(bytes, start, contentEnd, position, rowEnd, streamStart);
					keys.see(reader.hashOf(bytes, start, contentEnd), reader.second);
				};
			},
		});
		repeatedKeys?.doneSeeing();
		return {
			splitPlan,
			format,
			...(groups ? { groups } : {}),
			...(repeatedKeys ? { repeatedKeys } : {}),
		};
	} catch (error) {
		if (error instanceof CsvFileError || error instanceof EncodingError) {
			throw fileErrorToNodeError(context, error, file, [], itemIndex);
		}
		throw toNodeError(context.getNode(), error, itemIndex);
	}
}
