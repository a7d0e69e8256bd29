import { isFileEncoding, type FileEncoding } from '../../../shared/csv/encoding';
import type { SubmitSettings } from '../upload/types';

/** The node's Options collection read into what an import goes by, for both inputs. */

export type InputSource = 'binary' | 'items';

export const DEFAULT_PART_SIZE_MB = 10;
export const DEFAULT_QUEUE_WAIT_MINUTES = 60;

export interface ImportOptions {
	fileEncoding?: string;
	fileName?: string;
	partSizeMb?: number;
	preflightCheck?: boolean;
	queueWaitMinutes?: number;
	validateOnly?: boolean;
}

/** Pure: the File Encoding option (Auto when unset or unknown). */
export function fileEncodingOf(options: ImportOptions): FileEncoding {
	return isFileEncoding(options.fileEncoding) ? options.fileEncoding : 'auto';
}

/** Pure: node options -> what submitParts needs. */
export function submitSettingsFrom(options: ImportOptions): SubmitSettings {
	const partSizeMb =
		options.partSizeMb && options.partSizeMb > 0 ? options.partSizeMb : DEFAULT_PART_SIZE_MB;
	const waitMinutes =
		options.queueWaitMinutes !== undefined && options.queueWaitMinutes >= 0
			? options.queueWaitMinutes
			: DEFAULT_QUEUE_WAIT_MINUTES;
	return {
		preflight: options.preflightCheck !== false,
		partSizeLimitBytes: Math.floor(Math.min(partSizeMb, DEFAULT_PART_SIZE_MB) * 1_000_000),
		queueWaitLimitMs: waitMinutes * 60_000,
	};
}
