/**
 * `state`: what tests inspect (calls, tokens, records, queue) and how they steer the
 * simulator at run time (faults, permissions, limits, foreign jobs, failing batches).
 */
import { jobView } from './bulkImport';
import type { SimulatorCore } from './core';
import { concurrentDuplicates, ledgerEntry } from './ledger';
import type {
	CallRecord,
	ConcurrentDuplicate,
	ExtractJobView,
	ForeignExtractJobOptions,
	CustomObjectRecord,
	JobLedgerEntry,
	LeadRecord,
	ProgramMemberRecord,
	QueueJobView,
	RandomFaults,
	ScriptedFault,
	SimulatorLimits,
	SimulatorPermissions,
	SimulatorState,
	TokenRecord,
} from './types';
import { DEFAULT_PARTITION_ID } from './database';

export class SimulatorStateImpl implements SimulatorState {
	readonly calls: CallRecord[] = [];
	private readonly callListeners = new Set<(call: CallRecord) => void>();

	constructor(private readonly core: SimulatorCore) {}

	/** The server logs each call before it decides the call's faults; listeners run in between. */
	log(record: CallRecord): void {
		this.calls.push(record);
		for (const listener of this.callListeners) {
			try {
				listener(record);
			} catch {
				// A test's listener must not break the request it is watching.
			}
		}
	}

	onCall(listener: (call: CallRecord) => void): () => void {
		this.callListeners.add(listener);
		return () => this.callListeners.delete(listener);
	}

	callsTo(routeName: string): CallRecord[] {
		return this.calls.filter((call) => call.route === routeName);
	}

	clearCalls(): void {
		this.calls.length = 0;
	}

	get tokens(): TokenRecord[] {
		return this.core.tokens.tokens;
	}

	get leads(): LeadRecord[] {
		return this.core.db.leads.map((lead) => ({ ...lead, fields: { ...lead.fields } }));
	}

	private advance(): void {
		this.core.queue.advanceTo(this.core.clock.now());
	}

	findLead(field: string, value: string): LeadRecord | undefined {
		this.advance();
		return this.core.db.findLead(field, value);
	}

	listMembers(listId: number): LeadRecord[] {
		this.advance();
		return this.core.db.listMembers(listId);
	}

	programMembers(programId: number): ProgramMemberRecord[] {
		this.advance();
		return this.core.db.programMembers(programId);
	}

	customObjectRecords(apiName: string): CustomObjectRecord[] {
		this.advance();
		return this.core.db.customObjectRecords(apiName);
	}

	get queue(): QueueJobView[] {
		this.advance();
		return this.core.queue.jobs.map(jobView);
	}

	get replayedQueue(): QueueJobView[] {
		return this.core.queue.jobs.map(jobView);
	}

	jobLedger(): JobLedgerEntry[] {
		this.advance();
		const emailFields = new Set(
			this.core.schema.leadFields.filter((f) => f.dataType === 'email').map((f) => f.name),
		);
		return this.core.queue.jobs.map((job) => ledgerEntry(job, emailFields));
	}

	concurrentDuplicates(): ConcurrentDuplicate[] {
		return concurrentDuplicates(this.jobLedger(), this.core.clock.now());
	}

	get dailyCallCount(): number {
		return this.core.limiter.dailyCount;
	}

	failNextBatch(message: string): void {
		this.core.queue.failNextBatch(message);
	}

	addForeignJobs(count: number, rowsEach: number): number[] {
		return this.core.queue.addForeignJobs(count, rowsEach, this.core.clock.now());
	}

	revokeTokens(): void {
		this.core.tokens.revokeAll();
	}

	expireTokens(): void {
		this.core.tokens.expireAll(this.core.clock.now());
	}

	setFaults(faults: Partial<RandomFaults>): void {
		this.core.faults.random = { ...this.core.faults.random, ...faults };
	}

	get faults(): RandomFaults {
		return { ...this.core.faults.random };
	}

	scriptFault(fault: ScriptedFault): void {
		this.core.faults.script(fault);
	}

	clearScriptedFaults(): void {
		this.core.faults.clearScripted();
	}

	setPermissions(permissions: Partial<SimulatorPermissions>): void {
		Object.assign(this.core.permissions, permissions);
	}

	setLimits(limits: Partial<SimulatorLimits>): void {
		this.core.limiter.limits = { ...this.core.limiter.limits, ...limits };
	}

	resetUsage(): void {
		this.core.limiter.reset();
	}

	seedLead(fields: Record<string, string>, partitionId = DEFAULT_PARTITION_ID): LeadRecord {
		return this.core.db.createLead(fields, partitionId, this.core.clock.now());
	}

	/* ---------- Bulk Extract ---------- */

	get extractJobs(): ExtractJobView[] {
		const queue = this.core.extract.queue;
		queue.advanceTo(this.core.clock.now());
		return queue.jobs.map((job) => queue.view(job));
	}

	extractFile(exportId: string): Buffer {
		const queue = this.core.extract.queue;
		queue.advanceTo(this.core.clock.now());
		const file = queue.find(exportId)?.file;
		if (!file) throw new Error(`Extract job ${exportId} has no file (not completed, or unknown)`);
		return file.toBuffer();
	}

	get extractQuotaUsed(): number {
		return this.core.extract.queue.usedToday(this.core.clock.now());
	}

	addForeignExtractJobs(count: number, options: ForeignExtractJobOptions = {}): string[] {
		const { records = 1000, fileSize = 0 } = options;
		return this.core.extract.queue.addForeign(count, records, fileSize, this.core.clock.now());
	}

	extractQueuePeak(owner: string): number {
		return this.core.extract.queue.peakHeld(owner);
	}

	failNextExtract(message = 'Export failed: internal error'): void {
		this.core.extract.queue.failNext(message);
	}

	addGeneratedLeads(count: number, from: number, to: number): { firstId: number; lastId: number } {
		const firstId = this.core.db.reserveLeadIds(count);
		this.core.extract.generated.push({ firstId, count, from, to });
		return { firstId, lastId: firstId + count - 1 };
	}
}
