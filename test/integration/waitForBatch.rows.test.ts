/**
 * Failed and warning rows end to end: Marketo's files in every delimiter, with values
 * that break naive parsing, and each row tied back to the row (or item) it came from.
 */
import type { IDataObject } from 'n8n-workflow';

import {
	bulkImportOutput,
	columnsOf,
	fileItem,
	marketoOf,
	useFakeClock,
	useSimulator,
	waitForBatches,
} from './support';

// Marketo and the nodes' waits share one fake clock: polls cost no real time.
const clock = useFakeClock();
// failureFileOmitsEmptyColumns is the simulator's default (true): stated here because tests rely on it
const sim = useSimulator({ rowsPerSecond: 1e6, failureFileOmitsEmptyColumns: true, clock });

function tieOf(row: IDataObject) {
	const origin = marketoOf(row);
	return [origin.rowNumber, origin.tieBack];
}

it('SSV with semicolons and quotes inside quoted values', async () => {
	const ssv =
		'email;company;leadScore\n' +
		'ssv1@example.com;"Smith; Sons";1\n' +
		'ssv2@example.com;"Say ""hi""; twice";none\n' +
		'ssv3@example.com;"A;B;C";oops\n';
	const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
		await fileItem(ssv, 'excel.csv'),
	]);
	expect((batches[0].json as IDataObject).format).toBe('ssv');

	const run = await waitForBatches(sim(), batches);

	expect(run.failedRows.map(columnsOf)).toEqual([
		{ email: 'ssv2@example.com', company: 'Say "hi"; twice', leadScore: 'none' },
		{ email: 'ssv3@example.com', company: 'A;B;C', leadScore: 'oops' },
	]);
	expect(run.failedRows.map(tieOf)).toEqual([
		[2, 'exact'],
		[3, 'exact'],
	]);
	expect(run.done[0]).toMatchObject({ rowsFailed: 2, failedRowItems: 2, countsMatch: true });
});

it('TSV with commas, semicolons and CRLF line endings', async () => {
	const tsv =
		'email\tcompany\tleadScore\r\n' +
		'tsv1@example.com\tA, B; C\t1\r\n' +
		'tsv2@example.com\tD, E\tnope\r\n';
	const batches = await bulkImportOutput(sim(), { operation: 'importLeads', fileFormat: 'tsv' }, [
		await fileItem(tsv, 'leads.tsv', 'text/tab-separated-values'),
	]);

	const run = await waitForBatches(sim(), batches);

	expect(run.failedRows).toEqual([
		{
			_marketoReason: 'Invalid data type in field Lead Score',
			email: 'tsv2@example.com',
			company: 'D, E',
			leadScore: 'nope',
			_marketo: expect.objectContaining({ rowNumber: 2, tieBack: 'exact' }),
		},
	]);
});

it('values with embedded newlines, and a failures file that leaves out an empty column', async () => {
	const csv =
		'email,firstName,title,leadScore\n' +
		'nl1@example.com,Ann,"Head of\nSales",1\n' +
		'nl2@example.com,,"Line one\r\nLine two, with comma",bad\n' +
		'nl3@example.com,,"Quote ""q""\nand newline",worse\n';
	const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
		await fileItem(csv, 'newlines.csv'),
	]);

	const run = await waitForBatches(sim(), batches);

	// firstName was empty in both failed rows: the simulator's file (like Marketo's) drops that column
	expect(run.failedRows.map(columnsOf)).toEqual([
		{ email: 'nl2@example.com', title: 'Line one\r\nLine two, with comma', leadScore: 'bad' },
		{ email: 'nl3@example.com', title: 'Quote "q"\nand newline', leadScore: 'worse' },
	]);
	expect(run.failedRows.map(tieOf)).toEqual([
		[2, 'exact'],
		[3, 'exact'],
	]);
	expect(run.done[0]).toMatchObject({ countsMatch: true });
});

it('binary input with duplicate rows: identical failures are assigned in order, never guessed', async () => {
	const csv =
		'email,company,leadScore\n' +
		'dup@example.com,Same,x\n' + // 1 fails
		'fine@example.com,Same,1\n' + // 2
		'dup@example.com,Same,x\n' + // 3 fails (identical to 1)
		'tri@example.com,T,2\n' + // 4
		'solo@example.com,T,y\n'; // 5 fails
	const batches = await bulkImportOutput(sim(), { operation: 'importLeads' }, [
		await fileItem(csv, 'dups.csv'),
	]);

	const run = await waitForBatches(sim(), batches);

	expect(run.failedRows.map((row) => [row.email, ...tieOf(row)])).toEqual([
		['dup@example.com', 1, 'duplicate-rows'],
		['dup@example.com', 3, 'duplicate-rows'],
		['solo@example.com', 5, 'exact'],
	]);
	expect(run.failedRows.every((row) => marketoOf(row).sourceItemIndex === null)).toBe(true);
});

it('items input: each failed row names the input item it came from', async () => {
	const people: IDataObject[] = [
		{ email: 'item0@example.com', firstName: 'Zero', leadScore: 1 },
		{ email: 'item1@example.com', firstName: 'One', leadScore: 'high' },
		{ email: 'item2@example.com', firstName: 'Two, "quoted"\nname', leadScore: 'low' },
		{ email: 'same@example.com', firstName: 'Dup', leadScore: 'x' },
		{ email: 'item4@example.com', firstName: 'Four', leadScore: 4 },
		{ email: 'same@example.com', firstName: 'Dup', leadScore: 'x' },
	];
	const batches = await bulkImportOutput(
		sim(),
		{ operation: 'importLeads', inputSource: 'items' },
		people.map((json) => ({ json })),
	);
	expect(batches).toHaveLength(1);
	expect((batches[0].json as IDataObject).firstSourceItemIndex).toBe(0);

	const run = await waitForBatches(sim(), batches);

	const bySource = run.failedRows.map((row) => [
		marketoOf(row).sourceItemIndex,
		row.email,
		marketoOf(row).tieBack,
	]);
	expect(bySource).toEqual([
		[1, 'item1@example.com', 'exact'],
		[2, 'item2@example.com', 'exact'],
		[3, 'same@example.com', 'duplicate-rows'],
		[5, 'same@example.com', 'duplicate-rows'],
	]);
	// the row item carries the values as Marketo returned them, tied to the item that produced them
	for (const row of run.failedRows) {
		const source = people[marketoOf(row).sourceItemIndex as number];
		expect(row.firstName).toBe(source.firstName);
	}
	expect(run.done[0]).toMatchObject({ failedRowItems: 4, rowsFailed: 4, countsMatch: true });
});
