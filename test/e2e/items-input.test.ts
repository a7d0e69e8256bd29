/**
 * Items input on a real n8n (node version 2): per-item settings grouped into batches, a member
 * status read from each item, and columns mapped with the resource mapper as the editor saves it.
 * Each workflow is example 02 with its code node and import node replaced.
 */
import type { RunningSimulator } from '../simulator';
import {
	E2E_LINE,
	exampleWorkflow,
	expectSuccess,
	findNode,
	jsonOf,
	N8nInstance,
	outputOf,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
	type Workflow,
} from './support';

jest.setTimeout(10 * 60 * 1000);

const CREDENTIAL_ID = 'e2eItemsInputCr1';

interface RowMeta {
	reason: string;
	rowNumber: number | null;
	sourceItemIndex: number | null;
}

/** Example 02 with these items (as a Code node returns them) and these import parameters. */
function itemsWorkflow(
	simulator: RunningSimulator,
	id: string,
	records: Array<Record<string, unknown>>,
	parameters: Record<string, unknown>,
): Workflow {
	const workflow = exampleWorkflow('02-items-to-program-members.json', {
		id,
		credential: simulatorCredential(simulator, CREDENTIAL_ID),
	});
	findNode(workflow, 'Registrants').parameters = {
		jsCode: `return ${JSON.stringify(records)}.map((json) => ({ json }));`,
	};
	const importNode = findNode(workflow, 'Import program members');
	importNode.typeVersion = 2;
	importNode.parameters = { inputSource: 'items', itemsFormat: 'csv', options: {}, ...parameters };
	return workflow;
}

describe(`Items input on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 14,
		}));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('items with per-item lists go to two lists; a failed row is traced to its own item', async () => {
		const people = [
			{ email: 'perlist.a@example.com', firstName: 'A', listId: 2003 },
			{ email: 'perlist.b@example.com', firstName: 'B', listId: 2001 },
			{ email: 'perlist.c@example.com', firstName: 'C', listId: 2003, loyaltyPoints: 'lots' },
			{ email: 'perlist.d@example.com', firstName: 'D', listId: 2001 },
		];
		const workflow = itemsWorkflow(simulator, 'e2eItemsPerList1', people, {
			operation: 'importLeads',
			lookupField: 'email',
			list: { __rl: true, mode: 'id', value: '={{ $json.listId }}' },
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		const batches = jsonOf(outputOf(run, 'Import program members'));
		expect(batches.map((batch) => [batch.listId, batch.rows, batch.sourceItemRanges])).toEqual([
			[
				2003,
				2,
				[
					{ from: 0, to: 0 },
					{ from: 2, to: 2 },
				],
			],
			[
				2001,
				2,
				[
					{ from: 1, to: 1 },
					{ from: 3, to: 3 },
				],
			],
		]);
		const failed = jsonOf(outputOf(run, 'Failed rows'));
		expect(failed.map((row) => [row.email, (row._marketo as RowMeta).sourceItemIndex])).toEqual([
			['perlist.c@example.com', 2],
		]);

		const emailsOf = (listId: number) =>
			simulator.state
				.listMembers(listId)
				.map((lead) => lead.fields.email)
				.sort();
		expect(emailsOf(2003)).toEqual(['perlist.a@example.com']);
		expect(emailsOf(2001)).toEqual(['perlist.b@example.com', 'perlist.d@example.com']);
	});

	test('items mapped manually with the resource mapper arrive in the right Marketo fields', async () => {
		const people = [
			{
				mail: 'mapped.ada@example.com',
				given: 'Ada',
				family: 'Lovelace',
				points: '12',
				org: 'Analytical Engines',
			},
			{
				mail: 'mapped.grace@example.com',
				given: 'Grace',
				family: 'Hopper',
				points: 7,
				org: 'US Navy',
			},
		];
		// The value as the editor saves it (n8n 1.123 and 2.40 alike): mode, values, the schema it showed.
		const field = (id: string, displayName: string, type: string, required = false) => ({
			id,
			displayName,
			required,
			defaultMatch: false,
			display: true,
			type,
			canBeUsedToMatch: false,
		});
		const workflow = itemsWorkflow(simulator, 'e2eItemsMapper01', people, {
			operation: 'importLeads',
			lookupField: 'email',
			columnMapping: {
				mappingMode: 'defineBelow',
				value: {
					email: '={{ $json.mail }}',
					firstName: '={{ $json.given }}',
					lastName: '={{ $json.family }}',
					loyaltyPoints: '={{ $json.points }}',
					company: '={{ $json.org }}',
				},
				matchingColumns: [],
				schema: [
					field('email', 'Email Address (email)', 'string', true),
					field('firstName', 'First Name', 'string'),
					field('lastName', 'Last Name', 'string'),
					field('loyaltyPoints', 'Loyalty Points', 'number'),
					field('company', 'Company Name', 'string'),
				],
				attemptToConvertTypes: false,
				convertFieldsToString: false,
			},
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		expect(jsonOf(outputOf(run, 'Failed rows'))).toEqual([]);
		for (const person of people) {
			expect(simulator.state.findLead('email', person.mail)?.fields).toMatchObject({
				firstName: person.given,
				lastName: person.family,
				loyaltyPoints: String(person.points),
				company: person.org,
			});
		}
	});

	test("items' member statuses from a field become one batch per status", async () => {
		const people = [
			{ email: 'status.a@example.com', firstName: 'A', status: 'Attended' },
			{ email: 'status.b@example.com', firstName: 'B', status: 'No Show' },
			{ email: 'status.c@example.com', firstName: 'C', status: 'Attended' },
		];
		const workflow = itemsWorkflow(simulator, 'e2eItemsStatus01', people, {
			operation: 'importProgramMembers',
			program: { __rl: true, mode: 'id', value: '1002' },
			memberStatusSource: 'column',
		});
		await n8n.importWorkflow(workflow);

		const run = expectSuccess(await n8n.execute(workflow.id));

		const batches = jsonOf(outputOf(run, 'Import program members'));
		expect(batches.map((batch) => [batch.programMemberStatus, batch.rows])).toEqual([
			['Attended', 2],
			['No Show', 1],
		]);
		const members = simulator.state.programMembers(1002);
		for (const person of people) {
			expect(members.find((member) => member.email === person.email)?.status).toBe(person.status);
		}
	});
});
