import { DescribeCache } from '../plan/preflight';
import { ProgramStatusCache } from '../plan/programChannel';
import { SubmittedBatches } from '../../../shared/jobs/queueWait';

/**
 * State shared by every item of one execution: describe answers, programs' member statuses and
 * the batches we put in Marketo's queue.
 */
export interface ImportSession {
	describeCache: DescribeCache;
	programStatuses: ProgramStatusCache;
	submitted: SubmittedBatches;
}

export function createImportSession(): ImportSession {
	return {
		describeCache: new DescribeCache(),
		programStatuses: new ProgramStatusCache(),
		submitted: new SubmittedBatches(),
	};
}
