/**
 * Items input in a real n8n, on both lines (2.40.7 and 1.123.81): a workflow whose Code node
 * hands 100,000 lead items to Marketo Bulk Import (Items input, one static list, columns mapped
 * automatically, no expression), run with `n8n execute` against the simulator.
 *
 * - items input node execution time line <1|2>: the Import node's own execution time as n8n
 *   records it (runData[node][0].executionTime), in seconds. Target <= 1.5 s on each line, the
 *   Code node run in a task runner (see SETTINGS; on 1.x without one: reported). The
 *   one bench figure in absolute time: the issue asks for it, because what a user on n8n 1.x
 *   waits for is that time, not a ratio. Best of RUNS executions (each a fresh n8n process), so
 *   a busy moment of the machine is not taken for the node's cost.
 *
 * --quick: 10,000 items, one execution per line. For finding where the time goes,
 * BENCH_ITEMS_CPU_PROF=<folder> runs each line once with n8n under `--cpu-prof` (profiles in
 * that folder).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as examples from '../scripts/examples';
import * as n8n from '../scripts/n8n-runtime';
import type { Runtime, RuntimeLine } from '../scripts/n8n-runtime';
import { startSimulator } from '../test/simulator';
import type { BenchContext, BenchResult } from './types';

const FULL = { items: 100_000, runs: 2 };
const QUICK = { items: 10_000, runs: 1 };
const IMPORT_NODE = 'Import leads';
const TARGET_SECONDS = 1.5;
const PROFILE_DIR = process.env.BENCH_ITEMS_CPU_PROF;

/** The Code node's items: distinct leads, a few fields each, as a CRM query would hand them. */
function leadItemsCode(count: number): string {
	return [
		`const items = new Array(${count});`,
		`for (let i = 0; i < ${count}; i++) {`,
		"\titems[i] = { json: { email: `lead${i}@example.com`, firstName: `First ${i}`, lastName: 'Last', company: `Acme ${i % 997}` } };",
		'}',
		'return items;',
	].join('\n');
}

/** Example 02 (Start -> Code -> Bulk Import) with the Code node making `count` lead items and Bulk Import importing them into list 2001. */
function itemsWorkflow(credential: n8n.StoredCredential, count: number) {
	const workflow = examples.exampleWorkflow('02-items-to-program-members.json', {
		id: 'benchItemsInput1',
		credential,
	});
	const nodes = workflow.nodes;
	const code = nodes.find((node) => node.type === 'n8n-nodes-base.code')!;
	code.parameters = { jsCode: leadItemsCode(count) };
	const importNode = nodes.find((node) => node.type.endsWith('.marketoBulkImport'))!;
	importNode.name = IMPORT_NODE;
	importNode.parameters = {
		operation: 'importLeads',
		inputSource: 'items',
		itemsFormat: 'csv',
		lookupField: 'email',
		list: { __rl: true, mode: 'id', value: '2001' },
		columnMapping: { mappingMode: 'autoMapInputData', value: null },
		options: {},
	};
	// Only the trigger, the items and the import: Wait for Batch is not what is measured.
	const trigger = nodes.find((node) => node.type === 'n8n-nodes-base.manualTrigger')!;
	workflow.nodes = [trigger, code, importNode];
	const to = (node: string) => ({ main: [[{ node, type: 'main', index: 0 }]] });
	workflow.connections = { [trigger.name]: to(code.name), [code.name]: to(IMPORT_NODE) };
	return workflow;
}

/**
 * `n8n execute --rawOutput` with its output in a file: through a pipe n8n 1.x exits before
 * the 100,000 items' run data is all written (scripts/n8n-runtime.js reads a pipe).
 */
async function executeToFile(
	runtime: Runtime,
	userFolder: string,
	workflowId: string,
	env: Record<string, string>,
): Promise<{ code: number; output: string }> {
	const file = path.join(userFolder, 'execute-output.txt');
	const fd = fs.openSync(file, 'w');
	const brokerPort = await n8n.findFreePort();
	try {
		const code = await new Promise<number>((resolve, reject) => {
			const child = spawn(
				runtime.nodeBin,
				[runtime.n8nBin, 'execute', `--id=${workflowId}`, '--rawOutput'],
				{
					cwd: userFolder,
					env: n8n.n8nEnv(runtime, userFolder, {
						N8N_RUNNERS_BROKER_PORT: String(brokerPort),
						...env,
						...(PROFILE_DIR
							? {
									NODE_OPTIONS: `--max-old-space-size=4096 --cpu-prof --cpu-prof-dir=${PROFILE_DIR}`,
								}
							: {}),
					}),
					stdio: ['ignore', fd, fd],
				},
			);
			const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60 * 1000);
			child.on('error', reject);
			child.on('close', (exitCode) => {
				clearTimeout(timer);
				resolve(exitCode ?? 1);
			});
		});
		return { code, output: fs.readFileSync(file, 'utf8') };
	} finally {
		fs.closeSync(fd);
	}
}

