/**
 * Runs a node in-process with n8n-core's real execution context: real parameter resolution,
 * real HTTP helpers (httpRequestWithAuthentication through n8n's credentials flow) and real
 * binary data storage in filesystem mode, which is n8n 2.x's default. No n8n server needed.
 */
import './env';

import { Container } from '@n8n/di';
import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { BinaryDataService, ExecuteContext, FileLocation, LoadOptionsContext } from 'n8n-core';
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteData,
	INode,
	INodeExecutionData,
	INodeListSearchResult,
	INodeParameters,
	INodePropertyOptions,
	ResourceMapperFields,
	INodeType,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { Workflow, createEmptyRunExecutionData } from 'n8n-workflow';

import { HarnessCredentialsHelper } from './credentialsHelper';
import { HarnessCredentialTypes, SingleNodeTypes } from './registry';

export { HarnessCredentialsHelper } from './credentialsHelper';

const WORKFLOW_ID = 'harness-workflow';
const NODE_TYPE_PREFIX = 'harness.';

let binaryDataReady: Promise<void> | undefined;

/** n8n-core's binary helpers fetch this singleton from the DI container; it must be initialised once. */
async function ensureBinaryDataService(): Promise<BinaryDataService> {
	const service = Container.get(BinaryDataService);
	binaryDataReady ??= service.init();
	await binaryDataReady;
	return service;
}

interface NodeUnderTest {
	typeName: string;
	node: INode;
	workflow: Workflow;
	additionalData: IWorkflowExecuteAdditionalData;
	credentialsHelper: HarnessCredentialsHelper;
}

interface BuildOptions {
	node: INodeType;
	parameters: INodeParameters;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	continueOnFail?: boolean;
	extraCredentialTypes?: ICredentialType[];
	/**
	 * The workflow's static data, as n8n keeps it between executions: pass the same object to
	 * two runs and the second sees what the first saved.
	 */
	staticData?: IDataObject;
	/** the node's type version (default: its latest), as a workflow saved with an older version has it */
	typeVersion?: number;
}

