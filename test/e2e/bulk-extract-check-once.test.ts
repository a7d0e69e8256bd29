/**
 * Marketo Bulk Extract with Wait set to Check Once, looped by n8n's own If and Wait nodes in a
 * real n8n against the simulator: the first run starts both jobs and outputs a still-running item;
 * the Wait node waits what the item says (`checkAgainInSeconds`, a minute: Marketo's status
 * interval, under 65 s so n8n waits in process); the next run reads each job's status once and,
 * both being Completed, outputs the joined file, row for row the simulator's files.
 */
import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	expectSuccess,
	jsonOf,
	N8nInstance,
	outputOf,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
	type Workflow,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eExtractLoop01';
const RANGE_START = Date.UTC(2026, 0, 1);
const RANGE_END = Date.UTC(2026, 1, 10); // 40 days: two jobs

function loopWorkflow(simulator: RunningSimulator): Workflow {
	const credential = simulatorCredential(simulator, CREDENTIAL_ID);
	const at = (x: number, y = 300): [number, number] => [x, y];
	const main = (node: string) => [{ node, type: 'main', index: 0 }];
	return {
		id: 'e2eExtractLoop1',
		name: 'Extract leads in a Wait-node loop (e2e)',
		active: false,
		settings: {},
		connections: {
			Start: { main: [main('Extract leads')] },
			'Extract leads': { main: [main('Still running?')] },
			'Still running?': { main: [main('Wait'), main('Read rows')] },
			Wait: { main: [main('Extract leads')] },
		},
		nodes: [
			{
				id: 'e2e-loop-start',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: at(0),
				parameters: {},
			},
			{
				id: 'e2e-loop-extract',
				name: 'Extract leads',
				type: 'n8n-nodes-marketo-bulk.marketoBulkExtract',
				typeVersion: 1,
				position: at(250),
				parameters: {
					operation: 'extractLeads',
					fieldsSource: 'selected',
					fields: ['id', 'email', 'createdAt'],
					leadFilter: 'createdAt',
					rangeStart: new Date(RANGE_START).toISOString(),
					rangeEnd: new Date(RANGE_END).toISOString(),
					wait: 'checkOnce',
					options: { fileName: 'leads-loop' },
				},
				credentials: { marketoApi: { id: credential.id, name: credential.name } },
			},
			{
				id: 'e2e-loop-if',
				name: 'Still running?',
				type: 'n8n-nodes-base.if',
				typeVersion: 2,
				position: at(500),
				parameters: {
					conditions: {
						options: { caseSensitive: true, leftValue: '', typeValidation: 'strict' },
						conditions: [
							{
								id: 'e2e-loop-if-c1',
								leftValue: '={{ $json.stillRunning === true }}',
								rightValue: '',
								operator: { type: 'boolean', operation: 'true', singleValue: true },
							},
						],
						combinator: 'and',
					},
					options: {},
				},
			},
			{
				id: 'e2e-loop-wait',
				name: 'Wait',
				type: 'n8n-nodes-base.wait',
				typeVersion: 1.1,
				position: at(750, 150),
				webhookId: 'e2e-loop-wait-webhook',
				parameters: {
					resume: 'timeInterval',
					amount: '={{ $json.checkAgainInSeconds }}',
					unit: 'seconds',
				},
			},
			{
				id: 'e2e-loop-read',
				name: 'Read rows',
				type: 'n8n-nodes-base.extractFromFile',
				typeVersion: 1,
				position: at(750, 450),
				parameters: { operation: 'csv', options: {} },
			},
		],
	} as unknown as Workflow;
}

describe(`Marketo Bulk Extract, Check Once in a Wait-node loop, on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			extract: { statusRefreshMs: 1_000, recordsPerSecond: 50_000 },
		}));
		simulator.state.addGeneratedLeads(1_000, RANGE_START, RANGE_END);
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('the loop ends with the joined file, each job’s status read once a minute at most', async () => {
		const workflow = loopWorkflow(simulator);
		await n8n.importWorkflow(workflow);
		const run = expectSuccess(await n8n.execute(workflow.id));

		const extractRuns = run!.data.resultData.runData['Extract leads'];
		expect(extractRuns.length).toBeGreaterThanOrEqual(2);
		const [first] = extractRuns[0].data!.main[0]!;
		expect(first.json).toMatchObject({ stillRunning: true, jobsTotal: 2, checkAgainInSeconds: 60 });

		const jobs = simulator.state.extractJobs.filter((job) => job.owner === simulator.clientId);
		expect(jobs.map((job) => job.status)).toEqual(['Completed', 'Completed']);
		// The loop waited what the item said: no status read before Marketo's minute was up.
		const statusCalls = simulator.state.callsTo('leadExportStatus');
		expect(statusCalls.length).toBe(2 * (extractRuns.length - 1));
		for (const job of jobs) {
			const reads = statusCalls.filter((call) => call.path.includes(job.exportId));
			expect(reads[0].time - job.queuedAt!).toBeGreaterThanOrEqual(60_000);
		}

		const [result] = jsonOf(outputOf(run, 'Extract leads'));
		expect(result).toMatchObject({
			extractType: 'leads',
			records: 1_000,
			fileName: 'leads-loop.csv',
		});
		expect(result).not.toHaveProperty('stillRunning');
		const expected = jobs.flatMap((job) => {
			const [header, ...rows] = simulator.state
				.extractFile(job.exportId)!
				.toString('utf8')
				.split('\n')
				.filter((line) => line !== '');
			const columns = header.split(',');
			return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [columns[i], v])));
		});
		expect(jsonOf(outputOf(run, 'Read rows'))).toEqual(expected);
	});
});
