/** Types for scripts/queue-stack.js (plain Node.js). */
import type { ChildProcess } from 'node:child_process';

export interface ProcessHandle {
	name: string;
	child: ChildProcess;
	pid: number;
	output(): string;
	exited: Promise<{ code: number | null; signal: string | null }>;
	hasExited(): boolean;
	exitInfo(): { code: number | null; signal: string | null } | undefined;
	stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface Stack {
	dir: string;
	redis: { host: string; port: number };
	postgres: { host: string; port: number; user: string; password: string; database: string };
	processes(): ProcessHandle[];
	stop(): Promise<void>;
}

export interface Servers {
	redisServer: string;
	pgBin: string;
}

export const RUNS_DIR: string;
export function ensureServers(): Servers;
export function startStack(options?: { name?: string }): Promise<Stack>;
export function startProcess(
	name: string,
	command: string,
	args: string[],
	options?: {
		env?: Record<string, string | undefined>;
		cwd?: string;
		logFile?: string;
		uid?: number;
		gid?: number;
		onOutput?: (chunk: string) => void;
	},
): ProcessHandle;
export function registerProcess(runDir: string, pid: number, match: string): void;
export function findFreePort(): Promise<number>;
export function cleanUpAbandonedRuns(): void;
export function isAlive(pid: number): boolean;
