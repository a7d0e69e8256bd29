/**
 * The README names things as the editor shows them (issue 21). Every name it writes in
 * *italics* must be one of:
 *  - a name in these nodes' descriptions: a node, an output, a parameter, an option of an
 *    options parameter or a collection, a resource locator mode, the credential and its fields;
 *  - the name of a node in one of the example workflows;
 *  - one of n8n's own editor names listed below (menus, n8n's nodes, the column mapper's modes).
 * "A > B" is read as two names. And every example file the README names must exist.
 * Changing a display name in a node description without the README fails this test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type {
	INodeProperties,
	INodePropertyCollection,
	INodePropertyOptions,
	INodeTypeDescription,
} from 'n8n-workflow';

import { MarketoApi } from '../../credentials/MarketoApi.credentials';
import { MarketoBulkExtract } from '../../nodes/MarketoBulkExtract/MarketoBulkExtract.node';
import { MarketoBulkImport } from '../../nodes/MarketoBulkImport/MarketoBulkImport.node';
import { MarketoWaitForBatch } from '../../nodes/MarketoWaitForBatch/MarketoWaitForBatch.node';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES_DIR = path.join(ROOT, 'examples');

/** Names n8n itself shows (not these nodes): its menus and settings, its own nodes, the column mapper. */
const N8N_EDITOR_NAMES = [
	'Settings',
	'Community Nodes',
	'Install',
	'Workflows',
	'Import from File',
	'Publish',
	'On Error',
	'Continue',
	'Continue (using error output)',
	'Test',
	'HTTP Request',
	'Authentication',
	'Predefined Credential Type',
	'Read/Write Files from Disk',
	'File(s) Selector',
	'Extract From File',
	'Convert to File',
	'Respond to Webhook',
	'Wait',
	'If',
	'Map Automatically',
	'Map Each Column Manually',
];

type Option = INodeProperties | INodePropertyOptions | INodePropertyCollection;

/** Every name the editor shows for a property and what it holds, recursively. */
function namesOf(property: Option, names: Set<string>): void {
	if ('displayName' in property && typeof property.displayName === 'string')
		names.add(property.displayName);
	if ('name' in property && !('displayName' in property)) names.add(property.name);
	if ('modes' in property) for (const mode of property.modes ?? []) names.add(mode.displayName);
	if ('options' in property)
		for (const option of property.options ?? []) namesOf(option as Option, names);
	if ('values' in property) for (const value of property.values ?? []) namesOf(value, names);
}

function descriptionNames(): Set<string> {
	const names = new Set<string>();
	const descriptions: INodeTypeDescription[] = [
		new MarketoBulkImport().description,
		new MarketoBulkExtract().description,
		new MarketoWaitForBatch().description,
	];
	for (const description of descriptions) {
		names.add(description.displayName);
		for (const output of (description.outputNames as string[] | undefined) ?? []) names.add(output);
		for (const property of description.properties) namesOf(property, names);
	}
	const credential = new MarketoApi();
	names.add(credential.displayName);
	for (const property of credential.properties) namesOf(property, names);
	return names;
}

function exampleNodeNames(): Set<string> {
	const names = new Set<string>();
	for (const file of fs.readdirSync(EXAMPLES_DIR).filter((name) => name.endsWith('.json'))) {
		const workflow = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as {
			nodes: Array<{ name: string }>;
		};
		for (const node of workflow.nodes) names.add(node.name);
	}
	return names;
}

/** The README's prose: no code blocks, no code spans, no bold markers (so `***x***` reads as `*x*`). */
function prose(markdown: string): string {
	return markdown
		.replace(/^```[\s\S]*?^```/gm, '')
		.replace(/`[^`\n]*`/g, '')
		.replace(/\*\*/g, '');
}

/** Every name written in italics, "A > B" split into its parts. */
export function italicNames(markdown: string): string[] {
	const names: string[] = [];
	for (const line of prose(markdown).split('\n')) {
		for (const match of line.matchAll(/\*([^*\s][^*]*?)\*/g)) {
			names.push(...match[1].split(' > ').map((name) => name.trim()));
		}
	}
	return names;
}

describe('README', () => {
	const known = new Set([...descriptionNames(), ...exampleNodeNames(), ...N8N_EDITOR_NAMES]);
	const italics = italicNames(README);

	it('writes names in italics (the check below has something to check)', () => {
		expect(italics.length).toBeGreaterThan(50);
		expect(italics).toEqual(
			expect.arrayContaining(['Queue Wait Limit (Minutes)', 'Failed Rows', 'Check Once']),
		);
	});

	it('names every parameter, option and output as the node descriptions have it', () => {
		const unknown = [...new Set(italics.filter((name) => !known.has(name)))];
		expect(unknown).toEqual([]);
	});

	it('uses the names the editor shows with "Name or ID" where the editor adds it', () => {
		for (const name of [
			'Lookup Field Name or ID',
			'Partition Name or ID',
			'Member Status Name or ID',
			'Custom Object Name or ID',
		]) {
			expect(descriptionNames()).toContain(name);
			expect(italics).toContain(name);
		}
	});

	it('names only example files that exist', () => {
		const files = new Set<string>();
		for (const match of README.matchAll(/\b(?:examples\/)?(\d\d-[\w-]+\.json)\b/g))
			files.add(match[1]);
		for (const match of README.matchAll(/\bexamples\/(data\/[\w.-]+\.(?:csv|xlsx))\b/g))
			files.add(match[1]);
		expect(files.size).toBeGreaterThanOrEqual(10);
		const missing = [...files].filter((file) => !fs.existsSync(path.join(EXAMPLES_DIR, file)));
		expect(missing).toEqual([]);
	});

	it('names every example file there is', () => {
		const shipped = fs.readdirSync(EXAMPLES_DIR).filter((name) => name.endsWith('.json'));
		for (const file of shipped) expect(README).toContain(`examples/${file}`);
	});

	it('keeps the developer promise: npm install, npm run demo, npm test', () => {
		expect(README).toMatch(/`npm install`[^\n]*\n?[^\n]*`npm run demo`[\s\S]{0,200}`npm test`/);
	});
});