/** One execution in a fresh n8n process: the Import node's execution time in ms. */
async function executeOnce(
	ctx: BenchContext,
	runtime: Runtime,
	tarball: string,
	count: number,
	setting: Setting,
): Promise<number> {
	const userFolder = n8n.createUserFolder('n8n-bench-items-');
	const simulator = await startSimulator({ rowsPerSecond: 200_000, seed: 23 });
	try {
		n8n.installPackage(runtime, userFolder, tarball);
		const credential = {
			id: 'benchItemsCred1',
			name: 'Marketo simulator (bench)',
			type: 'marketoApi',
			data: {
				restEndpoint: simulator.restUrl,
				identityEndpoint: simulator.identityUrl,
				clientId: simulator.clientId,
				clientSecret: simulator.clientSecret,
			},
		};
		await n8n.importCredentials(runtime, userFolder, [credential]);
		const workflow = itemsWorkflow(credential, count);
		await n8n.importWorkflow(runtime, userFolder, workflow);
		const { code, output } = await executeToFile(runtime, userFolder, workflow.id, setting.env);
		const run = n8n.parseExecuteOutput(output);
		if (code !== 0 || !run || run.data.resultData.error) {
			const error = run?.data.resultData.error;
			throw new Error(`the n8n run failed: ${error?.message ?? output.slice(-2000)}`);
		}
		const task = run.data.resultData.runData[IMPORT_NODE]?.[0];
		const batches = task?.data?.main[0] ?? [];
		const rows = batches.reduce((sum, item) => sum + Number(item.json.rows ?? 0), 0);
		if (task === undefined || rows !== count)
			throw new Error(`${IMPORT_NODE} submitted ${rows} rows of ${count}`);
		ctx.log(
			`items-input line ${runtime.line}${setting.label}: ${count} items, ${batches.length} batch(es), node ${task.executionTime} ms`,
		);
		return task.executionTime;
	} finally {
		await simulator.close();
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
}

/**
 * How n8n runs the Code node that makes the items. n8n 2.x always runs it in a task runner, and
 * its items arrive as plain objects. n8n 1.x runs it in vm2 unless task runners are turned on
 * (N8N_RUNNERS_ENABLED, off by default there): its items are then vm2 proxies, and n8n itself
 * reads every one of them through vm2's bridge before the Import node starts (it copies each
 * input item to set its pairedItem), inside the node's recorded time. The target is on what the
 * node can act on (items as a task runner hands them, on both lines); the vm2 case is reported.
 */
interface Setting {
	line: RuntimeLine;
	label: string;
	env: Record<string, string>;
	reported: boolean;
}

const SETTINGS: Setting[] = [
	{ line: '2', label: '', env: {}, reported: false },
	{ line: '1', label: '', env: { N8N_RUNNERS_ENABLED: 'true' }, reported: false },
	{
		line: '1',
		label: ', Code node in vm2 (no task runner)',
		env: { N8N_RUNNERS_ENABLED: 'false' },
		reported: true,
	},
];

function resultName(setting: Setting, quick: boolean): string {
	return `items input node execution time line ${setting.line}${setting.label}${quick ? ' [quick]' : ''}`;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
	const shape = ctx.quick ? QUICK : PROFILE_DIR ? { ...FULL, runs: 1 } : FULL;
	const settings = SETTINGS.filter((setting) => ctx.wants(resultName(setting, ctx.quick)));
	if (settings.length === 0) return [];
	const runtimes = new Map(
		[...new Set(settings.map((setting) => setting.line))].map((line) => [
			line,
			n8n.ensureRuntime(line),
		]),
	);
	const tarball = n8n.buildAndPack();
	try {
		const results: BenchResult[] = [];
		for (const setting of settings) {
			const runtime = runtimes.get(setting.line) as Runtime;
			const timesMs: number[] = [];
			for (let i = 0; i < shape.runs; i++)
				timesMs.push(await executeOnce(ctx, runtime, tarball, shape.items, setting));
			results.push({
				name: resultName(setting, ctx.quick),
				value: Math.min(...timesMs) / 1000,
				unit: 's',
				...(setting.reported
					? { reported: true }
					: { target: { op: '<=' as const, value: TARGET_SECONDS } }),
				details: { n8n: runtime.version, items: shape.items, env: setting.env, timesMs },
			});
		}
		return results;
	} finally {
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
}
