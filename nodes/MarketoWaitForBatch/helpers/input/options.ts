import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/** The node's parameters as both modes read them: modes, limits and what to do with results. */

export type WaitMode = 'waitUntilDone' | 'checkOnce';
export type BatchSource = 'input' | 'define';
export type OnTimeLimit = 'error' | 'outputStillRunning';
export type OnFailedBatch = 'error' | 'outputOnDone';

export const DEFAULT_MAX_POLL_INTERVAL_SECONDS = 30;
export const DEFAULT_TIME_LIMIT_MINUTES = 60;

export interface ResultOptions {
	attachResultFiles: boolean;
	countWarningsAsFailed: boolean;
	onFailedBatch: OnFailedBatch;
}

export function readResultOptions(this: IExecuteFunctions): ResultOptions {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	return {
		attachResultFiles: options.attachResultFiles === true,
		countWarningsAsFailed: options.countWarningsAsFailed === true,
		onFailedBatch:
			this.getNodeParameter('onFailedBatch', 0, 'error') === 'outputOnDone'
				? 'outputOnDone'
				: 'error',
	};
}

/**
 * A Failed batch stops the whole node (On Failed Batch "Stop With an Error", no Continue
 * On Fail). The mode then throws failedBatchError with every batch's outcome instead of
 * outputting anything.
 */
export function stopsOnFailedBatch(this: IExecuteFunctions, options: ResultOptions): boolean {
	return options.onFailedBatch === 'error' && !this.continueOnFail();
}
