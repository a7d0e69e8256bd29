/**
 * Real-world files (test/e2e/realWorldFiles.ts) through example 01's workflow - Read file ->
 * Marketo Bulk Import -> Marketo Wait for Batch - in a real n8n against the simulator.
 *
 * Every row of every file is accounted for: imported (the lead is in the simulator with
 * exactly the file's values, non-ASCII text intact, and in static list 2001), imported with
 * a warning (on Warning Rows with Marketo's reason, and stored), failed (on Failed Rows with
 * Marketo's reason, its row number and tie-back, and not stored), or refused before upload
 * (the run fails on the import node naming the row and column, and the simulator received
 * no create-import call).
 *
 * Three n8n executions: the two refusals (each stops the run), then one execution that reads
 * files 1-9 at once (one input item per file; File Encoding is an expression choosing
 * Windows-1252 for Excel's "CSV" and Auto for the others) and awaits all their batches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { LeadRecord, RunningSimulator } from '../simulator';
import { realWorldFiles, type ExpectedRow, type RealWorldFile } from './realWorldFiles';
import {
	E2E_LINE,
	exampleWorkflow,
	expectSuccess,
	explain,
	findNode,
	jsonOf,
	N8nInstance,
	outputOf,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
	type Workflow,
} from './support';

// Jest reads testTimeout only from the global config, not per project; a real n8n needs minutes.
jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eRealWorldCr01';
const LIST_ID = 2001;
const FILES = realWorldFiles();

interface MarketoRowMeta {
	kind: 'failed' | 'warning';
	reason: string;
	batchId: number;
	rowNumber: number | null;
	tieBack: string;
}

function metaOf(row: Record<string, unknown>): MarketoRowMeta {
	return row._marketo as MarketoRowMeta;
}

function fileById(id: string): RealWorldFile {
	const file = FILES.find((candidate) => candidate.id === id);
	if (!file) throw new Error(`no real-world file ${id}`);
	return file;
}

/** The encoding Bulk Import must report having read the file in. */
function expectedResolvedEncoding(file: RealWorldFile): string {
	if (file.importsWith === 'windows-1252') return 'windows-1252';
	if (file.bytes[0] === 0xff && file.bytes[1] === 0xfe) return 'utf-16le';
	return 'utf-8';
}

/** What differs between a lead in the simulator and the row it must hold ([] when equal). */
function leadMismatches(
	lead: LeadRecord | undefined,
	row: ExpectedRow,
	columns: string[],
): string[] {
	if (!lead)
		return [`row ${row.rowNumber}: no lead with email ${JSON.stringify(row.values.email)}`];
	const problems: string[] = [];
	for (const column of columns) {
		const stored = lead.fields[column] ?? '';
		if (stored !== row.values[column]) {
			problems.push(
				`row ${row.rowNumber} ${column}: stored ${JSON.stringify(stored)}, file ${JSON.stringify(row.values[column])}`,
			);
		}
	}
	return problems;
}

/** A failed / warning row item's file columns must be the row's own values (as Marketo echoed them). */
function echoMismatches(item: Record<string, unknown>, row: ExpectedRow): string[] {
	const problems: string[] = [];
	for (const [key, value] of Object.entries(item)) {
		if (key === '_marketo') continue;
		// The reason again, first, so a table view shows it (docs/ARCHITECTURE.md).
		if (key === '_marketoReason') {
			if (value !== row.reason)
				problems.push(`row ${row.rowNumber}: _marketoReason ${JSON.stringify(value)}`);
			continue;
		}
		if (!(key in row.values))
			problems.push(`row ${row.rowNumber}: unexpected column ${JSON.stringify(key)}`);
		else if (value !== row.values[key]) {
			problems.push(
				`row ${row.rowNumber} ${key}: item has ${JSON.stringify(value)}, file ${JSON.stringify(row.values[key])}`,
			);
		}
	}
	return problems;
}

