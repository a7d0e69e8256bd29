/**
 * Shared set-up of the queue-mode tests: an n8n cluster (scripts/n8n-queue.js: Redis,
 * PostgreSQL, a main process and two workers, each with the package installed as a user
 * would) on the line in N8N_QUEUE_LINE (default 2), pointed at the in-process simulator.
 *
 * scripts/test-queue.js builds and packs the package once and passes the tarball in
 * N8N_E2E_TARBALL; without it (a file run alone) the package is built and packed here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Agent } from 'undici';

import * as examples from '../../scripts/examples';
import * as n8n from '../../scripts/n8n-runtime';
import type { N8nItem, N8nRun, RuntimeLine, StoredCredential } from '../../scripts/n8n-runtime';
import {
	createQueueN8n,
	type ExecutionSummary,
	type QueueCluster,
	type StoredExecution,
} from '../../scripts/n8n-queue';
import type { RunningSimulator } from '../simulator';

export const QUEUE_LINE: RuntimeLine = process.env.N8N_QUEUE_LINE === '1' ? '1' : '2';
/** The binary data mode under test: database (the default here), or another one to see what n8n does with it. */
export const BINARY_DATA_MODE = process.env.N8N_QUEUE_BINARY_DATA_MODE || 'database';

export type Workflow = examples.ExampleWorkflow;

/** Creates the cluster (not started): import credentials and workflows, then `start()`. */
export async function createCluster(
	name: string,
	options: { concurrency?: number; env?: Record<string, string> } = {},
): Promise<QueueCluster> {
	const given = process.env.N8N_E2E_TARBALL;
	const ownPack = !(given && fs.existsSync(given));
	const tarball = ownPack ? n8n.buildAndPack() : (given as string);
	try {
		const env: Record<string, string> = {
			...(BINARY_DATA_MODE === 'database'
				? {}
				: { N8N_DEFAULT_BINARY_DATA_MODE: BINARY_DATA_MODE }),
			...options.env,
		};
		return await createQueueN8n({
			line: QUEUE_LINE,
			tarball,
			name,
			workers: 2,
			env,
			concurrency: options.concurrency,
		});
	} finally {
		if (ownPack) fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
}

/** A Marketo API credential pointing at the simulator (id: 16 alphanumerics, as n8n 1.x wants). */
export function simulatorCredential(simulator: RunningSimulator, id: string): StoredCredential {
	return {
		id,
		name: `Marketo simulator ${id}`,
		type: 'marketoApi',
		data: {
			restEndpoint: simulator.restUrl,
			identityEndpoint: simulator.identityUrl,
			clientId: simulator.clientId,
			clientSecret: simulator.clientSecret,
		},
	};
}

/**
 * An example workflow with its own id and the credential filled in (file paths: see `setParameter`).
 * Example 04 ships with a 2-minute Time Limit for a caller's HTTP client; the tests and the queue
 * bench post larger files to slow simulators and wait for the whole answer, so they get 30 minutes.
 */
export function exampleWorkflow(
	fileName: string,
	id: string,
	credential: StoredCredential,
	postgresCredential?: StoredCredential,
): Workflow {
	const workflow = examples.exampleWorkflow(fileName, {
		id,
		nameSuffix: `(${id})`,
		credential,
		postgresCredential,
	});
	if (fileName.startsWith('04-'))
		Object.assign(findNode(workflow, 'Wait for batches').parameters, { timeLimit: 30 });
	return workflow;
}

export function findNode(workflow: Workflow, name: string): examples.ExampleNode {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (!node) throw new Error(`workflow ${workflow.id} has no node "${name}"`);
	return node;
}

/** Items on output `outputIndex` of a node in the stored run ([] when the node output nothing there). */
export function outputOf(data: N8nRun['data'], nodeName: string, outputIndex = 0): N8nItem[] {
	const runs = data.resultData.runData[nodeName];
	if (!runs || runs.length === 0) return [];
	return runs[runs.length - 1].data?.main?.[outputIndex] ?? [];
}

/** Every run of a node (a node in a loop runs several times). */
export function runsOf(data: N8nRun['data'], nodeName: string): N8nItem[][][] {
	return (data.resultData.runData[nodeName] ?? []).map((run) =>
		(run.data?.main ?? []).map((items) => items ?? []),
	);
}

export function jsonOf(items: N8nItem[]): Array<Record<string, unknown>> {
	return items.map((item) => item.json);
}

export async function sleep(ms: number): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(
	what: string,
	check: () => Promise<T | undefined>,
	timeoutMs: number,
	everyMs = 1000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
		await sleep(everyMs);
	}
}

