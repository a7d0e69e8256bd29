/**
 * The job ledger: per import job, when it processed (its interval on the simulator's clock)
 * and what each of its rows did (imported, imported with a warning, failed, not processed yet)
 * with the key of the record it wrote. The soak (`npm run soak`) accounts for every input row
 * with it, and finds rows that two batches imported at once.
 *
 * Everything here is derived from what the queue already keeps per job (start and finish
 * times, the rows, how many were processed, the failures and warnings, the header mapping and
 * key rules fixed when the job started), so the queue (bulkImport.ts) needs no bookkeeping of
 * its own: rows are applied strictly in order, so "the first rowsProcessed rows, minus the
 * failed ones" are exactly the rows the job applied.
 */
import type { ImportJob } from './bulkImport';
import { checkRow, type HeaderMapping, type RowRules } from './rows';
import type { ConcurrentDuplicate, JobLedgerEntry, LedgerRow } from './types';

/**
 * The record a row writes, as one string: two rows with the same key write the same record.
 * Leads are keyed by lookup field and value within their partition, program members by
 * program and email, custom objects by object and dedupe values. Email values are compared
 * without letter case, as Marketo (and the database here) dedupe them.
 */
export function recordKey(
	job: ImportJob,
	keys: Record<string, string>,
	emailFields: ReadonlySet<string>,
): string {
	const value = (field: string) =>
		emailFields.has(field) ? (keys[field] ?? '').toLowerCase() : (keys[field] ?? '');
	if (job.kind === 'leads') {
		const field = job.lookupField ?? 'email';
		return `lead/partition ${job.partitionId ?? 1}/${field}=${value(field)}`;
	}
	if (job.kind === 'programMembers')
		return `programMember/program ${job.programId}/email=${value('email')}`;
	const fields = job.rules?.keyFields ?? Object.keys(keys);
	return `customObject/${job.objectApiName}/${JSON.stringify(fields.map((field) => keys[field] ?? ''))}`;
}

function ledgerRows(job: ImportJob, emailFields: ReadonlySet<string>): LedgerRow[] {
	if (job.owner === 'foreign') return [];
	// The queue records failures and warnings with the row array itself, so identity tells
	// identical rows apart.
	const failed = new Map(job.failures.map((problem) => [problem.row, problem.reason]));
	const warned = new Map(job.warnings.map((problem) => [problem.row, problem.reason]));
	return job.rows.map((cells, index): LedgerRow => {
		if (index >= job.rowsProcessed) return { cells, outcome: 'not-processed' };
		const failure = failed.get(cells);
		if (failure !== undefined) return { cells, outcome: 'failed', reason: failure };
		// An applied row passed checkRow when it was applied; the same call gives its key values again.
		const verdict = checkRow(job.mapping as HeaderMapping, cells, job.rules as RowRules);
		const key = recordKey(job, verdict.keys, emailFields);
		const warning = warned.get(cells);
		return warning !== undefined
			? { cells, outcome: 'warning', reason: warning, key }
			: { cells, outcome: 'imported', key };
	});
}

export function ledgerEntry(job: ImportJob, emailFields: ReadonlySet<string>): JobLedgerEntry {
	return {
		batchId: job.batchId,
		owner: job.owner,
		kind: job.kind,
		objectApiName: job.objectApiName,
		programId: job.programId,
		listId: job.listId,
		lookupField: job.lookupField,
		status: job.status,
		createdAt: job.createdAt,
		startedAt: job.startedAt,
		finishedAt: job.finishedAt,
		header: [...job.header],
		rows: ledgerRows(job, emailFields),
	};
}

/** Keys of the rows a job applied (imported or warned), each once. */
export function appliedKeys(entry: JobLedgerEntry): Set<string> {
	const keys = new Set<string>();
	for (const row of entry.rows) if (row.key !== undefined) keys.add(row.key);
	return keys;
}

/**
 * Pairs of jobs that were processing at the same time and applied at least one common key.
 * A job still importing counts as processing until `now`. Intervals that only touch (one job
 * ends the instant the other starts, as on one lane) do not overlap.
 */
export function concurrentDuplicates(
	entries: JobLedgerEntry[],
	now: number,
): ConcurrentDuplicate[] {
	const started = entries
		.filter((entry) => entry.startedAt !== undefined && entry.rows.length > 0)
		.map((entry) => ({
			entry,
			from: entry.startedAt as number,
			to: entry.finishedAt ?? now,
			keys: appliedKeys(entry),
		}));
	const found: ConcurrentDuplicate[] = [];
	for (let i = 0; i < started.length; i++) {
		for (let j = i + 1; j < started.length; j++) {
			const a = started[i];
			const b = started[j];
			if (!(a.from < b.to && b.from < a.to)) continue;
			const shared = [...a.keys].filter((key) => b.keys.has(key));
			if (shared.length === 0) continue;
			found.push({
				batchIds: [a.entry.batchId, b.entry.batchId],
				overlap: { from: Math.max(a.from, b.from), to: Math.min(a.to, b.to) },
				keys: shared,
			});
		}
	}
	return found;
}
