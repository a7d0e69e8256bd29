/**
 * The workflows the soak runs and the rows they submit: the import examples as a user imports
 * them, adapted for short runs, and the extract workflow (scripts/soak/extract.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

import {
	EXAMPLES_DIR,
	exampleWorkflow,
	type Workflow,
	type WorkflowNode,
} from '../../test/e2e/support';
import { parseDelimited } from '../../test/simulator/delimited';
import { isBlankRow } from '../../test/simulator/rows';
import { generateLeadsCsv } from '../generate-leads';
import type { StoredCredential } from '../n8n-runtime';
import type { SourceRow } from './accounting';
import { extractNodes } from './extract';
import { EXAMPLE_FILES, LARGE_FILE_PART_SIZE_MB, type ImportExampleId, type RunPlan } from './plan';

/** Wait for Batch's Time Limit and the Queue Wait Limits in the soaked workflows (minutes). */
export const WORKFLOW_TIME_LIMIT_MINUTES = 5;
export const CREDENTIAL_ID = 'soakSimulatorCr1';
export const CREDENTIAL_NAME = 'Marketo simulator (soak)';
const CREDENTIAL: StoredCredential = {
	id: CREDENTIAL_ID,
	name: CREDENTIAL_NAME,
	type: 'marketoApi',
	data: {},
};

export function nodeOfType(workflow: Workflow, suffix: string): WorkflowNode {
	const node = workflow.nodes.find((candidate) => candidate.type.endsWith(suffix));
	if (!node) throw new Error(`workflow ${workflow.id} has no ${suffix} node`);
	return node;
}

export const importNodeOf = (workflow: Workflow) => nodeOfType(workflow, '.marketoBulkImport');
export const waitNodeOf = (workflow: Workflow) => nodeOfType(workflow, '.marketoWaitForBatch');

/** The files the workflows read, in the folder n8n may read (`dataDir`). */
export function soakFiles(dataDir: string): { leads: string; large: string } {
	const leads = path.join(dataDir, 'leads.csv');
	if (!fs.existsSync(leads)) fs.copyFileSync(path.join(EXAMPLES_DIR, 'data', 'leads.csv'), leads);
	return { leads, large: path.join(dataDir, 'soak-large-leads.csv') };
}

/** A 16-character id, as n8n 1.x requires. The extract workflow is made per run (its range and output are drawn). */
export function workflowId(plan: RunPlan): string {
	if (plan.example === 'ex') return `soakExtract${plan.run}`.padEnd(16, '0');
	return `soak${plan.example}${plan.continueOnFail ? 'Continue' : 'StopOnEr'}`.padEnd(16, '0');
}

/**
 * An import example as a user imports it, adapted for short runs: example 03 split into small
 * parts, the time and queue limits short enough that a stuck run ends with the nodes' own error
 * (which names the batches) before the harness gives up, and On Error of the import node per the plan.
 */
function importWorkflow(plan: RunPlan, dataDir: string): Workflow {
	const example = plan.example as ImportExampleId;
	const files = soakFiles(dataDir);
	const filePath = example === '01' ? files.leads : example === '03' ? files.large : undefined;
	const workflow = exampleWorkflow(EXAMPLE_FILES[example], {
		id: workflowId(plan),
		credential: CREDENTIAL,
		filePath,
	});
	workflow.name = `Soak ${example} (${plan.continueOnFail ? 'continue on fail' : 'stop on error'})`;
	const importNode = importNodeOf(workflow);
	importNode.parameters.options = {
		...(importNode.parameters.options as Record<string, unknown> | undefined),
		queueWaitMinutes: WORKFLOW_TIME_LIMIT_MINUTES,
		...(example === '03' ? { partSizeMb: LARGE_FILE_PART_SIZE_MB } : {}),
	};
	if (plan.continueOnFail) importNode.onError = 'continueRegularOutput';
	waitNodeOf(workflow).parameters.timeLimit = WORKFLOW_TIME_LIMIT_MINUTES;
	return workflow;
}

/** Manual Trigger -> Marketo Bulk Extract -> Read/Write Files (each output file into `dataDir`). */
function extractWorkflow(plan: RunPlan, dataDir: string): Workflow {
	if (!plan.extract) throw new Error(`run ${plan.run} has no extract plan`);
	const nodes = [
		{
			id: '6d1f4a0e-00e0-4c3e-9a51-000000000001',
			name: 'Start',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 300],
			parameters: {},
		},
		...extractNodes(
			plan.extract,
			{ id: CREDENTIAL_ID, name: CREDENTIAL_NAME },
			dataDir,
			WORKFLOW_TIME_LIMIT_MINUTES,
		),
	] as WorkflowNode[];
	return {
		id: workflowId(plan),
		name: `Soak extract (run ${plan.run})`,
		active: false,
		nodes,
		connections: {
			Start: { main: [[{ node: nodes[1].name, type: 'main', index: 0 }]] },
			[nodes[1].name]: { main: [[{ node: nodes[2].name, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		pinData: {},
	} as Workflow;
}

export function soakWorkflow(plan: RunPlan, dataDir: string): Workflow {
	return plan.example === 'ex' ? extractWorkflow(plan, dataDir) : importWorkflow(plan, dataDir);
}

/** The data rows of a delimited file, numbered as the nodes number them (blank lines are no rows). */
function fileRows(file: string): SourceRow[] {
	const [, ...rows] = parseDelimited(fs.readFileSync(file, 'utf8'), ',');
	return rows
		.filter((cells) => !isBlankRow(cells))
		.map((cells, index) => ({ rowNumber: index + 1, cells }));
}

/**
 * Example 02's rows: the items its Code node returns (run here on its own, so the input is
 * known even when n8n fails), one row per item. Its import node (version 2, Columns: Map
 * Automatically) writes the items' fields that are Marketo fields, all of example 02's, in the
 * order they first appear; a version 1 node would write its comma-separated Columns.
 */
function itemRows(workflow: Workflow): SourceRow[] {
	const code = String(nodeOfType(workflow, '.code').parameters.jsCode);
	const items = vm.runInNewContext(
		`(function () {\n${code}\n})()`,
		{},
		{ timeout: 1000 },
	) as Array<{ json: Record<string, unknown> }>;
	const listed = importNodeOf(workflow).parameters.columns;
	const columns =
		typeof listed === 'string' && listed.trim() !== ''
			? listed
					.split(',')
					.map((column) => column.trim())
					.filter(Boolean)
			: [...new Set(items.flatMap((item) => Object.keys(item.json)))];
	return items.map((item, index) => ({
		rowNumber: index + 1,
		cells: columns.map((column) =>
			item.json[column] === undefined || item.json[column] === null
				? ''
				: String(item.json[column]),
		),
	}));
}

/** The rows an import run submits (the generated file of example 03 is written here); none for the extract. */
export async function sourceRowsFor(
	plan: RunPlan,
	workflow: Workflow,
	dataDir: string,
): Promise<SourceRow[]> {
	const files = soakFiles(dataDir);
	if (plan.example === 'ex') return [];
	if (plan.example === '01') return fileRows(files.leads);
	if (plan.example === '02') return itemRows(workflow);
	await generateLeadsCsv(files.large, plan.largeFile);
	return fileRows(files.large);
}
