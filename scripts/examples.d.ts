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
export const EXAMPLE_FILES: string[];
export function loadExample(fileName: string): ExampleWorkflow;
export function exampleWorkflow(
	fileName: string,
	options: {
		id?: string;
		nameSuffix?: string;
		credential: { id: string; name: string };
		filePath?: string;
	},
): ExampleWorkflow;