describe(`real-world files through example 01 on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;
	let dataDir: string;

	beforeAll(async () => {
		// Fast processing and room for all batches in the queue: these tests are about reading files.
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 10,
			queue: { maxQueued: 20 },
		}));
		dataDir = path.dirname(n8n.dataFile('real-world'));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	function workflowFor(id: string, filePath: string, fileEncoding: string): Workflow {
		const workflow = exampleWorkflow('01-csv-file-to-leads.json', {
			id,
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath,
		});
		const importNode = findNode(workflow, 'Import leads');
		importNode.parameters = {
			...importNode.parameters,
			options: { ...(importNode.parameters.options as Record<string, unknown>), fileEncoding },
		};
		return workflow;
	}

	function writeFiles(folder: string, files: RealWorldFile[]): string {
		const dir = path.join(dataDir, folder);
		fs.mkdirSync(dir, { recursive: true });
		for (const file of files) fs.writeFileSync(path.join(dir, file.name), file.bytes);
		return dir;
	}

	function leadsOf(file: RealWorldFile): LeadRecord[] {
		return simulator.state.leads.filter((lead) =>
			(lead.fields.email ?? '').startsWith(file.emailPrefix),
		);
	}

	async function expectRefusedBeforeUpload(file: RealWorldFile, workflowId: string): Promise<void> {
		const refusal = file.refusal;
		if (!refusal) throw new Error(`file ${file.id} is not refused`);
		const dir = writeFiles(`refused-${file.id}`, [file]);
		const workflow = workflowFor(workflowId, path.join(dir, file.name), refusal.fileEncoding);
		await n8n.importWorkflow(workflow);
		const createCallsBefore = simulator.state.callsTo('importLeads').length;

		const result = await n8n.execute(workflow.id);

		const error = result.run?.data.resultData.error;
		if (!error)
			throw new Error(`the run was expected to fail on "Import leads": ${explain(result)}`);
		expect(error.node?.name ?? result.run?.data.resultData.lastNodeExecuted).toBe('Import leads');
		const text = `${error.message ?? ''} ${error.description ?? ''}`;
		// The row and column, whatever the prose around them.
		expect(text).toMatch(new RegExp(`\\brow ${refusal.rowNumber}\\b`));
		expect(text).toContain(`'${refusal.column}'`);
		for (const mention of refusal.mentions) expect(text).toMatch(mention);
		expect(text).toMatch(/nothing was uploaded/i);

		// Nothing reached Marketo: no create-import call, no lead, no batch to wait for.
		expect(simulator.state.callsTo('importLeads')).toHaveLength(createCallsBefore);
		expect(leadsOf(file)).toEqual([]);
		expect(outputOf(result.run, 'Import leads')).toHaveLength(0);
		expect(result.run?.data.resultData.runData['Wait for batches']).toBeUndefined();
	}

	test('01 with File Encoding = Auto: an Excel CSV in Windows-1252 is refused before upload, naming the row and column', async () => {
		await expectRefusedBeforeUpload(fileById('01'), 'e2eRealWorldRf01');
	});

	test('10: a value whose quote never closes is refused before upload, naming the row and column', async () => {
		await expectRefusedBeforeUpload(fileById('10'), 'e2eRealWorldRf10');
	});

	test('01-09 in one run: every row imported with its exact text, failed or warned with its reason and row number', async () => {
		const files = FILES.filter((file) => file.importsWith !== undefined);
		expect(files.map((file) => file.id)).toEqual([
			'01',
			'02',
			'03',
			'04',
			'05',
			'06',
			'07',
			'08',
			'09',
		]);
		const dir = writeFiles('import', files);
		// One input item per file; each item gets its own File Encoding.
		const windows1252 = files
			.filter((file) => file.importsWith === 'windows-1252')
			.map((file) => file.name);
		expect(
			files.every((file) => file.importsWith === 'auto' || windows1252.includes(file.name)),
		).toBe(true);
		const encodingExpression = `={{ ${JSON.stringify(windows1252)}.includes($binary.data.fileName) ? 'windows-1252' : 'auto' }}`;
		const workflow = workflowFor('e2eRealWorldAll1', path.join(dir, '*'), encodingExpression);
		await n8n.importWorkflow(workflow);
		const createCallsBefore = simulator.state.callsTo('importLeads').length;

		const run = expectSuccess(await n8n.execute(workflow.id));

		expect(outputOf(run, 'Read CSV file')).toHaveLength(files.length);

		// Batches (one per part) and which file each belongs to.
		const batches = jsonOf(outputOf(run, 'Import leads'));
		const fileOfBatch = new Map<number, RealWorldFile>();
		for (const file of files) {
			const parts = batches.filter((batch) => batch.fileName === file.name);
			expect({ file: file.name, parts: parts.length >= Math.max(1, file.minParts) }).toEqual({
				file: file.name,
				parts: true,
			});
			expect({
				file: file.name,
				rows: parts.reduce((sum, part) => sum + Number(part.rows), 0),
			}).toEqual({
				file: file.name,
				rows: file.rows.length,
			});
			for (const part of parts) {
				expect({ file: file.name, format: part.format, fileEncoding: part.fileEncoding }).toEqual({
					file: file.name,
					format: file.format,
					fileEncoding: expectedResolvedEncoding(file),
				});
				expect(Number(part.bytes)).toBeLessThanOrEqual(10_000_000);
				fileOfBatch.set(Number(part.batchId), file);
			}
			if (file.uploadedBytes !== undefined) {
				// The UTF-8 BOM is not uploaded: the part is the file minus its 3 BOM bytes.
				expect(parts.map((part) => Number(part.bytes))).toEqual([file.uploadedBytes]);
				const uploads = simulator.state
					.callsTo('importLeads')
					.filter((call) => call.fileName === file.name);
				expect(uploads.map((call) => call.fileBytes)).toEqual([file.uploadedBytes]);
			}
		}
		expect(fileOfBatch.size).toBe(batches.length);
		expect(simulator.state.callsTo('importLeads').length - createCallsBefore).toBe(batches.length);

		// Wait for Batch: one Done item per batch, all Complete, with the file's counts.
		const done = jsonOf(outputOf(run, 'Batch results'));
		expect(done.map((item) => Number(item.batchId)).sort()).toEqual([...fileOfBatch.keys()].sort());
		for (const file of files) {
			const ofFile = done.filter((item) => fileOfBatch.get(Number(item.batchId)) === file);
			expect({
				file: file.name,
				statuses: [...new Set(ofFile.map((item) => item.status))],
				failed: ofFile.reduce((sum, item) => sum + Number(item.rowsFailed), 0),
				warned: ofFile.reduce((sum, item) => sum + Number(item.rowsWithWarning), 0),
			}).toEqual({
				file: file.name,
				statuses: ['Complete'],
				failed: file.rows.filter((row) => row.outcome === 'failed').length,
				warned: file.rows.filter((row) => row.outcome === 'warned').length,
			});
		}

		const failedItems = jsonOf(outputOf(run, 'Failed rows'));
		const warningItems = jsonOf(outputOf(run, 'Warning rows'));
		const listMembers = new Set(simulator.state.listMembers(LIST_ID).map((lead) => lead.id));
		const allLeads = simulator.state.leads;
		const leadByEmail = new Map(
			allLeads.map((lead) => [(lead.fields.email ?? '').toLowerCase(), lead]),
		);

		// Everything per file is gathered first and compared at the end, so a failure shows every file.
		const actualReport: Record<string, unknown> = {};
		const expectedReport: Record<string, unknown> = {};
		for (const file of files) {
			const problems: string[] = [];
			const ofFile = (items: Array<Record<string, unknown>>) =>
				items.filter((item) => fileOfBatch.get(metaOf(item).batchId) === file);

			// Failed and warning rows: Marketo's reason, the row number in the whole file, the tie-back.
			for (const [outcome, items] of [
				['failed', ofFile(failedItems)],
				['warned', ofFile(warningItems)],
			] as const) {
				const expected = file.rows.filter((row) => row.outcome === outcome);
				const summary = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();
				const got = items.map((item) => [
					metaOf(item).rowNumber,
					metaOf(item).reason,
					metaOf(item).tieBack,
				]);
				actualReport[`${file.name} ${outcome}`] = summary(got);
				expectedReport[`${file.name} ${outcome}`] = summary(
					expected.map((row) => [row.rowNumber, row.reason, row.tieBack]),
				);
				for (const item of items) {
					const row = file.rows.find((candidate) => candidate.rowNumber === metaOf(item).rowNumber);
					if (row) problems.push(...echoMismatches(item, row));
					// The BOM never becomes part of a column name.
					if (Object.keys(item).some((key) => key.includes('\ufeff'))) {
						problems.push(`a column name holds a BOM: ${JSON.stringify(Object.keys(item))}`);
					}
				}
			}

			// Imported and warned rows: stored with exactly the file's values, and in the list.
			for (const row of file.rows) {
				const lead =
					row.values.email === '' ? undefined : leadByEmail.get(row.values.email.toLowerCase());
				if (row.outcome === 'failed') {
					if (lead)
						problems.push(`row ${row.rowNumber} failed but a lead ${row.values.email} exists`);
					continue;
				}
				problems.push(...leadMismatches(lead, row, file.columns));
				if (lead && !listMembers.has(lead.id))
					problems.push(`row ${row.rowNumber}: lead not in list ${LIST_ID}`);
			}
			// No lead from this file beyond its imported and warned rows.
			const stored = allLeads.filter((lead) =>
				(lead.fields.email ?? '').startsWith(file.emailPrefix),
			).length;
			const expectedStored = file.rows.filter((row) => row.outcome !== 'failed').length;
			if (stored !== expectedStored)
				problems.push(`${stored} leads stored, ${expectedStored} expected`);

			actualReport[`${file.name} problems`] = problems.slice(0, 20);
			expectedReport[`${file.name} problems`] = [];
		}
		expect(actualReport).toEqual(expectedReport);
		expect(failedItems.every((item) => metaOf(item).kind === 'failed')).toBe(true);
		expect(warningItems.every((item) => metaOf(item).kind === 'warning')).toBe(true);
		// Nothing on Failed / Warning Rows that belongs to no file's batch.
		expect(
			[...failedItems, ...warningItems].filter((item) => !fileOfBatch.has(metaOf(item).batchId)),
		).toEqual([]);
	});
});
