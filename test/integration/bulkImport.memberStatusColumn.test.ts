/**
 * Member Status (and Program) from a column of the file: one batch sequence per status, the
 * statuses checked against the program's channel before anything is uploaded, the column
 * left out of the upload, and failed rows tied back to their rows in the original file.
 */
import type { IDataObject } from 'n8n-workflow';

import {
	descriptorsOf,
	drainQueue,
	failureOf,
	fileItem,
	marketoOf,
	PROGRAM_1002_STATUS_FROM_COLUMN,
	runBulkImport,
	submittedOnSimulatorClock,
	uploadCalls,
	useFakeClock,
	useSimulator,
	waitForBatches,
} from './support';

const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e6, clock });

// Rows 3 and 4 differ only in their status and both fail (text in an integer field): the
// Attended batch's range (rows 2-7) holds row 3 too, which only the group tells apart.
const REGISTRANTS = [
	'email,firstName,status,webinarQuestion,attendedMinutes',
	'ann@example.com,Ann,Registered,,',
	'bob@example.com,Bob,Attended,"How much, roughly?",45',
	'dan@example.com,Dan,No Show,Pricing?,ninety',
	'dan@example.com,Dan,Attended,Pricing?,ninety',
	'cat@example.com,Cat, No Show ,,',
	'eve@example.com,Eve,Registered,,',
	'fay@example.com,Fay,Attended,,30',
	'',
].join('\r\n');

