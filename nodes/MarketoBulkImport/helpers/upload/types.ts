import type { BatchDescriptor, SubmittedGroup } from '../../../shared/batch';
import type { FileEncoding, OpenSource } from '../../../shared/csv/encoding';
import type { CsvFormat } from '../../../shared/csv/formats';
import type { FilePart } from '../../../shared/csv/splitter';
import type { ItemRange } from '../../../shared/itemRanges';

/**
 * What the upload takes and gives, apart from the upload itself so that the modules around
 * it (part sources, the look before upload, error messages) need not import the orchestrator.
 */

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
	part: Omit<FilePart, 'body'> & {
		body?: Buffer;
		group?: SubmittedGroup;
		/** the part's rows' numbers in the file, when not every row of its range (batch.ts) */
		rowNumbers?: ItemRange[];
	};
}
