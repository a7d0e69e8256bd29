/**
 * Splits a file on disk by a status column the way Marketo Bulk Import does with Member
 * Status "From a Column": pass 1 (planParts) checks the file and tallies the statuses
 * (GroupTally, logging its rows), pass 2 (cutGroupParts) hands out each status's parts without
 * the column, reading the rows from that log.
 */
import * as fs from 'fs';

import { READ_CHUNK_BYTES } from '../../nodes/shared/csv/encoding';
import {
	cutGroupParts,
	DEFAULT_GROUP_BUDGET_BYTES,
	DEFAULT_ROW_LOG_BYTES,
	GroupTally,
	type GroupPart,
} from '../../nodes/shared/csv/groupSplitter';
import { planParts } from '../../nodes/shared/csv/splitter';

const STATUSES = ['Registered', 'Attended', 'No Show'];

/** One registrant row: a status (first column) followed by a lead row. */
export function withStatus(n: number, leadRow: string): string {
	return `${STATUSES[n % STATUSES.length]},${leadRow}`;
}

export async function* groupSplitLikeTheNode(
	file: string,
	options: { maxPartBytes: number; statusColumn: number },
): AsyncGenerator<GroupPart, void, undefined> {
	const open = async () => fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
	const tally = new GroupTally([options.statusColumn], ',', 200, DEFAULT_ROW_LOG_BYTES);
	const plan = await planParts(open, {
		encoding: 'utf-8',
		maxPartBytes: options.maxPartBytes,
		delimiterFor: () => ',',
		visitRows: () => tally.visit,
	});
	const groups = tally.groups();
	if (groups.length !== STATUSES.length)
		throw new Error(`found ${groups.length} statuses, expected ${STATUSES.length}`);
	yield* cutGroupParts(open, plan, {
		columns: [options.statusColumn],
		maxPartBytes: options.maxPartBytes,
		memoryBudgetBytes: DEFAULT_GROUP_BUDGET_BYTES,
		reusePartBuffers: true,
		tally,
	});
}
