/** Types for scripts/examples.js. */
export interface ExampleNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	[key: string]: unknown;
}
export interface ExampleWorkflow {
	id: string;
	name: string;
	nodes: ExampleNode[];
	connections: Record<string, unknown>;
	[key: string]: unknown;
}
export const EXAMPLES_DIR: string;
export const CREDENTIAL_PLACEHOLDER_ID: string;
export const POSTGRES_CREDENTIAL_PLACEHOLDER_ID: string;
export const LIST_PLACEHOLDER: string;
export const PROGRAM_PLACEHOLDER: string;
export const SIMULATOR_IDS: { list: string; program: string };
export const EXAMPLE_FILES: string[];
export function chosenById(id: string | number): { __rl: true; mode: 'id'; value: string };
export function loadExample(fileName: string): ExampleWorkflow;
export function exampleWorkflow(
	fileName: string,
	options: {
		id?: string;
		nameSuffix?: string;
		credential: { id: string; name: string };
		/** n8n's Postgres credential for example 09 */
		postgresCredential?: { id: string; name: string };
		filePath?: string;
		simulatorIds?: boolean;
	},
): ExampleWorkflow;
