/**
 * Choosing the part size. Marketo imports two batches of an instance at a
 * time, so a file cut into 13 equal parts keeps one lane busy for 7 parts
 * and the other for 6: the import ends a whole part later than it could.
 * The file's size is known once it has been checked whole (as read, after
 * any transcoding): cut it into an EVEN number of parts of about equal
 * size, never above the user's limit.
 *
 * Small files (up to three parts at the limit) keep the fewest parts: every
 * batch takes one of the 10 queue slots the whole instance shares with other
 * integrations and costs its own create and status calls, and with three
 * parts the short last one already evens out the lanes.
 */
import { MARKETO_IMPORT_LANES } from '../../../shared/jobs/batchStatus';

/**
 * Parts are cut at row ends, so each comes out up to one row short of the
 * target and repeats the header; this slack keeps that shortfall from
 * spilling into one extra, tiny part.
 */
const SLACK_FRACTION = 0.005;
const SLACK_MIN_BYTES = 512;

/** Up to this many parts at the limit, a file is not rebalanced (see the file comment). */
export const FEWEST_PARTS_UP_TO = 3;

/**
 * Pure: the part size to split with. `fileBytes` null (unknown) or a file
 * that fits in one part: the limit itself (one part, or as many as needed).
 */
export function balancedPartBytes(fileBytes: number | null, maxPartBytes: number): number {
	if (fileBytes === null || !(fileBytes > maxPartBytes)) return maxPartBytes;
	if (Math.ceil(fileBytes / maxPartBytes) <= FEWEST_PARTS_UP_TO) return maxPartBytes;
	const lanes = MARKETO_IMPORT_LANES;
	const parts = lanes * Math.ceil(fileBytes / (lanes * maxPartBytes));
	const even = Math.ceil(fileBytes / parts);
	const slack = Math.max(SLACK_MIN_BYTES, Math.ceil(even * SLACK_FRACTION));
	return Math.min(maxPartBytes, even + slack);
}
