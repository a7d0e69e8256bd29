/**
 * What a user sees in n8n's editor: the canvas subtitle (including n8n's own "Custom API Call"
 * operation), the Member Status and Partition dropdowns, the icons and the Docs links.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { IExecuteFunctions, INode, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { MarketoApi } from '../../../credentials/MarketoApi.credentials';
import { MarketoBulkImport } from '../../../nodes/MarketoBulkImport/MarketoBulkImport.node';
import { CUSTOM_API_CALL, router } from '../../../nodes/MarketoBulkImport/actions/router';
import {
	CHOOSE_PROGRAM_FIRST,
	partitionOptions,
} from '../../../nodes/MarketoBulkImport/methods/loadOptions';
import { MarketoWaitForBatch } from '../../../nodes/MarketoWaitForBatch/MarketoWaitForBatch.node';

const ROOT = path.join(__dirname, '..', '..', '..');
const bulkImport = new MarketoBulkImport();
const waitForBatch = new MarketoWaitForBatch();

/** The canvas subtitle n8n computes for a Bulk Import node with this operation. */
function subtitleFor(operation: string): unknown {
	const node: INode = {
		id: '1',
		name: 'Marketo Bulk Import',
		type: 'n8n-nodes-marketo-bulk.marketoBulkImport',
		typeVersion: 1,
		position: [0, 0],
		parameters: { operation },
	};
	const nodeType = bulkImport as unknown as INodeType;
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: {
			getByName: () => nodeType,
			getByNameAndVersion: () => nodeType,
			getKnownTypes: () => ({}),
		},
	});
	return workflow.expression.getSimpleParameterValue(
		node,
		bulkImport.description.subtitle as string,
		'internal',
		{},
		undefined,
		'',
	);
}

describe('Marketo Bulk Import in the editor', () => {
	it.each([
		['importLeads', 'Import Leads'],
		['importProgramMembers', 'Import Program Members'],
		['importCustomObjects', 'Import Custom Objects'],
		// n8n appends this option itself (the credential has `authenticate`).
		['__CUSTOM_API_CALL__', 'Custom API Call'],
	])('subtitles operation %s as "%s"', (operation, subtitle) => {
		expect(subtitleFor(operation)).toBe(subtitle);
	});

	it('points a Custom API Call to the HTTP Request node with the Marketo API credential', async () => {
		expect(CUSTOM_API_CALL).toBe('__CUSTOM_API_CALL__');
		const context = {
			getNodeParameter: () => CUSTOM_API_CALL,
			getNode: () => ({
				name: 'Marketo Bulk Import',
				type: 'n8n-nodes-marketo-bulk.marketoBulkImport',
			}),
		} as unknown as IExecuteFunctions;
		const failure = await router
			.call(context)
			.catch((error: Error & { description?: string }) => error);
		expect(failure).toMatchObject({
			message: 'A Custom API Call is made with an HTTP Request node',
		});
		expect((failure as { description?: string }).description).toMatch(
			/Predefined Credential Type.*Marketo API/,
		);
	});

	it('says to choose the program first, with the Member Status default as its value', () => {
		const memberStatus = bulkImport.description.properties.find(
			(p) => p.name === 'programMemberStatus',
		);
		expect(CHOOSE_PROGRAM_FIRST).toMatchObject({
			name: 'Choose a Program First',
			value: memberStatus?.default,
		});
	});

	it('names "no partition" and a partition called Default so that they cannot be confused', () => {
		const options = partitionOptions([
			{ name: 'Default' },
			{ name: 'EMEA', description: 'Europe' },
			{},
		]);
		expect(options.map((o) => [o.name, o.value])).toEqual([
			['No Partition (Marketo Decides)', ''],
			['Partition: Default', 'Default'],
			['Partition: EMEA', 'EMEA'],
		]);
		expect(new Set(options.map((o) => o.name.toLowerCase())).size).toBe(options.length);
		expect(options[0].name).not.toMatch(/default/i);
	});
});

describe('icons and Docs links', () => {
	const descriptions: Array<[string, INodeTypeDescription, string]> = [
		['MarketoBulkImport', bulkImport.description, 'marketo-bulk-import'],
		['MarketoWaitForBatch', waitForBatch.description, 'marketo-wait-for-batch'],
	];

	function iconFile(folder: string, icon: string): string {
		return path.join(ROOT, folder, icon.replace(/^file:/, ''));
	}

	it('gives each node its own light and dark icon, as plain readable SVG', () => {
		const contents: string[] = [];
		for (const [folder, description] of descriptions) {
			const icon = description.icon as { light: string; dark: string };
			for (const variant of [icon.light, icon.dark]) {
				const svg = fs.readFileSync(iconFile(path.join('nodes', folder), variant), 'utf8');
				expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 64 64"/);
				expect(svg).not.toMatch(/<image|base64|<script/i);
				contents.push(svg);
			}
		}
		const credentialIcon = new MarketoApi().icon as { light: string };
		contents.push(fs.readFileSync(iconFile('credentials', credentialIcon.light), 'utf8'));
		expect(new Set(contents).size).toBe(contents.length);
	});

	/** GitHub's anchor for a README heading. */
	function anchorOf(heading: string): string {
		return heading
			.trim()
			.toLowerCase()
			.replace(/[^\p{L}\p{N}\s-]/gu, '')
			.replace(/\s/g, '-');
	}

	const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
	const anchors = new Set(
		[...readme.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1])),
	);
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const homepage: string = require('../../../package.json').homepage;

	it.each(descriptions)(
		'links %s to its README section, in the node and in the codex',
		(folder, description, anchor) => {
			const url = `${homepage}#${anchor}`;
			expect(anchors).toContain(anchor);
			expect(description.documentationUrl).toBe(url);
			const codex = JSON.parse(
				fs.readFileSync(path.join(ROOT, 'nodes', folder, `${folder}.node.json`), 'utf8'),
			);
			expect(codex.resources.primaryDocumentation).toEqual([{ url }]);
			expect(codex.resources.credentialDocumentation).toEqual([
				{ url: `${homepage}#the-marketo-api-credential` },
			]);
		},
	);

	it('links the credential to its README section', () => {
		expect(anchors).toContain('the-marketo-api-credential');
		expect(new MarketoApi().documentationUrl).toBe(`${homepage}#the-marketo-api-credential`);
	});
});
