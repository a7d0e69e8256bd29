// n8n's community-package scan applies these same rule sets before verification:
// @n8n/eslint-plugin-community-nodes (recommended = the n8n Cloud profile) and
// eslint-plugin-n8n-nodes-base (community, credentials, nodes). Keeping them in
// `npm run lint` means a failing scan shows up here first.
//
// On top of those, the layout rules of docs/ARCHITECTURE.md, for nodes/ and credentials/:
// no import cycles (type-only imports included), no node importing another node, nothing
// published importing test/, bench/ or scripts/, and one-way imports inside a node.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import noImportCycle from './eslint-rules/no-import-cycle.mjs';

const nodesBasePlugin = { 'n8n-nodes-base': n8nNodesBase };

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** The node folders: every folder in nodes/ but shared/, read each time ESLint loads this file. */
const NODE_FOLDERS = fs
	.readdirSync(path.join(ROOT, 'nodes'), { withFileTypes: true })
	.filter((entry) => entry.isDirectory() && entry.name !== 'shared')
	.map((entry) => entry.name)
	.sort();

/** Inside a node folder imports run one way: node file -> actions -> helpers -> shared, and
 * methods -> helpers or shared. Each subfolder, and the subfolders it must not import. */
const NODE_INNER_ORDER = {
	actions: ['methods'],
	helpers: ['actions', 'methods'],
	methods: ['actions'],
};
const ORDER_TEXT = 'node file -> actions -> helpers -> shared, methods -> helpers or shared';

/** Zones for import-x/no-restricted-paths: `target` files must not import from `from`. */
function layoutZones() {
	const zones = [];
	for (const node of NODE_FOLDERS) {
		for (const other of NODE_FOLDERS.filter((name) => name !== node)) {
			zones.push({
				target: `nodes/${node}`,
				from: `nodes/${other}`,
				message: `nodes/${node} must not import nodes/${other}; move what both need to nodes/shared.`,
			});
		}
		zones.push({
			target: 'nodes/shared',
			from: `nodes/${node}`,
			message: `nodes/shared must not import nodes/${node}: shared code serves every node.`,
		});
		zones.push({
			target: 'credentials',
			from: `nodes/${node}`,
			message: `credentials must not import nodes/${node}; move what it needs to nodes/shared.`,
		});
		const nodeFiles = fs
			.readdirSync(path.join(ROOT, 'nodes', node))
			.filter((name) => name.endsWith('.node.ts'))
			.map((name) => `nodes/${node}/${name}`);
		for (const [folder, forbidden] of Object.entries(NODE_INNER_ORDER)) {
			for (const from of [...forbidden.map((name) => `nodes/${node}/${name}`), ...nodeFiles]) {
				zones.push({
					target: `nodes/${node}/${folder}`,
					from,
					message: `nodes/${node}/${folder} must not import ${from} (${ORDER_TEXT}).`,
				});
			}
		}
	}
	for (const folder of ['test', 'bench', 'scripts']) {
		zones.push({
			target: ['nodes', 'credentials'],
			from: folder,
			message: `nodes/ and credentials/ must not import ${folder}/: it is not published.`,
		});
	}
	return zones;
}

export default [
	{
		ignores: [
			'dist/**',
			'node_modules/**',
			'.cache/**',
			'coverage/**',
			'test/**',
			'bench/**',
			'scripts/**',
			'examples/**',
			'gulpfile.js',
			'index.js',
			'jest.config.js',
		],
	},
	{
		files: ['**/*.ts'],
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { sourceType: 'module' },
		},
	},
	{
		files: ['package.json'],
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { extraFileExtensions: ['.json'] },
		},
		plugins: nodesBasePlugin,
		rules: n8nNodesBase.configs.community.rules,
	},
	{
		...n8nCommunityNodesPlugin.configs.recommended,
		files: ['package.json', 'credentials/**/*.ts', 'nodes/**/*.ts'],
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: nodesBasePlugin,
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Off in n8n's scanner and in @n8n/node-cli's config too: the camelCase rule targets n8n's
			// own repo, where documentationUrl is a docs slug; a community package links a full URL.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: nodesBasePlugin,
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These two predate NodeConnectionTypes and several outputs: they demand the string
			// 'main' and exactly one output, while the community-nodes rule set (the one n8n's
			// scanner enforces) demands NodeConnectionTypes.Main. Wait for Batch has three outputs.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		// The layout (docs/ARCHITECTURE.md). Paths are relative to this file's folder.
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		plugins: { 'import-x': importX, layout: { rules: { 'no-import-cycle': noImportCycle } } },
		settings: {
			'import-x/resolver-next': [
				createTypeScriptImportResolver({ project: path.join(ROOT, 'tsconfig.json') }),
			],
		},
		rules: {
			// Not import-x/no-cycle: it skips type-only imports and has no option to count them.
			'layout/no-import-cycle': 'error',
			'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: layoutZones() }],
		},
	},
];
