/**
 * The soak's figures: each run's record, the progress line, the totals over the runs, what
 * makes the soak fail, and the printed summary (scripts/soak.ts writes the results file).
 */
import type { RunAccount } from './accounting';
import type { KillReport } from './engines';
import type { ExtractAccount } from './extract';
import type { ExampleId, RunPlan } from './plan';
import type { SecretFinding } from './secrets';

export interface RunRecord {
	run: number;
	example: ExampleId;
	continueOnFail: boolean;
	faults: string[];
	plan: RunPlan;
	seconds: number;
	exitCode: number;
	/** False when the simulator still held unfinished batches of the run DRAIN_LIMIT_MS after n8n ended. */
	queueDrained: boolean;
	apiCalls: number;
	/** How often each fault answered (the simulator's call log labels). */
	faultsFired: Record<string, number>;
	/** The import rows' account (zero rows for the extract workflow). */
	account: RunAccount;
	/** The extract workflow's account (example 'ex'). */
	extract?: ExtractAccount;
	/** Queue mode: the worker killed during the run, and what n8n did with the execution. */
	kill?: KillReport;
	/** The client secret and tokens looked for after the run, and where any was found. */
	secrets: {
		lookedFor: number;
		places: number;
		megabytes: number;
		found: SecretFinding[];
		/** The same search found the secret in the harness's own clear-text credential file. */
		controlFound: boolean;
	};
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export function runLabel(record: Pick<RunRecord, 'run' | 'example' | 'continueOnFail'>): string {
	if (record.example === 'ex') return `run ${record.run} (extract)`;
	return `run ${record.run} (example ${record.example}, ${record.continueOnFail ? 'continue on fail' : 'stop on error'})`;
}

export function progressLine(record: RunRecord, runs: number): string {
	const a = record.account;
	const placed = [
		`${a.imported} imported`,
		a.failedReported > 0 ? `${a.failedReported} failed (on Failed Rows)` : '',
		a.failedNamedInError > 0 ? `${a.failedNamedInError} failed (batch named in the error)` : '',
		a.pendingNamedInError > 0 ? `${a.pendingNamedInError} in a named batch still importing` : '',
		a.notSubmittedNamedInError > 0 ? `${a.notSubmittedNamedInError} named not submitted` : '',
		a.uncertainNamedInError > 0
			? `${a.uncertainNamedInError} named "may or may not be in Marketo"`
			: '',
		`${a.lost} lost`,
	].filter(Boolean);
	const error = a.errorVerdict
		? `; error at "${a.errors[0].where}"${a.errorVerdict.namedWhatWasSubmitted ? ', named what was submitted' : `, did NOT name what was submitted (${a.errorVerdict.why.join('; ')})`}`
		: '';
	const twice =
		a.importedTwiceAtOnce + a.importedTwiceOneAfterTheOther > 0
			? `; imported twice: ${a.importedTwiceAtOnce} at once, ${a.importedTwiceOneAfterTheOther} one after the other`
			: '';
	const secrets = `; secrets found: ${record.secrets.found.length}`;
	const kill = record.kill
		? `; ${record.kill.worker} killed at API call #${record.kill.atApiCall}: n8n ended execution ${record.kill.executionId} "${record.kill.n8nStatus}"${record.kill.rerun ? ', run again' : ''}`
		: '';
	if (record.extract) {
		const x = record.extract;
		return (
			`${runLabel(record)} ${record.run}/${runs} in ${record.seconds} s: ${x.records} records, ${x.recordsOut} out, ` +
			`${x.recordsLost} lost, ${x.recordsDuplicated} duplicated, ${x.filesNotIdentical}/${x.files} files not identical, ` +
			`${x.jobs} jobs (${x.failedJobs} Failed)${x.error ? `; ERROR: ${x.error.slice(0, 200)}` : ''}${kill}${secrets}`
		);
	}
	return `${runLabel(record)} ${record.run}/${runs} in ${record.seconds} s: ${a.rows} rows: ${placed.join(', ')}${twice}${error}${kill}${secrets}`;
}

export interface Totals {
	runs: number;
	rows: number;
	imported: number;
	failedReported: number;
	failedNamedInError: number;
	pendingNamedInError: number;
	notSubmittedNamedInError: number;
	uncertainNamedInError: number;
	rowsLost: number;
	rowsImportedByTwoBatchesAtOnce: number;
	rowsImportedTwiceOneAfterTheOther: number;
	runsWithAnError: number;
	errorsThatDidNotNameWhatWasSubmitted: number;
	unplacedBatchRows: number;
	runsWhoseQueueDidNotDrain: number;
	extractRuns: number;
	extractRecords: number;
	extractRecordsLost: number;
	extractRecordsDuplicated: number;
	extractRecordsUnexpected: number;
	extractFiles: number;
	extractFilesNotIdentical: number;
	/** Extract runs that ended without their files (every fault the soak plans is recoverable). */
	extractRunsThatFailed: number;
	workersKilled: number;
	/** Killed executions n8n ended itself (2.x), which the soak ran again. */
	executionsRunAgain: number;
	/** Batches a killed execution made that n8n's record of it does not name (2.x drops the output). */
	batchesOnlyInAKilledExecution: number;
	secretsFound: number;
	/** Places searched over all runs (database, log files, outputs, errors), and their megabytes. */
	secretPlacesSearched: number;
	secretMegabytesSearched: number;
	/** Runs where the search did not find the secret in the harness's clear-text file (a broken search). */
	secretControlsMissed: number;
}

export function totalsOf(records: RunRecord[]): Totals {
	const sum = (pick: (account: RunAccount) => number) =>
		records.reduce((total, record) => total + pick(record.account), 0);
	const extracts = records.flatMap((record) => (record.extract ? [record.extract] : []));
	const sumX = (pick: (account: ExtractAccount) => number) =>
		extracts.reduce((total, account) => total + pick(account), 0);
	return {
		runs: records.length,
		rows: sum((a) => a.rows),
		imported: sum((a) => a.imported),
		failedReported: sum((a) => a.failedReported),
		failedNamedInError: sum((a) => a.failedNamedInError),
		pendingNamedInError: sum((a) => a.pendingNamedInError),
		notSubmittedNamedInError: sum((a) => a.notSubmittedNamedInError),
		uncertainNamedInError: sum((a) => a.uncertainNamedInError),
		rowsLost: sum((a) => a.lost),
		rowsImportedByTwoBatchesAtOnce: sum((a) => a.importedTwiceAtOnce),
		rowsImportedTwiceOneAfterTheOther: sum((a) => a.importedTwiceOneAfterTheOther),
		runsWithAnError: records.filter((record) => record.account.errorVerdict).length,
		errorsThatDidNotNameWhatWasSubmitted: records.filter(
			(record) => record.account.errorVerdict?.namedWhatWasSubmitted === false,
		).length,
		unplacedBatchRows: sum((a) => a.unplacedBatchRows),
		runsWhoseQueueDidNotDrain: records.filter((record) => !record.queueDrained).length,
		extractRuns: extracts.length,
		extractRecords: sumX((x) => x.records),
		extractRecordsLost: sumX((x) => x.recordsLost),
		extractRecordsDuplicated: sumX((x) => x.recordsDuplicated),
		extractRecordsUnexpected: sumX((x) => x.recordsUnexpected),
		extractFiles: sumX((x) => x.files),
		extractFilesNotIdentical: sumX((x) => x.filesNotIdentical),
		extractRunsThatFailed: extracts.filter((x) => x.error !== undefined).length,
		workersKilled: records.filter((record) => record.kill).length,
		executionsRunAgain: records.filter((record) => record.kill?.rerun).length,
		batchesOnlyInAKilledExecution: records.reduce(
			(total, record) => total + (record.kill?.rerun ? record.kill.batchesBeforeKill.length : 0),
			0,
		),
		secretsFound: records.reduce((total, record) => total + record.secrets.found.length, 0),
		secretPlacesSearched: records.reduce((total, record) => total + record.secrets.places, 0),
		secretControlsMissed: records.filter((record) => !record.secrets.controlFound).length,
		secretMegabytesSearched:
			Math.round(records.reduce((total, record) => total + record.secrets.megabytes, 0) * 10) / 10,
	};
}

/** Why the soak fails; empty when it passes. */
export function failuresOf(totals: Totals, interrupted: boolean): string[] {
	const failures: string[] = [];
	if (totals.rowsLost > 0) failures.push(`${totals.rowsLost} rows lost`);
	if (totals.rowsImportedByTwoBatchesAtOnce > 0)
		failures.push(`${totals.rowsImportedByTwoBatchesAtOnce} rows imported by two batches at once`);
	if (totals.errorsThatDidNotNameWhatWasSubmitted > 0) {
		failures.push(
			`${totals.errorsThatDidNotNameWhatWasSubmitted} errors did not name what was submitted`,
		);
	}
	if (totals.unplacedBatchRows > 0)
		failures.push(`${totals.unplacedBatchRows} batch rows the harness could not place`);
	if (totals.extractRecordsLost > 0) failures.push(`${totals.extractRecordsLost} records lost`);
	if (totals.extractRecordsDuplicated > 0)
		failures.push(`${totals.extractRecordsDuplicated} records duplicated`);
	if (totals.extractRecordsUnexpected > 0)
		failures.push(`${totals.extractRecordsUnexpected} records not of the range`);
	if (totals.extractFilesNotIdentical > 0)
		failures.push(`${totals.extractFilesNotIdentical} files not byte-identical`);
	if (totals.extractRunsThatFailed > 0)
		failures.push(`${totals.extractRunsThatFailed} extract runs ended without their files`);
	if (totals.secretsFound > 0) failures.push(`${totals.secretsFound} secrets found`);
	if (totals.secretControlsMissed > 0)
		failures.push(
			`the secrets search missed the secret in the harness's own file in ${totals.secretControlsMissed} runs`,
		);
	if (interrupted) failures.push('interrupted');
	return failures;
}

export function printSummary(
	records: RunRecord[],
	totals: Totals,
	failures: string[],
	resultsFile: string,
): void {
	say('');
	say(`runs: ${totals.runs}`);
	say(`rows: ${totals.rows}`);
	say(
		`  imported ${totals.imported}, failed and on Failed Rows ${totals.failedReported}, failed in a batch an error names ` +
			`${totals.failedNamedInError}, in a named batch still importing ${totals.pendingNamedInError}, named not submitted ` +
			`${totals.notSubmittedNamedInError}, named "may or may not be in Marketo" ${totals.uncertainNamedInError}`,
	);
	say(`rows lost: ${totals.rowsLost}`);
	say(`rows imported by two batches at once: ${totals.rowsImportedByTwoBatchesAtOnce}`);
	say(
		`rows imported twice, one batch after the other: ${totals.rowsImportedTwiceOneAfterTheOther}`,
	);
	say(
		`runs that ended in an error, and whether each error named what was submitted: ${totals.runsWithAnError}`,
	);
	for (const record of records) {
		const verdict = record.account.errorVerdict;
		if (!verdict) continue;
		const first = record.account.errors[0];
		const named = !verdict.namedWhatWasSubmitted
			? `NO: ${verdict.why.join('; ')}`
			: verdict.couldNotTell.length > 0
				? `yes, saying what it could not tell: ${verdict.couldNotTell.join('; ')}`
				: `yes (${verdict.statement === 'implicit' ? 'nothing submitted, nothing output' : 'named'})`;
		say(
			`  ${runLabel(record)}: ${first.kind} at "${first.where}": ${first.message.slice(0, 160)} -> named what was submitted: ${named}`,
		);
	}
	for (const record of records) {
		for (const lost of record.account.lostRows.slice(0, 5))
			say(`  lost: ${runLabel(record)} row ${lost.rowNumber}: ${lost.why}`);
		if (record.account.lostRows.length > 5)
			say(`  lost: ${runLabel(record)}: ... and ${record.account.lostRows.length - 5} more rows`);
	}
	if (totals.extractRuns > 0) {
		say(
			`extract runs: ${totals.extractRuns}: records ${totals.extractRecords}, lost ${totals.extractRecordsLost}, ` +
				`duplicated ${totals.extractRecordsDuplicated}; files ${totals.extractFiles}, not byte-identical ` +
				`${totals.extractFilesNotIdentical}; runs that ended without their files ${totals.extractRunsThatFailed}`,
		);
		for (const record of records)
			if (record.extract?.error)
				say(`  ${runLabel(record)}: ${record.extract.error.slice(0, 300)}`);
	}
	if (totals.workersKilled > 0) {
		say(
			`workers killed mid-execution: ${totals.workersKilled}; executions n8n ended and the soak ran again: ` +
				`${totals.executionsRunAgain} (their batches, named nowhere by n8n: ${totals.batchesOnlyInAKilledExecution})`,
		);
		for (const record of records)
			if (record.kill)
				say(
					`  ${runLabel(record)}: ${record.kill.worker} killed at API call #${record.kill.atApiCall}; n8n: ` +
						`${record.kill.n8nStatus}${record.kill.n8nError ? ` "${record.kill.n8nError.slice(0, 100)}"` : ''}; ` +
						`${record.kill.rerun ? 'run again' : 'not run again'}; batches made before the kill: ${JSON.stringify(record.kill.batchesBeforeKill)}`,
				);
	}
	say(
		`secrets found (client secret and ${records.reduce((t, r) => t + r.secrets.lookedFor, 0) - records.length} access tokens ` +
			`over the runs, in n8n's database, logs, outputs and errors: ${totals.secretPlacesSearched} places, ` +
			`${totals.secretMegabytesSearched} MB): ${totals.secretsFound}`,
	);
	for (const record of records)
		for (const finding of record.secrets.found)
			say(`  secret: ${runLabel(record)}: ${finding.secret} in ${finding.where}`);
	say(`results: ${resultsFile}`);
	say(`soak: ${failures.length === 0 ? 'PASS' : `FAIL (${failures.join(', ')})`}`);
}
