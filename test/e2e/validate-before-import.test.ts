/**
 * Example 08 in a real n8n against the simulator: Validate Only uploads nothing and predicts
 * exactly the rows that the real import (example 01, the same file) then fails and warns; a
 * file no row of which would fail goes on to the import, whose warnings are the predicted ones.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { RunningSimulator } from '../simulator';
import { uploadCalls } from '../simulator/testkit';
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
	writeDataFile,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eValidateCred1';

type Verdict = [kind: string, rowNumber: unknown, reason: unknown];

function verdictsOf(rows: Array<Record<string, unknown>>): Verdict[] {
	return rows
		.map((row): Verdict => {
			const origin = row._marketo as Record<string, unknown>;
			return [String(origin.kind), origin.rowNumber, origin.reason];
		})
		.sort((a, b) => Number(a[1]) - Number(b[1]) || a[0].localeCompare(b[0]));
}

describe(`validate before you import (example 08) on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 8,
		}));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('predicts, uploading nothing, exactly the rows the import of the same file then fails and warns', async () => {
		const csvPath = path.join(EXAMPLES_DIR, 'data', 'leads.csv');
		const credential = simulatorCredential(simulator, CREDENTIAL_ID);
		const validate = exampleWorkflow('08-validate-before-import.json', {
			id: 'e2eExample08Bad',
			credential,
			filePath: csvPath,
		});
		await n8n.importWorkflow(validate);

		simulator.state.clearCalls();
		const validation = expectSuccess(await n8n.execute(validate.id));
		expect(uploadCalls(simulator)).toEqual([]);
		expect(outputOf(validation, 'Import leads')).toEqual([]);
		const [summary, ...rows] = jsonOf(outputOf(validation, 'Validation report'));
		expect(summary).toMatchObject({
			validateOnly: true,
			rowsChecked: 20,
			rowsWouldFail: 2,
			rowsWouldWarn: 2,
			wouldUpload: true,
		});

		// The real import of the same file (example 01), side by side.
		const importing = exampleWorkflow('01-csv-file-to-leads.json', {
			id: 'e2eExample08Real',
			credential,
			filePath: csvPath,
		});
		await n8n.importWorkflow(importing);
		const run = expectSuccess(await n8n.execute(importing.id));
		const actual = verdictsOf([
			...jsonOf(outputOf(run, 'Failed rows')),
			...jsonOf(outputOf(run, 'Warning rows')),
		]);
		expect(verdictsOf(rows)).toEqual(actual);
		expect(actual).toEqual([
			['failed', 6, 'Invalid data type in field Loyalty Points'],
			['failed', 9, "Value for lookup field 'email' not found"],
			['warning', 10, 'Invalid email address'],
			['warning', 15, 'Invalid email address'],
		]);
	});

	test('a file no row of which would fail is imported; its warnings are the predicted ones', async () => {
		const lines = fs
			.readFileSync(path.join(EXAMPLES_DIR, 'data', 'leads.csv'), 'utf8')
			.trimEnd()
			.split('\n');
		// Without data rows 6 and 9 (the two that fail); rows 10 and 15 become 8 and 13.
		const clean = lines.filter((_, index) => index !== 6 && index !== 9).join('\n') + '\n';
		const filePath = writeDataFile(n8n, 'clean-leads.csv', clean);
		const workflow = exampleWorkflow('08-validate-before-import.json', {
			id: 'e2eExample08Clean',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath,
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		const report = jsonOf(outputOf(run, 'Validation report'));
		expect(report.some((item) => item.validateOnly === true)).toBe(false);
		expect(verdictsOf(report)).toEqual([
			['warning', 8, 'Invalid email address'],
			['warning', 13, 'Invalid email address'],
		]);
		expect(jsonOf(outputOf(run, 'Batch results'))).toEqual([
			expect.objectContaining({
				status: 'Complete',
				rowsProcessed: 18,
				rowsFailed: 0,
				rowsWithWarning: 2,
			}),
		]);
		expect(outputOf(run, 'Failed rows')).toEqual([]);
		expect(verdictsOf(jsonOf(outputOf(run, 'Warning rows')))).toEqual(verdictsOf(report));
	});
});
