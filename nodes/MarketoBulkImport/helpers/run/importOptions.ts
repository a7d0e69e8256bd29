import { isFileEncoding, type FileEncoding } from '../../../shared/csv/encoding';
import { DEFAULT_PART_SIZE_MB, DEFAULT_QUEUE_WAIT_MINUTES, type ImportOptions } from '../../actions/common.descriptions';
import type { SubmitSettings } from '../upload/submitParts';

/** The node's Options collection read into what an import goes by, for both inputs. */

/** Pure: the File Encoding option (Auto when unset or unknown). */
export function fileEncodingOf(options: ImportOptions): FileEncoding {
	return isFileEncoding(options.fileEncoding) ? options.fileEncoding : 'auto';
}

/** Pure: node options -> what submitParts needs. */
export function submitSettingsFrom(options: ImportOptions): SubmitSettings {
	const partSizeMb = options.partSizeMb && options.partSizeMb > 0 ? options.partSizeMb : DEFAULT_PART_SIZE_MB;
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
