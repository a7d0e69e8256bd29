import { DescribeCache } from './preflight';
import { SubmittedBatches } from './queueWait';

/** State shared by every item of one execution: describe answers and the batches we put in Marketo's queue. */
export interface ImportSession {
	describeCache: DescribeCache;
	submitted: SubmittedBatches;
}

export function createImportSession(): ImportSession {
	return { describeCache: new DescribeCache(), submitted: new SubmittedBatches() };
}
