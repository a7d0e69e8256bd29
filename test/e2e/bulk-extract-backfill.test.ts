/**
 * A 14-month back-fill of leads in one execution of a real n8n: 14 windows of at most 31 days,
 * one Marketo job each, give ONE file whose rows are the simulator's leads of the range (header
 * once, window order). Meanwhile our jobs hold at most Max Jobs in Queue places of the shared
 * export queue (the simulator's record of each API user's peak), and another integration (a
 * second API user of the instance) that enqueues as many jobs as the queue has places left is
 * never refused with 1029.
 *
 * The package's clock runs 20 times faster in n8n (fastPacing.js): the node's once-a-minute
 * status reads take 3 s, against a simulator that refreshes status every second and processes
 * 5 records a second, so each job holds its lane for about 2 s.
 */
import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	expectSuccess,
	fastPacingEnv,
	jsonOf,
	N8nInstance,
	outputOf,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
	type Workflow,
} from './support';

jest.setTimeout(5 * 60 * 1000);

const CREDENTIAL_ID = 'e2eBackfillCred1';
const OTHER_INTEGRATION = {
	clientId: 'other-integration',
	clientSecret: 'other-integration-secret',
};
const MAX_JOBS_IN_QUEUE = 3;
/** Marketo's export queue: 10 jobs Queued or Processing, every API user together. */
const QUEUE_PLACES = 10;
const DAY = 24 * 3600 * 1000;
const RANGE_START = Date.UTC(2025, 0, 1);
const RANGE_END = Date.UTC(2026, 2, 1); // 14 months: 424 days, 14 windows of at most 31 days
const LEADS_IN_RANGE = 140; // about 10 a window

function backfillWorkflow(simulator: RunningSimulator): Workflow {
	const credential = simulatorCredential(simulator, CREDENTIAL_ID);
	const position = (x: number): [number, number] => [x, 300];
	return {
		id: 'e2eBackfillLeads',
		name: 'Back-fill 14 months of leads (e2e)',
		active: false,
		settings: { executionOrder: 'v1' },
		connections: {
			Start: { main: [[{ node: 'Extract leads', type: 'main', index: 0 }]] },
			'Extract leads': { main: [[{ node: 'Read file', type: 'main', index: 0 }]] },
		},
		nodes: [
			{
				id: 'e2e-backfill-start',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: position(0),
				parameters: {},
			},
			{
				id: 'e2e-backfill-extract',
				name: 'Extract leads',
				type: 'n8n-nodes-marketo-bulk.marketoBulkExtract',
				typeVersion: 1,
				position: position(250),
				parameters: {
					operation: 'extractLeads',
					fieldsSource: 'selected',
					fields: ['id', 'email', 'createdAt'],
					leadFilter: 'createdAt',
					rangeStart: new Date(RANGE_START).toISOString(),
					rangeEnd: new Date(RANGE_END).toISOString(),
					options: { fileName: 'backfill', maxJobsInQueue: MAX_JOBS_IN_QUEUE },
				},
				credentials: { marketoApi: { id: credential.id, name: credential.name } },
			},
			{
				id: 'e2e-backfill-read',
				name: 'Read file',
				type: 'n8n-nodes-base.extractFromFile',
				typeVersion: 1,
				position: position(500),
				parameters: { operation: 'text', options: {} },
			},
		],
	} as unknown as Workflow;
}

/** The other integration: its own API user, creating and enqueueing jobs through the API. */
class OtherIntegration {
	readonly enqueueAnswers: Array<{ exportId: string; success: boolean; errors: unknown }> = [];
	private token = '';

	constructor(private readonly simulator: RunningSimulator) {}

	private async post(path: string, body?: unknown): Promise<Record<string, unknown>> {
		const response = await fetch(`${this.simulator.baseUrl}/bulk/v1/leads/export${path}`, {
			method: 'POST',
			headers: {
				Authorization: `Bearer ${this.token}`,
				...(body ? { 'Content-Type': 'application/json' } : {}),
			},
			body: body ? JSON.stringify(body) : undefined,
		});
		return (await response.json()) as Record<string, unknown>;
	}

