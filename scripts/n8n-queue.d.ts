/** Types for scripts/n8n-queue.js (plain Node.js), so the TypeScript queue-mode tests can use it. */
import type { ExampleWorkflow } from './examples';
import type { CommandResult, N8nRun, Runtime, RuntimeLine, StoredCredential } from './n8n-runtime';
import type { ProcessHandle, Stack } from './queue-stack';

export interface QueueProcess {
	name: string;
	handle: ProcessHandle;
	folder: string;
}

export interface QueueMain extends QueueProcess {
	port: number;
	url: string;
}

export interface QueueWorker extends QueueProcess {
	healthPort: number;
	/** The output of the worker's earlier processes in this folder (restartWorker). */
	previousOutput?: string;
}

/** An execution as n8n's REST API returns it, its run data parsed. */
export interface StoredExecution {
	id: string;
	status: string;
	finished: boolean;
	mode: string;
	waitTill?: string | null;
	startedAt?: string;
	stoppedAt?: string | null;
	data: N8nRun['data'] & { waitTill?: string };
	[key: string]: unknown;
}

export interface ExecutionSummary {
	id: string;
	status: string;
	mode: string;
	startedAt?: string;
	stoppedAt?: string | null;
	waitTill?: string | null;
	[key: string]: unknown;
}

export interface QueueCluster {
	line: RuntimeLine;
	runtime: Runtime;
	stack: Stack;
	dataDir: string;
	folders: { main: string; workers: string[] };
	env: Record<string, string>;
	main: QueueMain;
	workers: QueueWorker[];
	cli(args: string[]): Promise<CommandResult>;
	importCredentials(credentials: StoredCredential[]): Promise<void>;
	importWorkflow(workflow: ExampleWorkflow): Promise<string>;
	start(options?: { readyTimeoutMs?: number }): Promise<QueueCluster>;
	/** Kills worker `index` (0-based) with SIGKILL and starts it again; resolves when it is ready. */
	restartWorker(index: number, options?: { readyTimeoutMs?: number }): Promise<QueueWorker>;
	signIn(): Promise<string>;
	rest(method: string, pathName: string, body?: unknown): Promise<any>;
	activate(workflowId: string): Promise<void>;
	deactivate(workflowId: string): Promise<void>;
	execution(executionId: string): Promise<StoredExecution>;
	executions(workflowId: string): Promise<ExecutionSummary[]>;
	workersThatRan(executionId: string): string[];
	workerStarts(executionId: string): string[];
	enqueuedByMain(executionId: string): boolean;
	logs(lines?: number): string;
	stop(): Promise<void>;
}

export const QUEUE_OWNER: { email: string; password: string; firstName: string; lastName: string };

export function queueEnv(
	line: RuntimeLine,
	stack: Stack,
	dataDir: string,
	extra?: Record<string, string>,
): Record<string, string>;

export function createQueueN8n(options: {
	line?: RuntimeLine;
	tarball: string;
	workers?: number;
	concurrency?: number;
	name?: string;
	echo?: boolean;
	mainPort?: number;
	env?: Record<string, string>;
	owner?: { email: string; password: string; firstName: string; lastName: string };
}): Promise<QueueCluster>;

export function writeSpreadsheet(
	runtime: Runtime,
	rows: Array<Record<string, unknown>>,
	file: string,
	sheetName?: string,
): void;
export function readSpreadsheet(
	runtime: Runtime,
	file: string,
): Record<string, Array<Record<string, unknown>>>;
