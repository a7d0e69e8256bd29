// n8n's community-package scan applies these same rule sets before verification:
// @n8n/eslint-plugin-community-nodes (recommended = the n8n Cloud profile) and
// eslint-plugin-n8n-nodes-base (community, credentials, nodes). Keeping them in
// `npm run lint` means a failing scan shows up here first.
import tseslint from 'typescript-eslint';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

const nodesBasePlugin = { 'n8n-nodes-base': n8nNodesBase };

export default [
	{
		ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**', 'test/**', 'bench/**', 'scripts/**', 'examples/**', 'gulpfile.js', 'index.js', 'jest.config.js'],
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
		rules: n8nNodesBase.configs.credentials.rules,
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
];
