import type { INodeExecutionData } from 'n8n-workflow';

import type { AwaitedBatch } from '../input/batchSource';

/** Output positions, in the order of `outputNames`. */
export const OUTPUT_DONE = 0;
export const OUTPUT_FAILED_ROWS = 1;
export const OUTPUT_WARNING_ROWS = 2;
export const OUTPUT_NAMES = ['Done', 'Failed Rows', 'Warning Rows'];

/**
 * The three outputs, filled per input item so that the final order follows the input
 * whatever order the batches finish in.
 */
export class OutputCollector {
	private readonly slots: INodeExecutionData[][][];

	constructor(itemCount: number) {
		this.slots = Array.from({ length: itemCount }, () => [[], [], []]);
	}

	add(itemIndex: number, output: number, items: INodeExecutionData[]): void {
		// One by one: a batch's failed rows can number hundreds of thousands, more arguments
		// than a spread into push can take without overflowing the stack.
		const slot = this.slots[itemIndex][output];
		for (const item of items) slot.push(item);
	}

	outputs(): INodeExecutionData[][] {
		return [OUTPUT_DONE, OUTPUT_FAILED_ROWS, OUTPUT_WARNING_ROWS].map((output) =>
			this.slots.flatMap((slot) => slot[output]),
		);
	}
}

export function pairedTo(batch: AwaitedBatch) {
	return { item: batch.itemIndex };
}
