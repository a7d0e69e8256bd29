'use strict';
/**
 * The example workflows of `examples/`, made ready to import into a given n8n: their own id,
 * the credential placeholder replaced by a real credential, the file path of every
 * "Read/Write Files from Disk" node replaced, and the list and program the user must choose
 * set to the simulator's (static list 2001, webinar program 1002). Used by the e2e and queue
 * tests, the demo, `npm run dev`, the screenshots, the bench and the soak: all of them run
 * against the simulator.
 *
 * The files themselves name no list or program (an ID there could be anything on a real
 * instance): Bulk Import stops with "Choose your static list" / "Choose your program" until the
 * user picks one. `{ simulatorIds: false }` keeps them so, as a user imports them.
 */
const fs = require('node:fs');
const path = require('node:path');

const EXAMPLES_DIR = path.resolve(__dirname, '..', 'examples');

/** What the example files carry instead of a real credential id (README tells users to pick theirs). */
const CREDENTIAL_PLACEHOLDER_ID = 'MARKETO_CREDENTIAL_ID';
/** The same for n8n's own Postgres credential (example 09). */
const POSTGRES_CREDENTIAL_PLACEHOLDER_ID = 'POSTGRES_CREDENTIAL_ID';

/** What the example files hold where the user must choose a list or a program, and the simulator's IDs for them. */
const LIST_PLACEHOLDER = 'CHOOSE_YOUR_LIST';
const PROGRAM_PLACEHOLDER = 'CHOOSE_YOUR_PROGRAM';
const SIMULATOR_IDS = { list: '2001', program: '1002' };

const EXAMPLE_FILES = [
	'01-csv-file-to-leads.json',
	'02-items-to-program-members.json',
	'03-large-file-in-parts.json',
];

function loadExample(fileName) {
	return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, fileName), 'utf8'));
}

/** A list or program chosen By ID, the way the README tells a user to set it. */
function chosenById(id) {
	return { __rl: true, mode: 'id', value: String(id) };
}

/**
 * options: { id?, nameSuffix?, credential: { id, name }, postgresCredential?: { id, name }, filePath?, simulatorIds? }
 * `simulatorIds` (default true): the list and program placeholders become the simulator's IDs.
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
		const postgres = node.credentials?.postgres;
		if (postgres?.id === POSTGRES_CREDENTIAL_PLACEHOLDER_ID && options.postgresCredential) {
			const { id, name } = options.postgresCredential;
			node.credentials.postgres = { id, name };
		}
		if (node.type === 'n8n-nodes-base.readWriteFile' && options.filePath !== undefined) {
			node.parameters.fileSelector = options.filePath;
		}
		if (options.simulatorIds !== false) {
			const { list, staticList, program } = node.parameters ?? {};
			if (list?.value === LIST_PLACEHOLDER) node.parameters.list = chosenById(SIMULATOR_IDS.list);
			if (staticList?.value === LIST_PLACEHOLDER)
				node.parameters.staticList = chosenById(SIMULATOR_IDS.list);
			if (program?.value === PROGRAM_PLACEHOLDER)
				node.parameters.program = chosenById(SIMULATOR_IDS.program);
		}
	}
	return workflow;
}

module.exports = {
	EXAMPLES_DIR,
	CREDENTIAL_PLACEHOLDER_ID,
	POSTGRES_CREDENTIAL_PLACEHOLDER_ID,
	LIST_PLACEHOLDER,
	PROGRAM_PLACEHOLDER,
	SIMULATOR_IDS,
	EXAMPLE_FILES,
	loadExample,
	chosenById,
	exampleWorkflow,
};