	/** Creates and enqueues `count` jobs one after the other, keeping each enqueue answer. */
	async enqueueJobs(count: number): Promise<void> {
		const identity = await fetch(
			`${this.simulator.identityUrl}/oauth/token?grant_type=client_credentials&client_id=${OTHER_INTEGRATION.clientId}&client_secret=${OTHER_INTEGRATION.clientSecret}`,
		);
		this.token = ((await identity.json()) as { access_token: string }).access_token;
		for (let i = 0; i < count; i++) {
			const created = await this.post('/create.json', {
				fields: ['id', 'email'],
				filter: { staticListId: 2001 },
			});
			const { exportId } = (created.result as Array<{ exportId: string }>)[0];
			const enqueued = await this.post(`/${exportId}/enqueue.json`);
			this.enqueueAnswers.push({
				exportId,
				success: enqueued.success === true,
				errors: enqueued.errors,
			});
		}
	}
}

describe(`a 14-month back-fill of leads on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;
	let inRange: { firstId: number; lastId: number };

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			extract: { statusRefreshMs: 1_000, recordsPerSecond: 5 },
			apiUsers: [OTHER_INTEGRATION],
		}));
		// Leads just before and just after the range must stay out of the file.
		simulator.state.addGeneratedLeads(5, RANGE_START - 60 * DAY, RANGE_START - 1000);
		inRange = simulator.state.addGeneratedLeads(LEADS_IN_RANGE, RANGE_START, RANGE_END);
		simulator.state.addGeneratedLeads(5, RANGE_END + 1000, RANGE_END + 60 * DAY);
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('one file with every lead of the range, our share of the queue kept, the other integration never refused', async () => {
		// Once the back-fill is under way (its 4th enqueue: a job of ours has ended), the other
		// integration takes every place our share leaves.
		const other = new OtherIntegration(simulator);
		let ourEnqueues = 0;
		let otherRun: Promise<void> | undefined;
		const stopWatching = simulator.state.onCall((call) => {
			if (call.route !== 'enqueueLeadExport' || otherRun) return;
			ourEnqueues += 1;
			if (ourEnqueues === MAX_JOBS_IN_QUEUE + 1)
				otherRun = other.enqueueJobs(QUEUE_PLACES - MAX_JOBS_IN_QUEUE);
		});

		const workflow = backfillWorkflow(simulator);
		await n8n.importWorkflow(workflow);
		const result = await n8n.execute(workflow.id, { env: fastPacingEnv(20) });
		stopWatching();
		await otherRun;
		const run = expectSuccess(result);

		// The other integration was let in every time.
		expect(otherRun).toBeDefined();
		expect(other.enqueueAnswers).toHaveLength(QUEUE_PLACES - MAX_JOBS_IN_QUEUE);
		expect(other.enqueueAnswers.filter((answer) => !answer.success)).toEqual([]);

		// Our share of the queue, at its peak: Max Jobs in Queue, never more.
		expect(simulator.state.extractQueuePeak(simulator.clientId)).toBe(MAX_JOBS_IN_QUEUE);

		const ours = simulator.state.extractJobs.filter((job) => job.owner === simulator.clientId);
		expect(ours).toHaveLength(14);
		expect(ours.every((job) => job.status === 'Completed')).toBe(true);

		// One file: the jobs' files joined in window order, the header once.
		const [file] = jsonOf(outputOf(run, 'Read file'));
		const lines = String(file.data)
			.split('\n')
			.filter((line) => line !== '');
		expect(lines[0]).toBe('id,email,createdAt');
		expect(lines.filter((line) => line === lines[0])).toHaveLength(1);
		const jobRows = ours.flatMap((job) =>
			simulator.state
				.extractFile(job.exportId)
				.toString('utf8')
				.split('\n')
				.filter((line) => line !== '')
				.slice(1),
		);
		expect(lines.slice(1)).toEqual(jobRows);

		// Record by record, the simulator's leads of the range: each once, in creation order.
		const ids = lines.slice(1).map((line) => Number(line.split(',')[0]));
		const expectedIds = Array.from({ length: LEADS_IN_RANGE }, (_, i) => inRange.firstId + i);
		expect(ids).toEqual(expectedIds);
		for (const line of lines.slice(1)) {
			const [id, email, createdAt] = line.split(',');
			expect(email).toBe(`generated${id}@generated.example.com`);
			const created = Date.parse(createdAt);
			expect(created >= RANGE_START && created <= RANGE_END).toBe(true);
		}

		const [summary] = jsonOf(outputOf(run, 'Extract leads'));
		expect(summary).toMatchObject({ extractType: 'leads', records: LEADS_IN_RANGE });
	});
});