function latestVersion(nodeType: INodeType): number {
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

function buildNodeUnderTest(opts: BuildOptions): NodeUnderTest {
	const typeName = NODE_TYPE_PREFIX + opts.node.description.name;
	const credentialTypes = new HarnessCredentialTypes(opts.extraCredentialTypes);
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, opts.credentials ?? {});
	const nodeCredentials = Object.fromEntries(
		Object.keys(opts.credentials ?? {}).map((type) => [
			type,
			{ id: `cred-${type}`, name: `${type} account` },
		]),
	);
	const node: INode = {
		id: randomUUID(),
		name: opts.node.description.displayName,
		type: typeName,
		typeVersion: opts.typeVersion ?? latestVersion(opts.node),
		position: [0, 0],
		parameters: opts.parameters,
		credentials: nodeCredentials,
		...(opts.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
	// The Workflow constructor fills the node's parameter defaults from its description, like n8n.
	const workflow = new Workflow({
		id: WORKFLOW_ID,
		name: 'Harness',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new SingleNodeTypes(typeName, opts.node),
		settings: { executionOrder: 'v1' },
		...(opts.staticData ? { staticData: opts.staticData } : {}),
	});
	const additionalData = {
		credentialsHelper,
		executionId: `harness-${randomUUID()}`,
		currentNodeExecutionIndex: 0,
		currentNodeParameters: opts.parameters,
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		formBaseUrl: 'http://127.0.0.1/form',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1/form-test',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		mcpBaseUrl: 'http://127.0.0.1/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1/mcp-test',
		variables: {},
		logAiEvent: () => {},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		executeWorkflow: async () => {
			throw new Error('Harness: sub-workflows are not supported');
		},
		startRunnerTask: async () => {
			throw new Error('Harness: task runners are not supported');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
	return {
		typeName,
		node: workflow.getNode(node.name) ?? node,
		workflow,
		additionalData,
		credentialsHelper,
	};
}

function assertEveryItemIsPaired(outputs: INodeExecutionData[][], nodeName: string): void {
	outputs.forEach((items, outputIndex) =>
		items.forEach((item, itemIndex) => {
			if (item.pairedItem === undefined) {
				throw new Error(
					`Harness: ${nodeName} output ${outputIndex} item ${itemIndex} has no pairedItem (n8n Cloud rejects this)`,
				);
			}
		}),
	);
}

export interface RunNodeOptions extends BuildOptions {
	input: INodeExecutionData[];
	abortSignal?: AbortSignal;
}

export interface RunNodeResult {
	outputs: INodeExecutionData[][];
	/** Every credential write n8n would persist, in order (e.g. a refreshed access token). */
	credentialUpdates: ICredentialDataDecryptedObject[];
}

export async function runNode(opts: RunNodeOptions): Promise<RunNodeResult> {
	await ensureBinaryDataService();
	if (typeof opts.node.execute !== 'function')
		throw new Error('Harness: this node type has no execute()');
	const { node, workflow, additionalData, credentialsHelper } = buildNodeUnderTest(opts);
	const inputData = { main: [opts.input] };
	const executeData: IExecuteData = { node, data: inputData, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'manual',
		createEmptyRunExecutionData(),
		0,
		opts.input,
		inputData,
		executeData,
		[],
		opts.abortSignal,
	);
	const result = await opts.node.execute.call(context);
	if (result !== null && !Array.isArray(result)) {
		throw new Error(
			'Harness: the node asked the engine for sub-node work (EngineRequest), which is not supported',
		);
	}
	const outputs = (result ?? []).map((items: INodeExecutionData[] | null) => items ?? []);
	assertEveryItemIsPaired(outputs, node.name);
	return { outputs, credentialUpdates: credentialsHelper.updates };
}

interface MethodOptions {
	node: INodeType;
	methodName: string;
	parameters: INodeParameters;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
}

function loadOptionsContextFor(opts: MethodOptions): LoadOptionsContext {
	const { node, workflow, additionalData } = buildNodeUnderTest(opts);
	return new LoadOptionsContext(workflow, node, additionalData, `parameters.${opts.methodName}`);
}

export async function loadOptions(opts: MethodOptions): Promise<INodePropertyOptions[]> {
	const method = opts.node.methods?.loadOptions?.[opts.methodName];
	if (!method) throw new Error(`Harness: no loadOptions method "${opts.methodName}"`);
	return await method.call(loadOptionsContextFor(opts));
}

export async function resourceMapping(opts: MethodOptions): Promise<ResourceMapperFields> {
	const method = opts.node.methods?.resourceMapping?.[opts.methodName];
	if (!method) throw new Error(`Harness: no resourceMapping method "${opts.methodName}"`);
	return await method.call(loadOptionsContextFor(opts));
}

export async function listSearch(
	opts: MethodOptions & { filter?: string; paginationToken?: string },
): Promise<INodeListSearchResult> {
	const method = opts.node.methods?.listSearch?.[opts.methodName];
	if (!method) throw new Error(`Harness: no listSearch method "${opts.methodName}"`);
	return await method.call(loadOptionsContextFor(opts), opts.filter, opts.paginationToken);
}

/**
 * Stores bytes the way n8n 2.x does by default (filesystem mode): the item gets a `binary.id`
 * and no inline data, so a node must read it with getBinaryStream / getBinaryDataBuffer.
 * `data` as a string is a file path, streamed so large fixtures never sit in memory twice.
 */
export async function createBinary(
	data: Buffer | string,
	fileName: string,
	mimeType: string,
): Promise<IBinaryData> {
	const service = await ensureBinaryDataService();
	const content: Buffer | Readable = typeof data === 'string' ? createReadStream(data) : data;
	const extension = extname(fileName).replace(/^\./, '');
	const binaryData: IBinaryData = {
		data: '',
		mimeType,
		fileName,
		...(extension ? { fileExtension: extension } : {}),
	};
	return await service.store(
		FileLocation.ofExecution(WORKFLOW_ID, 'harness-input'),
		content,
		binaryData,
	);
}

export async function readBinary(binary: IBinaryData): Promise<Buffer> {
	const service = await ensureBinaryDataService();
	if (binary.id) return await service.getAsBuffer(binary);
	return Buffer.from(binary.data, 'base64');
}

/** The subset of a running simulator the credential needs (kept structural: no import of the simulator). */
export interface SimulatorEndpoints {
	restUrl: string;
	clientId: string;
	clientSecret: string;
}

export function simulatorCredentials(sim: SimulatorEndpoints): ICredentialDataDecryptedObject {
	return { restEndpoint: sim.restUrl, clientId: sim.clientId, clientSecret: sim.clientSecret };
}
