/**
 * Member Status from a column reads the file twice (issue 23): pass 1 checks it and tallies the
 * statuses in the same read, then the parts are cut. Before, a read of its own tallied them.
 * Counted where n8n hands out the stored binary (filesystem mode, as n8n 2.x stores files).
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';

import {
	descriptorsOf,
	fileItem,
	PROGRAM_1002_STATUS_FROM_COLUMN,
	runBulkImport,
	useFakeClock,
	useSimulator,
} from './support';

const clock = useFakeClock();
const sim = useSimulator({ rowsPerSecond: 1e6, clock });

/** 2,000 registrants, three statuses taking turns: about 100 KB, more than the encoding's look at its head. */
const REGISTRANTS = [
	'email,firstName,status,webinarQuestion',
	...Array.from(
		{ length: 2_000 },
		(_, i) =>
			`r${i}@example.com,Name ${i},${['Registered', 'Attended', 'No Show'][i % 3]},"Question ${i}, and more words to make a row"`,
	),
	'',
].join('\n');

it('reads the whole file twice: once to check it and tally the statuses, once to cut the parts', async () => {
	const input = await fileItem(REGISTRANTS, 'registrants.csv');
	const service = Container.get(BinaryDataService);
	const reads = jest.spyOn(service, 'getAsStream');
	try {
		const result = await runBulkImport(sim(), PROGRAM_1002_STATUS_FROM_COLUMN, [input]);

		expect(descriptorsOf(result).map((d) => [d.programMemberStatus, d.rows])).toEqual([
			['Registered', 667],
			['Attended', 667],
			['No Show', 666],
		]);
		// Three opens: the first bytes (to choose the encoding), pass 1, the cut.
		expect(reads).toHaveBeenCalledTimes(3);
	} finally {
		reads.mockRestore();
	}
});
