'use strict';
/**
 * The example workflows of `examples/`, made ready to import into a given n8n: their own id,
 * the credential placeholder replaced by a real credential, and the file path of every
 * "Read/Write Files from Disk" node replaced. Used by the e2e tests, the demo and `npm run dev`.
 */
const fs = require('node:fs');
const path = require('node:path');

const EXAMPLES_DIR = path.resolve(__dirname, '..', 'examples');

/** What the example files carry instead of a real credential id (README tells users to pick theirs). */
const CREDENTIAL_PLACEHOLDER_ID = 'MARKETO_CREDENTIAL_ID';

const EXAMPLE_FILES = [
	'01-csv-file-to-leads.json',
	'02-items-to-program-members.json',
	'03-large-file-in-parts.json',
];

function loadExample(fileName) {
	return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, fileName), 'utf8'));
}

/**
 * options: { id?, nameSuffix?, credential: { id, name }, filePath? }
 * Returns a new workflow object; the example file is not changed.
 */
function exampleWorkflow(fileName, options) {
	const workflow = loadExample(fileName);
	if (options.id) workflow.id = options.id;
	if (options.nameSuffix) workflow.name = `${workflow.name} ${options.nameSuffix}`;
	for (const node of workflow.nodes) {
		const reference = node.credentials?.marketoApi;
		if (reference && reference.id === CREDENTIAL_PLACEHOLDER_ID) {
			node.credentials.marketoApi = { id: options.credential.id, name: options.credential.name };
		}
		if (node.type === 'n8n-nodes-base.readWriteFile' && options.filePath !== undefined) {
			node.parameters.fileSelector = options.filePath;
		}
	}
	return workflow;
}

module.exports = {
	EXAMPLES_DIR,
	CREDENTIAL_PLACEHOLDER_ID,
	EXAMPLE_FILES,
	loadExample,
	exampleWorkflow,
};