const FINAL_STATUSES = ['success', 'error', 'crashed', 'canceled'];

/** The workflow's executions once `count` of them have ended (oldest first). */
export async function finishedExecutions(
	cluster: QueueCluster,
	workflowId: string,
	count: number,
	timeoutMs: number,
): Promise<ExecutionSummary[]> {
	return await eventually(
		`${count} finished execution(s) of ${workflowId}`,
		async () => {
			const all = await cluster.executions(workflowId);
			const ended = all.filter((execution) => FINAL_STATUSES.includes(execution.status));
			return ended.length >= count ? ended.sort((a, b) => Number(a.id) - Number(b.id)) : undefined;
		},
		timeoutMs,
	);
}

/** The execution once it has ended (a webhook's answer can come before the last nodes ran). */
export async function finishedExecution(
	cluster: QueueCluster,
	executionId: string,
	timeoutMs = 60_000,
): Promise<StoredExecution> {
	return await eventually(
		`execution ${executionId} to end`,
		async () => {
			const execution = await cluster.execution(executionId);
			return FINAL_STATUSES.includes(execution.status) ? execution : undefined;
		},
		timeoutMs,
	);
}

/** What went wrong in the workflow's newest execution (for a failure message). */
export async function newestExecutionError(
	cluster: QueueCluster,
	workflowId: string,
): Promise<string> {
	const [newest] = (await cluster.executions(workflowId)).sort(
		(a, b) => Number(b.id) - Number(a.id),
	);
	if (!newest) return 'no execution';
	const error = (await cluster.execution(newest.id)).data?.resultData?.error;
	return `execution ${newest.id} (${newest.status}): ${error ? `${error.message} ${error.description ?? ''}` : 'no error'}`;
}

/** Fails with n8n's own explanation (and the cluster's logs) unless the execution succeeded. */
export function expectSucceeded(cluster: QueueCluster, execution: StoredExecution): N8nRun['data'] {
	const error = execution.data?.resultData?.error;
	if (execution.status !== 'success' || error) {
		throw new Error(
			`execution ${execution.id} ended "${execution.status}": ${error ? `${error.message} ${error.description ?? ''}` : 'no error'}\n${cluster.logs(40)}`,
		);
	}
	return execution.data;
}

/**
 * POSTs a file as multipart/form-data (like `curl -F field=@file`); resolves status and parsed
 * body. A 404 "not registered" (the webhook of a workflow activated a moment ago is registered
 * a little later: nothing ran) is retried for up to `registerWaitMs`. `answerTimeoutMs` waits
 * longer than fetch's 300 s for the answer (a webhook that answers when a long import is done).
 */
export async function postFile(
	url: string,
	field: string,
	fileName: string,
	content: Buffer | string,
	{
		mimeType = 'text/csv',
		registerWaitMs = 30_000,
		answerTimeoutMs,
	}: { mimeType?: string; registerWaitMs?: number; answerTimeoutMs?: number } = {},
): Promise<{ status: number; body: any; text: string }> {
	const deadline = Date.now() + registerWaitMs;
	const dispatcher =
		answerTimeoutMs === undefined
			? undefined
			: new Agent({ headersTimeout: answerTimeoutMs, bodyTimeout: answerTimeoutMs });
	try {
		for (;;) {
			const form = new FormData();
			form.append(field, new Blob([content], { type: mimeType }), fileName);
			const response = await fetch(url, {
				method: 'POST',
				body: form,
				...(dispatcher ? { dispatcher } : {}),
			} as RequestInit);
			const text = await response.text();
			if (response.status === 404 && /not registered/.test(text) && Date.now() < deadline) {
				await sleep(500);
				continue;
			}
			let body: unknown;
			try {
				body = JSON.parse(text);
			} catch {
				body = undefined;
			}
			return { status: response.status, body, text };
		}
	} finally {
		await dispatcher?.close();
	}
}
