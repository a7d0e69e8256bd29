/**
 * Marketo Bulk Extract in a real n8n against the simulator: a 40-day range (two Marketo jobs)
 * streamed into n8n's binary data, joined into one file, and read back by n8n's own Extract from
 * File node, row for row equal to the simulator's files. Marketo updates a job's status once a
 * minute and the node reads it no more often, so this takes a little over a minute per run.
 */
import * as path from 'node:path';

import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	EXAMPLES_DIR,
	exampleWorkflow,
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

const CREDENTIAL_ID = 'e2eExtractCred01';
const RANGE_START = Date.UTC(2026, 0, 1);
const RANGE_END = Date.UTC(2026, 1, 10); // 40 days: two jobs

function extractWorkflow(simulator: RunningSimulator): Workflow {
	const credential = simulatorCredential(simulator, CREDENTIAL_ID);
	const position = (x: number): [number, number] => [x, 300];
	return {
		id: 'e2eExtractLeads1',
		name: 'Extract leads (e2e)',
		active: false,
		settings: {},
		connections: {
			Start: { main: [[{ node: 'Extract leads', type: 'main', index: 0 }]] },
			'Extract leads': { main: [[{ node: 'Read rows', type: 'main', index: 0 }]] },
		},
		nodes: [
			{
				id: 'e2e-extract-start',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: position(0),
				parameters: {},
			},
			{
				id: 'e2e-extract-leads',
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
					options: { fileName: 'leads-e2e' },
				},
				credentials: { marketoApi: { id: credential.id, name: credential.name } },
			},
			{
				id: 'e2e-extract-read',
				name: 'Read rows',
				type: 'n8n-nodes-base.extractFromFile',
				typeVersion: 1,
				position: position(500),
				parameters: { operation: 'csv', options: {} },
			},
		],
	} as unknown as Workflow;
}

describe(`Marketo Bulk Extract on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			extract: { statusRefreshMs: 1_000, recordsPerSecond: 50_000 },
		}));
		simulator.state.addGeneratedLeads(2_000, RANGE_START, RANGE_END);
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('a two-job range arrives as one file whose rows are the jobs’ files joined', async () => {
		const workflow = extractWorkflow(simulator);
		await n8n.importWorkflow(workflow);
		const run = expectSuccess(await n8n.execute(workflow.id));

		const [result] = jsonOf(outputOf(run, 'Extract leads'));
		const jobs = simulator.state.extractJobs.filter((job) => job.owner === simulator.clientId);
		expect(jobs.map((job) => job.status)).toEqual(['Completed', 'Completed']);
		expect(result).toMatchObject({
			extractType: 'leads',
			records: 2_000,
			fileName: 'leads-e2e.csv',
		});

		const expected = jobs.flatMap((job) => {
			const [header, ...rows] = simulator.state
				.extractFile(job.exportId)!
				.toString('utf8')
				.split('\n')
				.filter((line) => line !== '');
			const columns = header.split(',');
			return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [columns[i], v])));
		});
		const read = jsonOf(outputOf(run, 'Read rows'));
		expect(read).toHaveLength(2_000);
		expect(read).toEqual(expected);
	});

	test('example 10: a static list’s members, imported by example 01, into a spreadsheet', async () => {
		const credential = simulatorCredential(simulator, CREDENTIAL_ID);
		const importing = exampleWorkflow('01-csv-file-to-leads.json', {
			id: 'e2eExtract10Imp1',
			credential,
			filePath: path.join(EXAMPLES_DIR, 'data', 'leads.csv'),
		});
		const extracting = exampleWorkflow('10-static-list-to-spreadsheet.json', {
			id: 'e2eExtract10Ext1',
			credential,
		});
		await n8n.importWorkflow(importing);
		await n8n.importWorkflow(extracting);
		expectSuccess(await n8n.execute(importing.id));
		const members = simulator.state.listMembers(2001);
		expect(members.length).toBeGreaterThan(0);

		const run = expectSuccess(await n8n.execute(extracting.id));
		const records = jsonOf(outputOf(run, 'Extract list members'));
		expect(records.map((record) => record.email).sort()).toEqual(
			members.map((lead) => lead.fields.email).sort(),
		);
		expect(Object.keys(records[0])).toEqual(['id', 'email', 'firstName', 'lastName', 'company']);
		const [sheet] = outputOf(run, 'Write spreadsheet');
		expect(sheet.binary?.data).toMatchObject({ fileName: 'list-members.xlsx' });
	});
});
