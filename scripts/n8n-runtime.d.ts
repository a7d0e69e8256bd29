/** Types for scripts/n8n-runtime.js (plain Node.js), so the TypeScript e2e tests and bench can use it. */
import type { ChildProcess } from 'node:child_process';

export type RuntimeLine = '1' | '2';

export interface Runtime {
	line: RuntimeLine;
	version: string;
	dir: string;
	nodeDir: string;
	nodeBin: string;
	n8nBin: string;
	marker: string;
}

export interface CommandResult {
	code: number;
	stdout: string;
	stderr: string;
}

export interface RunOptions {
	env?: Record<string, string>;
	timeoutMs?: number;
	onSpawn?: (child: ChildProcess) => void;
}

/** n8n's IRun as `n8n execute --rawOutput` prints it (only the parts the tests read are typed). */
export interface N8nItem {
	json: Record<string, unknown>;
	binary?: Record<string, unknown>;
	pairedItem?: unknown;
}
export interface N8nTaskData {
	startTime: number;
	executionTime: number;
	executionStatus?: string;
	error?: { message?: string; description?: string | null; [key: string]: unknown };
	data?: { main: Array<N8nItem[] | null> };
}
export interface N8nRun {
	status?: string;
	finished?: boolean;
	startedAt?: string;
	stoppedAt?: string;
	data: {
		resultData: {
			runData: Record<string, N8nTaskData[]>;
			error?: {
				message?: string;
				description?: string | null;
				node?: { name?: string };
				[key: string]: unknown;
			};
			lastNodeExecuted?: string;
		};
	};
}

export interface ExecuteResult extends CommandResult {
	run: N8nRun | undefined;
}

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface RunningN8n {
	url: string;
	port: number;
	child: ChildProcess;
	output(): string;
	stop(): Promise<void>;
}

export const REPO_ROOT: string;
export const PACKAGE_NAME: string;
export const E2E_ENCRYPTION_KEY: string;
export const RUNTIME_LINES: Record<
	RuntimeLine,
	{ version: string; nativeModules: string[]; overrides?: Record<string, string> }
>;

export function describeRuntime(line?: string): Runtime;
export function ensureRuntime(line?: string): Runtime;
export function buildAndPack(options?: { skipBuild?: boolean }): string;
export function createUserFolder(prefix?: string): string;
export function installPackage(runtime: Runtime, userFolder: string, tarball: string): string;
export function n8nEnv(
	runtime: Runtime,
	userFolder: string,
	extra?: Record<string, string>,
): NodeJS.ProcessEnv;
export function runN8n(
	runtime: Runtime,
	userFolder: string,
	args: string[],
	options?: RunOptions,
): Promise<CommandResult>;
export function importCredentials(
	runtime: Runtime,
	userFolder: string,
	credentials: StoredCredential[],
): Promise<void>;
export function importWorkflow(
	runtime: Runtime,
	userFolder: string,
	workflow: { id: string; [key: string]: unknown },
): Promise<string>;
export function exportCredentials(
	runtime: Runtime,
	userFolder: string,
): Promise<StoredCredential[]>;
export function executeWorkflow(
	runtime: Runtime,
	userFolder: string,
	workflowId: string,
	options?: RunOptions,
): Promise<ExecuteResult>;
export function parseExecuteOutput(stdout: string): N8nRun | undefined;
export function nodeOutput(
	run: N8nRun | undefined,
	nodeName: string,
	outputIndex?: number,
): N8nItem[] | undefined;
export function startN8n(
	runtime: Runtime,
	userFolder: string,
	options?: {
		port?: number;
		env?: Record<string, string>;
		readyTimeoutMs?: number;
		echo?: boolean;
	},
): Promise<RunningN8n>;
export function findFreePort(): Promise<number>;
export function killAllChildren(): void;

export interface RestAnswer {
	status: number;
	body: unknown;
	cookie?: string;
}
export function restRequest(
	baseUrl: string,
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
	pathName: string,
	options?: { body?: unknown; cookie?: string },
): Promise<RestAnswer>;
export function signInOwner(
	baseUrl: string,
	owner: { email: string; password: string; firstName: string; lastName: string },
): Promise<string>;
