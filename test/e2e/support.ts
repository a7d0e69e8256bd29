/**
 * Shared set-up of the end-to-end tests: a real n8n (the line in N8N_E2E_LINE, default 2)
 * with this package installed the way n8n's Community Nodes install does it, a fresh user
 * folder per test file, and the example workflows pointed at the in-process simulator.
 *
 * `scripts/e2e.js` builds and packs the package once and passes the tarball in
 * N8N_E2E_TARBALL; without it (a test file run alone) the package is built and packed here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as examples from '../../scripts/examples';
import * as n8n from '../../scripts/n8n-runtime';
import type {
	ExecuteResult,
	N8nItem,
	N8nRun,
	Runtime,
	RuntimeLine,
	StoredCredential,
} from '../../scripts/n8n-runtime';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator';

export const E2E_LINE: RuntimeLine = process.env.N8N_E2E_LINE === '1' ? '1' : '2';
export const EXAMPLES_DIR = examples.EXAMPLES_DIR;

export type Workflow = examples.ExampleWorkflow;
export type WorkflowNode = examples.ExampleNode;

/** The tarball to install, and whether this process packed it (and so must delete it). */
function packedTarball(): { tarball: string; ownPack: boolean } {
	const given = process.env.N8N_E2E_TARBALL;
	if (given && fs.existsSync(given)) return { tarball: given, ownPack: false };
	return { tarball: n8n.buildAndPack(), ownPack: true };
}

/** One n8n user folder with the package installed; every command runs against it. */
export class N8nInstance {
	private constructor(
		readonly runtime: Runtime,
		readonly userFolder: string,
	) {}

	/**
	 * `line` defaults to N8N_E2E_LINE (the e2e tests); the soak passes its `--line`.
	 * `folderPrefix` names the temporary user folder.
	 */
	static create(options: { line?: RuntimeLine; folderPrefix?: string } = {}): N8nInstance {
		const line = options.line ?? E2E_LINE;
		const runtime = n8n.ensureRuntime(line);
		const userFolder = n8n.createUserFolder(options.folderPrefix ?? `n8n-e2e-line${line}-`);
		const { tarball, ownPack } = packedTarball();
		n8n.installPackage(runtime, userFolder, tarball);
		if (ownPack) fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
		return new N8nInstance(runtime, userFolder);
	}

	async importCredentials(credentials: StoredCredential[]): Promise<void> {
		await n8n.importCredentials(this.runtime, this.userFolder, credentials);
	}

	async importWorkflow(workflow: Workflow): Promise<void> {
		await n8n.importWorkflow(this.runtime, this.userFolder, workflow);
	}

	async execute(workflowId: string, options?: n8n.RunOptions): Promise<ExecuteResult> {
		return await n8n.executeWorkflow(this.runtime, this.userFolder, workflowId, options);
	}

	async storedCredential(id: string): Promise<StoredCredential | undefined> {
		return (await n8n.exportCredentials(this.runtime, this.userFolder)).find(
			(credential) => credential.id === id,
		);
	}

	/** A folder the Read/Write Files node may read (n8n restricts file access to configured folders). */
	dataFile(name: string): string {
		const dir = path.join(this.userFolder, 'data');
		fs.mkdirSync(dir, { recursive: true });
		return path.join(dir, name);
	}

	remove(): void {
		fs.rmSync(this.userFolder, { recursive: true, force: true });
	}
}

/** A Marketo API credential pointing at the simulator (id must be 16 alphanumerics for n8n 1.x). */
export function simulatorCredential(
	simulator: RunningSimulator,
	id: string,
	overrides: Partial<{ clientSecret: string; name: string }> = {},
): StoredCredential {
	return {
		id,
		name: overrides.name ?? `Marketo simulator ${id}`,
		type: 'marketoApi',
		data: {
			restEndpoint: simulator.restUrl,
			identityEndpoint: simulator.identityUrl,
			clientId: simulator.clientId,
			clientSecret: overrides.clientSecret ?? simulator.clientSecret,
		},
	};
}

