/**
 * A new user's first run, as the README's quick start tells it (issue 21): example 01 imported
 * as it ships, without the list the tests' other runs put in. The user picks the credential and
 * points *Read CSV file* at a file in the folder n8n may read; the first run stops at Import
 * leads with "Choose your static list" and uploads nothing; with the list set By ID, as the
 * README says, the run imports the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as examples from '../../scripts/examples';
import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	EXAMPLES_DIR,
	N8nInstance,
	exampleWorkflow,
	expectSuccess,
	explain,
	findNode,
	jsonOf,
	outputOf,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eFirstRunCred1';
const WORKFLOW_ID = 'e2eFirstRunEx01a';
const EXAMPLE = '01-csv-file-to-leads.json';

describe(`a first run of example 01 as shipped, n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 21,
		}));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('stops with "Choose your static list" and uploads nothing; with the list set By ID it imports the file', async () => {
		// The file, in the folder the instance may read (N8N_RESTRICT_FILE_ACCESS_TO).
		const csv = n8n.dataFile('leads.csv');
		fs.copyFileSync(path.join(EXAMPLES_DIR, 'data', 'leads.csv'), csv);
		const asShipped = examples.loadExample(EXAMPLE);
		const workflow = exampleWorkflow(EXAMPLE, {
			id: WORKFLOW_ID,
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath: csv,
			simulatorIds: false,
		});
		// Nothing else differs from the file: the list is still the placeholder.
		expect(findNode(workflow, 'Import leads').parameters).toEqual(
			findNode(asShipped, 'Import leads').parameters,
		);
		await n8n.importWorkflow(workflow);

		const first = await n8n.execute(WORKFLOW_ID);

		const error = first.run?.data.resultData.error;
		if (!error)
			throw new Error(`the first run was expected to stop at "Import leads": ${explain(first)}`);
		expect(first.run?.data.resultData.lastNodeExecuted).toBe('Import leads');
		expect(error.message).toBe("Choose your static list: 'CHOOSE_YOUR_LIST' is not a list ID");
		expect(error.description).toContain(
			'pick your list (From List) or enter its numeric ID (By ID',
		);
		expect(simulator.state.callsTo('importLeads')).toHaveLength(0);
		expect(simulator.state.queue).toHaveLength(0);

		// The README: set Static List to your list, By ID (or From List).
		findNode(workflow, 'Import leads').parameters.list = examples.chosenById(2001);
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(WORKFLOW_ID));

		const batches = jsonOf(outputOf(run, 'Batch results'));
		expect(batches).toEqual([
			expect.objectContaining({ status: 'Complete', rowsFailed: 2, rowsWithWarning: 2 }),
		]);
		expect(jsonOf(outputOf(run, 'Import leads'))).toEqual([
			expect.objectContaining({ listId: 2001, rows: 20 }),
		]);
		expect(simulator.state.listMembers(2001)).toHaveLength(18);
	});
});
