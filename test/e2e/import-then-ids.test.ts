/**
 * Example 11 as shipped (list placeholders set to the simulator's list 2001, as every e2e test of
 * the examples does) in a real n8n: examples/data/leads.csv imported into the static list, the
 * list's `id` and `email` extracted, and n8n's Merge node putting the IDs onto the imported rows.
 * Checked row by row against the simulator: each imported row comes out once with the Marketo id
 * the simulator holds for its email (an existing lead keeps its id), the rows Marketo refused and
 * a list member that was not in the file do not come out.
 *
 * The package's clock runs 20 times faster in n8n (fastPacing.js), so the extract's
 * once-a-minute status read takes 3 s; the simulator refreshes status every second.
 */
import * as path from 'node:path';

import type { RunningSimulator } from '../simulator';
import { getToken, upload } from '../simulator/testkit';
import {
	E2E_LINE,
	EXAMPLES_DIR,
	exampleWorkflow,
	expectSuccess,
	fastPacingEnv,
	jsonOf,
	N8nInstance,
	outputOf,
	readSimpleCsv,
	simulatorCredential,
	startSimulatedN8n,
	stopSimulatedN8n,
} from './support';

jest.setTimeout(5 * 60 * 1000);

const CREDENTIAL_ID = 'e2eExample11Cred';
const LIST_ID = 2001;
const LEADS_CSV = path.join(EXAMPLES_DIR, 'data', 'leads.csv');
/** Already in the list before the run, not in the file: it must not come out. */
const OTHER_MEMBER = 'olenna.tyrell@example.com';
/** In the file and already in Marketo: it must come out with the id it has. */
const EXISTING_LEAD = 'tyrion.lannister@example.com';

/** Resolves once the simulator has the lead in the list (its import is processed on its clock). */
async function untilListed(simulator: RunningSimulator, email: string): Promise<void> {
	for (let tries = 0; tries < 200; tries++) {
		if (simulator.state.listMembers(LIST_ID).some((lead) => lead.fields.email === email)) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`${email} never joined list ${LIST_ID}`);
}

describe(`example 11 (import, then the Marketo IDs back) on n8n line ${E2E_LINE}`, () => {
	let simulator: RunningSimulator;
	let n8n: N8nInstance;

	beforeAll(async () => {
		({ simulator, n8n } = await startSimulatedN8n(CREDENTIAL_ID, {
			rowsPerSecond: 200_000,
			seed: 11,
			extract: { statusRefreshMs: 1_000, recordsPerSecond: 50_000 },
		}));
	});

	afterAll(async () => await stopSimulatedN8n({ simulator, n8n }));

	test('every imported row comes out once, with its Marketo id; nothing else does', async () => {
		const existing = simulator.state.seedLead({ email: EXISTING_LEAD, firstName: 'Tyrion' });
		const answer = await upload(
			simulator,
			`/bulk/v1/leads.json?format=csv&lookupField=email&listId=${LIST_ID}`,
			`email,firstName\n${OTHER_MEMBER},Olenna\n`,
			await getToken(simulator),
		);
		expect(answer.status).toBe(200);
		await untilListed(simulator, OTHER_MEMBER);

		const workflow = exampleWorkflow('11-import-then-marketo-ids.json', {
			id: 'e2eExample11Runs',
			credential: simulatorCredential(simulator, CREDENTIAL_ID),
			filePath: LEADS_CSV,
		});
		await n8n.importWorkflow(workflow);
		const run = expectSuccess(await n8n.execute(workflow.id, { env: fastPacingEnv(20) }));

		// The rows Marketo refused, by their row number in the file.
		const failed = jsonOf(outputOf(run, 'Failed rows'));
		const failedRows = new Set(
			failed.map((row) => (row._marketo as { rowNumber: number }).rowNumber),
		);
		expect(failedRows.size).toBe(2);
		// The file's rows as n8n read them (n8n leaves empty cells out), in file order.
		const rows = jsonOf(outputOf(run, 'Rows of the file'));
		expect(rows.map((row) => row.email ?? '')).toEqual(
			readSimpleCsv(LEADS_CSV).map((row) => row.email),
		);
		const imported = rows.filter((_, index) => !failedRows.has(index + 1));
		expect(imported).toHaveLength(18);

		// The extract saw the whole list, the other member included.
		const extracted = jsonOf(outputOf(run, 'Extract Marketo IDs'));
		expect(extracted.map((record) => record.email).sort()).toEqual(
			[...imported.map((row) => row.email), OTHER_MEMBER].sort(),
		);

		// Each imported row, as the file has it, plus the id the simulator holds for its email.
		const ready = jsonOf(outputOf(run, 'Ready for CRM update'));
		const byEmail = (a: Record<string, unknown>, b: Record<string, unknown>) =>
			String(a.email).localeCompare(String(b.email));
		const expected = imported.map((row) => {
			const lead = simulator.state.findLead('email', String(row.email));
			expect(lead).toBeDefined();
			return { ...row, id: String(lead?.id) };
		});
		expect([...ready].sort(byEmail)).toEqual(expected.sort(byEmail));
		expect(new Set(ready.map((row) => row.id)).size).toBe(imported.length);
		expect(ready.find((row) => row.email === EXISTING_LEAD)?.id).toBe(String(existing.id));
	});
});
