/**
 * The three example workflows, imported as a user would, run by a real n8n against the
 * simulator. Every input row must come back imported, failed with Marketo's reason, or
 * imported with a warning - and the simulator must hold exactly the imported records.
 */
import * as path from 'node:path';

import { expectedOutcomes, generateLeadsCsv, leadEmail } from '../../scripts/generate-leads';
import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	EXAMPLES_DIR,
	exampleWorkflow,
	expectSuccess,
	jsonOf,
	N8nInstance,
	outputOf,
	readSimpleCsv,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
} from './support';

// Jest reads testTimeout only from the global config, not per project; a real n8n needs minutes.
jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eExamplesCred1';

interface MarketoRowMeta {
	kind: string;
	reason: string;
	batchId: number;
	rowNumber: number | null;
	sourceItemIndex: number | null;
	tieBack: string;
}

function metaOf(row: Record<string, unknown>): MarketoRowMeta {
	return row._marketo as MarketoRowMeta;
}

describe(`example workflows on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		// Fast processing: these tests are about correctness; lanes and timing are the bench's job.
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 6,
		}));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('01: a CSV file becomes leads in a static list; refused and warned rows come out with their reasons', async () => {
		const csvPath = path.join(EXAMPLES_DIR, 'data', 'leads.csv');
		const source = readSimpleCsv(csvPath);
		const workflow = exampleWorkflow('01-csv-file-to-leads.json', {
			id: 'e2eExample01Runs',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath: csvPath,
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		const batches = jsonOf(outputOf(run, 'Batch results'));
		expect(batches).toHaveLength(1);
		expect(batches[0]).toMatchObject({ status: 'Complete', rowsFailed: 2, rowsWithWarning: 2 });

		const failed = jsonOf(outputOf(run, 'Failed rows'));
		const warned = jsonOf(outputOf(run, 'Warning rows'));
		expect(failed.map((row) => [metaOf(row).rowNumber, metaOf(row).reason]).sort()).toEqual([
			[6, 'Invalid data type in field Loyalty Points'],
			[9, "Value for lookup field 'email' not found"],
		]);
		expect(warned.map((row) => [row.email, metaOf(row).reason]).sort()).toEqual([
			['myrcella.baratheon@example.com', 'Invalid email address'],
			['shae.lys@example.com', 'Invalid email address'],
		]);
		expect(failed.every((row) => metaOf(row).kind === 'failed')).toBe(true);

		// Every source row is accounted for: imported (with or without warning) or failed.
		const failedRowNumbers = new Set(failed.map((row) => metaOf(row).rowNumber));
		const expectedImported = source.filter((_, index) => !failedRowNumbers.has(index + 1));
		expect(expectedImported).toHaveLength(18);
		for (const row of expectedImported) {
			const lead = simulator.state.findLead('email', row.email);
			expect(lead?.fields.lastName).toBe(row.lastName);
		}
		const listEmails = simulator.state
			.listMembers(2001)
			.map((lead) => lead.fields.email)
			.sort();
		expect(listEmails).toEqual(expectedImported.map((row) => row.email).sort());
		expect(simulator.state.findLead('email', 'lancel.lannister@example.com')).toBeUndefined();
	});

	test('02: items become program members with a status; the refused item is traced to its input item', async () => {
		const workflow = exampleWorkflow('02-items-to-program-members.json', {
			id: 'e2eExample02Runs',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		const registrants = jsonOf(outputOf(run, 'Registrants'));
		expect(registrants).toHaveLength(8);
		const failed = jsonOf(outputOf(run, 'Failed rows'));
		expect(failed).toHaveLength(1);
		expect(metaOf(failed[0])).toMatchObject({
			kind: 'failed',
			reason: "Value for lookup field 'email' not found",
			sourceItemIndex: 4,
		});
		expect(outputOf(run, 'Warning rows')).toHaveLength(0);

		const members = simulator.state.programMembers(1002);
		const expectedEmails = registrants
			.map((item) => String(item.email))
			.filter((email) => email !== '');
		expect(members.map((member) => member.email).sort()).toEqual(expectedEmails.sort());
		expect(new Set(members.map((member) => member.status))).toEqual(new Set(['Registered']));
	});

	test('03: a file over 10 MB is imported in parts that are awaited together', async () => {
		// Few wide rows (a 4,000-character address) make a 12 MB file; the simulator's lead
		// lookup is linear, so hundreds of thousands of rows would make this test slow.
		const rows = 3_000;
		const shape = { failEvery: 1_000, warnEvery: 1_000 };
		const file = n8n.dataFile('large-leads.csv');
		const generated = await generateLeadsCsv(file, { rows, ...shape, addressLength: 4_000 });
		expect(generated.bytes).toBeGreaterThan(10_000_000);
		const expected = expectedOutcomes(rows, shape);

		const workflow = exampleWorkflow('03-large-file-in-parts.json', {
			id: 'e2eExample03Runs',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath: file,
		});
		await n8n.importWorkflow(workflow);
		const leadsBefore = simulator.state.leads.length;

		const run = expectSuccess(await n8n.execute(workflow.id));

		const parts = jsonOf(outputOf(run, 'Import leads'));
		expect(parts.length).toBeGreaterThanOrEqual(2);
		expect(parts.map((part) => part.part)).toEqual(parts.map((_, index) => index + 1));
		expect(parts.reduce((sum, part) => sum + Number(part.rows), 0)).toBe(rows);
		for (const part of parts) expect(Number(part.bytes)).toBeLessThanOrEqual(10_000_000);

		const batches = jsonOf(outputOf(run, 'Batch results'));
		expect(batches).toHaveLength(parts.length);
		expect(batches.every((batch) => batch.status === 'Complete')).toBe(true);

		const failed = jsonOf(outputOf(run, 'Failed rows'));
		const warned = jsonOf(outputOf(run, 'Warning rows'));
		// Row numbers count data rows in the whole file, whichever part a row travelled in.
		const rowNumbers = (rowItems: Array<Record<string, unknown>>) =>
			rowItems.map((row) => metaOf(row).rowNumber as number).sort((a, b) => a - b);
		expect(rowNumbers(failed)).toEqual(expected.failed);
		expect(rowNumbers(warned)).toEqual(expected.warned);
		expect([...failed, ...warned].every((row) => metaOf(row).tieBack === 'exact')).toBe(true);
		expect(
			failed.every((row) => metaOf(row).reason === 'Invalid data type in field Loyalty Points'),
		).toBe(true);

		expect(simulator.state.leads.length - leadsBefore).toBe(rows - expected.failed.length);
		expect(simulator.state.findLead('email', leadEmail(rows - 1))).toBeDefined();
		expect(simulator.state.findLead('email', leadEmail(expected.failed[0]))).toBeUndefined();
	});
});
