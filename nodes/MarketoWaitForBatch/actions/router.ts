import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import * as checkOnce from './checkOnce.operation';
import type { WaitMode } from '../helpers/input/options';
import * as waitUntilDone from './waitUntilDone.operation';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const mode = this.getNodeParameter('mode', 0, 'waitUntilDone') as WaitMode;
	return mode === 'checkOnce'
		? await checkOnce.execute.call(this)
		: await waitUntilDone.execute.call(this);
}
