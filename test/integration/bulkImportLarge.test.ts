import {
	descriptorsOf,
	drainQueue,
	fileItem,
	runBulkImport,
	uploadCalls,
	useFakeClock,
	useSimulator,
} from './support';

/**
 * A deterministic ~25 MB lead file. Rows are wide (a ~2.4 KB address) so the
 * file stays near 10,000 rows: the simulator's lead lookups grow with rows
 * times leads, and the point here is bytes, not row count.
 */
function generateLeadFile(targetBytes: number): { content: Buffer; rows: number } {
	const lines = ['email,firstName,lastName,company,address'];
	let bytes = lines[0].length + 1;
	let rows = 0;
	while (bytes < targetBytes) {
		const address = `"${rows} Long Street, Apt ${rows % 97}\n${'Building wing, floor and desk details '.repeat(60)}"`;
		const line = `lead${rows}@bulk.example.com,First${rows},"Last, ${rows}",Company ${rows % 997},${address}`;
		lines.push(line);
		bytes += Buffer.byteLength(line) + 1;
		rows++;
	}
	return { content: Buffer.from(lines.join('\n') + '\n', 'utf8'), rows };
}

// Marketo and the node's waits share one fake clock: the queue drains when the test moves it.
const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e7, clock });

it('splits a 25 MB file into 3 batches of at most 10,000,000 bytes that import every row', async () => {
	const { content, rows } = generateLeadFile(25_000_000);
	const input = await fileItem(content, 'big.csv');
	const result = await runBulkImport(sim(), { operation: 'importLeads' }, [input]);

	const descriptors = descriptorsOf(result);
	expect(descriptors).toHaveLength(3);
	expect(descriptors.map((d) => [d.part, d.partCount])).toEqual([
		[1, 3],
		[2, 3],
		[3, 3],
	]);
	// Parts cover the file's rows exactly once, in order.
	expect(descriptors.reduce((sum, d) => sum + d.rows, 0)).toBe(rows);
	descriptors.forEach((d, index) => {
		expect(d.bytes).toBeLessThanOrEqual(10_000_000);
		expect(d.firstRowNumber).toBe(
			index === 0 ? 1 : descriptors[index - 1].firstRowNumber + descriptors[index - 1].rows,
		);
		if (index > 0)
			expect(d.submittedFile?.dataStart).toBe(descriptors[index - 1].submittedFile?.dataEnd);
		// Every output item carries the same input binary, not a copy.
		expect(result.outputs[0][index].binary?.data).toBe(input.binary?.data);
	});
	expect(descriptors[2].submittedFile?.dataEnd).toBe(content.length);

	const uploads = uploadCalls(sim());
	expect(uploads).toHaveLength(3);
	for (const upload of uploads) expect(upload.fileBytes).toBeLessThanOrEqual(10_000_000);

	// Every part starts with the header: otherwise its first row would be read as a header and lost.
	drainQueue(sim(), clock);
	expect(
		sim().state.leads.filter((lead) => lead.fields.email?.endsWith('@bulk.example.com')),
	).toHaveLength(rows);
	const lastRow = rows - 1;
	expect(sim().state.findLead('email', `lead${lastRow}@bulk.example.com`)?.fields.lastName).toBe(
		`Last, ${lastRow}`,
	);
	for (const job of sim().state.queue) expect(job.numFailed).toBe(0);
});