/**
 * An example workflow ready to import: its own id, the credential and the file path filled in,
 * and the simulator's list and program (`simulatorIds: false` keeps the file's "choose" placeholders).
 */
export function exampleWorkflow(
	fileName: string,
	options: { id: string; credential: StoredCredential; filePath?: string; simulatorIds?: boolean },
): Workflow {
	return examples.exampleWorkflow(fileName, {
		id: options.id,
		nameSuffix: `(${options.id})`,
		credential: options.credential,
		filePath: options.filePath,
		simulatorIds: options.simulatorIds,
	});
}

export function findNode(workflow: Workflow, name: string): WorkflowNode {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (!node) throw new Error(`workflow ${workflow.id} has no node "${name}"`);
	return node;
}

/** Items on output `outputIndex` of a node in the run ([] when the node ran and output nothing there). */
export function outputOf(run: N8nRun | undefined, nodeName: string, outputIndex = 0): N8nItem[] {
	return n8n.nodeOutput(run, nodeName, outputIndex) ?? [];
}

export function jsonOf(items: N8nItem[]): Array<Record<string, unknown>> {
	return items.map((item) => item.json);
}

/** What to print when a run did not go as expected: n8n's error and the tail of its output. */
export function explain(result: ExecuteResult): string {
	const error = result.run?.data.resultData.error;
	const tail = (result.stdout + result.stderr).split('\n').slice(-30).join('\n');
	return `exit ${result.code}; error: ${error ? `${error.message} ${error.description ?? ''}` : 'none'}\n${tail}`;
}

/** Fails with n8n's own explanation unless the run succeeded. */
export function expectSuccess(result: ExecuteResult): N8nRun {
	if (result.code !== 0 || !result.run || result.run.data.resultData.error) {
		throw new Error(`the workflow run failed: ${explain(result)}`);
	}
	return result.run;
}

/** Writes a CSV into the instance's data folder and returns its path. */
export function writeDataFile(instance: N8nInstance, name: string, content: string): string {
	const file = instance.dataFile(name);
	fs.writeFileSync(file, content);
	return file;
}

/** Parses a small CSV without quotes (the example fixtures) into records. */
export function readSimpleCsv(file: string): Array<Record<string, string>> {
	const [header, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
	const columns = header.split(',');
	return rows.map((row) => {
		const cells = row.split(',');
		return Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? '']));
	});
}

/** A simulator and an n8n user folder whose Marketo API credential (`credentialId`) points at it. */
interface SimulatedN8n {
	simulator: RunningSimulator;
	n8n: N8nInstance;
}

/** For a test file's `beforeAll`: starts the simulator, installs the package, adds the credential. */
export async function startSimulatedN8n(
	credentialId: string,
	options: SimulatorOptions,
): Promise<SimulatedN8n> {
	const simulator = await startSimulator(options);
	let n8n: N8nInstance | undefined;
	try {
		n8n = N8nInstance.create();
		await n8n.importCredentials([simulatorCredential(simulator, credentialId)]);
		return { simulator, n8n };
	} catch (error) {
		// The caller never gets these to stop: stop them here.
		await stopSimulatedN8n({ simulator, n8n });
		throw error;
	}
}

/** For `afterAll`: stops what `startSimulatedN8n` started (undefined when `beforeAll` failed). */
export async function stopSimulatedN8n(started: Partial<SimulatedN8n>): Promise<void> {
	await started.simulator?.close();
	started.n8n?.remove();
}

/**
 * For `execute`: the package's clock in that n8n runs `speed` times faster (`fastPacing.js`), so
 * waits of a minute (an extract's status reads) take seconds; n8n itself keeps real time.
 */
export function fastPacingEnv(speed: number): Record<string, string> {
	return {
		MARKETO_E2E_CLOCK_SPEED: String(speed),
		NODE_OPTIONS: `--max-old-space-size=4096 --require ${path.join(__dirname, 'fastPacing.js')}`,
	};
}
