/**
 * The example workflows as a user imports them (issue 21): they name no list or program that
 * could exist on a real instance, so Marketo Bulk Import, run with the parameters exactly as the
 * file has them, stops with "Choose your static list" / "Choose your program" and uploads
 * nothing. Set to a list or program By ID (what the README says to do), the same node imports.
 */
import * as fs from 'node:fs';

import type { INodeParameters } from 'n8n-workflow';

import * as examples from '../../scripts/examples';
import { failureOf, fileItem, runBulkImport, uploadCalls, useSimulator } from './support';

const sim = useSimulator({ rowsPerSecond: 1e6 });

const LEADS_CSV = ['email,firstName,lastName', 'ada@example.com,Ada,Lovelace', ''].join('\n');
const REGISTRANTS_CSV = ['email,firstName,status', 'ann@example.com,Ann,Registered', ''].join('\n');

/** The parameters of every Marketo Bulk Import node of an example file, as shipped. */
function bulkImportNodes(
	fileName: string,
): Array<{ name: string; typeVersion: number; parameters: INodeParameters }> {
	return examples
		.loadExample(fileName)
		.nodes.filter((node) => node.type === 'n8n-nodes-marketo-bulk.marketoBulkImport')
		.map((node) => ({
			name: node.name,
			typeVersion: node.typeVersion as number,
			parameters: node.parameters as INodeParameters,
		}));
}

describe('the example workflows as shipped', () => {
	it('use the current version of Marketo Bulk Import and name no list or program ID', () => {
		for (const fileName of fs
			.readdirSync(examples.EXAMPLES_DIR)
			.filter((name) => name.endsWith('.json'))) {
			for (const node of bulkImportNodes(fileName)) {
				expect({ fileName, node: node.name, typeVersion: node.typeVersion }).toEqual({
					fileName,
					node: node.name,
					typeVersion: 2,
				});
				const { list, program } = node.parameters as {
					list?: { value: unknown };
					program?: { value: unknown };
				};
				expect([examples.LIST_PLACEHOLDER, '', undefined]).toContain(list?.value);
				expect([examples.PROGRAM_PLACEHOLDER, undefined]).toContain(program?.value);
			}
		}
	});

	it.each([
		[
			'01-csv-file-to-leads.json',
			'Import leads',
			LEADS_CSV,
			/^Choose your static list: 'CHOOSE_YOUR_LIST' is not a list ID$/,
		],
		['08-validate-before-import.json', 'Validate leads', LEADS_CSV, /^Choose your static list: /],
		['08-validate-before-import.json', 'Import leads', LEADS_CSV, /^Choose your static list: /],
		[
			'07-webinar-attendees-and-no-shows.json',
			'Import program members',
			REGISTRANTS_CSV,
			/^Choose your program: /,
		],
	])(
		'%s: "%s" stops with a clear message and uploads nothing',
		async (fileName, nodeName, csv, message) => {
			const node = bulkImportNodes(fileName).find((candidate) => candidate.name === nodeName);
			if (!node) throw new Error(`${fileName} has no node "${nodeName}"`);

			const error = await failureOf(
				runBulkImport(
					sim(),
					node.parameters,
					[await fileItem(csv, 'leads.csv')],
					false,
					node.typeVersion,
				),
			);

			expect(error.message).toMatch(message);
			expect(error.description).toMatch(/By ID/);
			expect(uploadCalls(sim())).toHaveLength(0);
		},
	);

	it('02: items to program members stops with "Choose your program" and uploads nothing', async () => {
		const [node] = bulkImportNodes('02-items-to-program-members.json');
		const items = [{ json: { email: 'ann@example.com', firstName: 'Ann' } }];

		const error = await failureOf(
			runBulkImport(sim(), node.parameters, items, false, node.typeVersion),
		);

		expect(error.message).toBe("Choose your program: 'CHOOSE_YOUR_PROGRAM' is not a program ID");
		expect(uploadCalls(sim())).toHaveLength(0);
	});

	it('01: with the list set By ID, as the README says, the same node imports the file into that list', async () => {
		const [node] = bulkImportNodes('01-csv-file-to-leads.json');
		const parameters = { ...node.parameters, list: examples.chosenById(2001) };

		const result = await runBulkImport(
			sim(),
			parameters,
			[await fileItem(LEADS_CSV, 'leads.csv')],
			false,
			node.typeVersion,
		);

		expect(result.outputs[0].map((item) => item.json)).toEqual([
			expect.objectContaining({ listId: 2001, rows: 1 }),
		]);
		expect(uploadCalls(sim())).toHaveLength(1);
	});
});