describe('Marketo Bulk Import: Member Status from a column', () => {
	it('imports a file with three statuses as three batches, each member with the status of its row', async () => {
		const input = await fileItem(REGISTRANTS, 'registrants.csv');
		const result = await runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [input]);

		const descriptors = descriptorsOf(result);
		expect(
			descriptors.map((d) => [d.programId, d.programMemberStatus, d.rows, d.firstRowNumber]),
		).toEqual([
			[1002, 'Registered', 2, 1],
			[1002, 'Attended', 3, 2],
			[1002, 'No Show', 2, 3],
		]);
		expect(descriptors.map((d) => [d.part, d.partCount])).toEqual([
			[1, 3],
			[2, 3],
			[3, 3],
		]);
		expect(descriptors[1].submittedFile).toEqual({
			binaryProperty: 'data',
			dataStart: REGISTRANTS.indexOf('bob@'),
			dataEnd: REGISTRANTS.indexOf('\r\n', REGISTRANTS.indexOf('fay@')) + 2,
			group: { columns: [2], values: ['Attended'] },
		});
		// One upload per status, each with its status; the status column is not uploaded.
		expect(uploadCalls(sim()).map((call) => call.query.programMemberStatus)).toEqual([
			'Registered',
			'Attended',
			'No Show',
		]);

		const batches = submittedOnSimulatorClock(sim(), result.outputs[0]);
		const run = await waitForBatches(sim(), batches);
		const jobs = sim()
			.state.jobLedger()
			.filter((job) => descriptors.some((d) => d.batchId === job.batchId));
		expect(jobs).toHaveLength(3);
		for (const job of jobs)
			expect(job.header).toEqual(['email', 'firstName', 'webinarQuestion', 'attendedMinutes']);
		const members = Object.fromEntries(
			sim()
				.state.programMembers(1002)
				.map((m) => [m.email, m]),
		);
		expect(
			Object.fromEntries(Object.entries(members).map(([email, m]) => [email, m.status])),
		).toEqual({
			'ann@example.com': 'Registered',
			'bob@example.com': 'Attended',
			'cat@example.com': 'No Show',
			'eve@example.com': 'Registered',
			'fay@example.com': 'Attended',
		});
		expect(members['bob@example.com'].fields).toEqual({
			webinarQuestion: 'How much, roughly?',
			attendedMinutes: '45',
		});

		// Each batch's failed row is tied to its row in the original file, not in the uploaded part.
		const ties = run.failedRows.map((row: IDataObject) => [
			marketoOf(row).batchId,
			marketoOf(row).rowNumber,
			marketoOf(row).tieBack,
		]);
		expect(ties).toEqual(
			expect.arrayContaining([
				[descriptors[1].batchId, 4, 'exact'],
				[descriptors[2].batchId, 3, 'exact'],
			]),
		);
		expect(ties).toHaveLength(2);
	});

	it('refuses rows with an unknown or empty status, naming the rows and the valid statuses, and uploads nothing', async () => {
		const csv = [
			'email,status',
			'a@example.com,Attended',
			'b@example.com,Atended',
			'c@example.com,',
			'd@example.com,Atended',
			'',
		].join('\n');
		const error = await failureOf(
			runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [
				await fileItem(csv, 'registrants.csv'),
			]),
		);
		expect(error.message).toContain("'Atended' (rows 2 and 4), did you mean 'Attended'?");
		expect(error.message).toContain('(empty) (row 3)');
		expect(error.description).toContain(
			"Program 1002 (channel 'Webinar') has these statuses: 'Not in Program', 'Invited', 'Registered', 'Attended', 'No Show', 'Attended On-demand'",
		);
		expect(error.description).toContain("column 'status'");
		expect(error.description).toContain('Nothing was uploaded.');
		expect(uploadCalls(sim())).toEqual([]);
	});

	it('knows the program member custom fields from the describe: a misspelt one is refused with the right name', async () => {
		const csv = 'email,status,webinarQuestoin,attendedMinutes\na@example.com,Attended,Q,3\n';
		const error = await failureOf(
			runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [await fileItem(csv, 'r.csv')]),
		);
		// 'attendedMinutes' passes (a custom program member field); the status column is not checked as a field.
		expect(error.message).toContain("a column Marketo does not know: 'webinarQuestoin'");
		expect(error.description).toContain("did you mean 'webinarQuestion'?");
		expect(uploadCalls(sim())).toEqual([]);
	});

	it('refuses a file without the status column, naming the columns it has', async () => {
		const error = await failureOf(
			runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [
				await fileItem('email,memberStatus\na@example.com,Attended\n', 'r.csv'),
			]),
		);
		expect(error.message).toContain("has no column 'status'");
		expect(error.description).toContain("'email', 'memberStatus'");
		expect(uploadCalls(sim())).toEqual([]);
	});

	it('takes the program from a column too: one batch per program and status, programs checked first', async () => {
		const parameters = {
			operation: 'importProgramMembers',
			programSource: 'column',
			programColumn: 'programId',
			memberStatusSource: 'column',
		};
		const csv = [
			'programId,email,status',
			'1002,p1@example.com,Attended',
			'1001,p2@example.com,On List',
			'1002,p3@example.com,Attended',
			'',
		].join('\n');
		const result = await runBulkImport(sim(), parameters, [await fileItem(csv, 'members.csv')]);
		expect(descriptorsOf(result).map((d) => [d.programId, d.programMemberStatus, d.rows])).toEqual([
			[1002, 'Attended', 2],
			[1001, 'On List', 1],
		]);
		expect(descriptorsOf(result)[0].submittedFile?.group).toEqual({
			columns: [0, 2],
			values: ['1002', 'Attended'],
		});
		drainQueue(sim(), clock);
		expect(
			sim()
				.state.programMembers(1001)
				.map((m) => [m.email, m.status]),
		).toEqual([['p2@example.com', 'On List']]);

		sim().state.clearCalls();
		const bad = [
			'programId,email,status',
			'4242,x@example.com,Attended',
			'abc,y@example.com,Attended',
			'1001,z@example.com,Attended',
			'',
		].join('\n');
		const error = await failureOf(
			runBulkImport(sim(), parameters, [await fileItem(bad, 'members.csv')]),
		);
		expect(error.message).toContain("program 4242 in column 'programId' was not found (row 1)");
		expect(error.message).toContain(
			"program 'abc' in column 'programId' is not a program ID (row 2)",
		);
		// Program 1001 is a List Import program: 'Attended' is not one of its statuses.
		expect(error.message).toContain(
			"a Member Status program 1001 does not have: 'Attended' (row 3)",
		);
		expect(uploadCalls(sim())).toEqual([]);
	});

	it('stopped after some batches: names the batches in Marketo by status, not a range of rows', async () => {
		sim().state.scriptFault({
			route: 'importProgramMembers',
			times: 1,
			answer: { kind: 'delay', ms: 0 },
		});
		sim().state.scriptFault({
			route: 'importProgramMembers',
			answer: { kind: 'envelope', code: '1003', message: 'Invalid data' },
		});
		try {
			const csv = [
				'email,status',
				'g1@example.com,Registered',
				'g2@example.com,Attended',
				'g3@example.com,Registered',
				'',
			].join('\n');
			const error = await failureOf(
				runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [await fileItem(csv, 'r.csv')]),
			);
			const [first] = sim()
				.state.queue.filter((job) => job.owner === 'own')
				.slice(-1);
			expect(error.description).toContain(
				`These batches are already in Marketo and will be imported: batch ${first.batchId} ('Registered': 2 rows from row 1).`,
			);
			expect(error.description).toContain(
				'import again only the rows that are not in those batches',
			);
		} finally {
			sim().state.clearScriptedFaults();
		}
	});

	it('keeps working unchanged with one status for all rows (workflows made before the option)', async () => {
		const result = await runBulkImport(
			sim(),
			{
				operation: 'importProgramMembers',
				program: { __rl: true, mode: 'id', value: '1001' },
				programMemberStatus: 'On List',
			},
			[await fileItem('email,firstName\nold@example.com,Old\n', 'old.csv')],
		);
		expect(descriptorsOf(result)).toHaveLength(1);
		expect(descriptorsOf(result)[0].submittedFile).toEqual({
			binaryProperty: 'data',
			dataStart: 16,
			dataEnd: 36,
		});
	});
});
