/**
 * Example 07 (webinar attendees and no-shows in one import) run by a real n8n against the
 * simulator: Member Status from a column makes one batch per status, every member gets the
 * status of its row, failed rows are tied back to their rows in the user's file, and a file
 * with an unknown status is refused with nothing uploaded.
 */
import * as path from 'node:path';

import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	EXAMPLES_DIR,
	exampleWorkflow,
	expectSuccess,
	explain,
	jsonOf,
	N8nInstance,
	outputOf,
	readSimpleCsv,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
	writeDataFile,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eMemberStatus1';
const REGISTRANTS = path.join(EXAMPLES_DIR, 'data', 'webinar-registrants.csv');

function metaOf(row: Record<string, unknown>) {
	return row._marketo as {
		kind: string;
		reason: string;
		batchId: number;
		rowNumber: number | null;
		tieBack: string;
	};
}

describe(`Member Status from a column on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 7,
		}));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('07: registrants with three statuses become three batches; each member has the status of its row', async () => {
		const workflow = exampleWorkflow('07-webinar-attendees-and-no-shows.json', {
			id: 'e2eExample07Runs',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath: REGISTRANTS,
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		const batches = jsonOf(outputOf(run, 'Import program members'));
		expect(batches.map((batch) => batch.programMemberStatus)).toEqual([
			'Attended',
			'No Show',
			'Registered',
		]);
		expect(batches.every((batch) => batch.programId === 1002)).toBe(true);
		expect(jsonOf(outputOf(run, 'Batch results')).map((batch) => batch.status)).toEqual([
			'Complete',
			'Complete',
			'Complete',
		]);

		// Jon (row 4, an Attended row) has text in the integer field attendedMinutes.
		const failed = jsonOf(outputOf(run, 'Failed rows'));
		expect(
			failed.map((row) => [
				row.email,
				metaOf(row).rowNumber,
				metaOf(row).tieBack,
				metaOf(row).reason,
			]),
		).toEqual([
			['jon.snow@example.com', 4, 'exact', 'Invalid data type in field Attended Minutes'],
		]);
		expect(metaOf(failed[0]).batchId).toBe(batches[0].batchId);

		const source = readSimpleCsv(REGISTRANTS).filter((row) => row.email !== 'jon.snow@example.com');
		const members = new Map(
			simulator.state.programMembers(1002).map((member) => [member.email, member]),
		);
		expect(new Map(source.map((row) => [row.email, row.status]))).toEqual(
			new Map([...members].map(([email, member]) => [email, member.status])),
		);
		expect(members.get('sansa.stark@example.com')?.fields).toEqual({
			webinarQuestion: 'Can we export the report?',
			attendedMinutes: '52',
		});
	});

	test('a file with an unknown status is refused before upload; the error names the status and its row', async () => {
		const file = writeDataFile(
			n8n,
			'registrants-typo.csv',
			'email,firstName,status\nann@example.com,Ann,Attended\nbob@example.com,Bob,Atended\ncat@example.com,Cat,No Show\n',
		);
		const workflow = exampleWorkflow('07-webinar-attendees-and-no-shows.json', {
			id: 'e2eExample07Typo',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath: file,
		});
		await n8n.importWorkflow(workflow);
		const uploadsBefore = simulator.state.callsTo('importProgramMembers').length;

		const result = await n8n.execute(workflow.id);

		const error = result.run?.data.resultData.error;
		if (!error)
			throw new Error(
				`the run was expected to fail on "Import program members": ${explain(result)}`,
			);
		const text = `${error.message ?? ''} ${error.description ?? ''}`;
		expect(text).toContain("'Atended' (row 2), did you mean 'Attended'?");
		expect(text).toContain("'Registered', 'Attended', 'No Show'");
		expect(text).toMatch(/Nothing was uploaded/);
		expect(simulator.state.callsTo('importProgramMembers')).toHaveLength(uploadsBefore);
		expect(simulator.state.programMembers(1002).map((member) => member.email)).not.toContain(
			'ann@example.com',
		);
	});
});
