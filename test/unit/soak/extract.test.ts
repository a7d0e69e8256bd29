import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { N8nRun } from '../../../scripts/n8n-runtime';
import {
	WRITE_NODE,
	accountExtract,
	extractOutputFile,
	planExtract,
} from '../../../scripts/soak/extract';
import type { RunningSimulator } from '../../simulator';
import { createPrng } from '../../simulator/prng';

const HEADER = 'id,email\n';
const FILES: Record<string, string> = {
	// The later window's job completed first: One File must still follow window order.
	late: `${HEADER}3,c@x.com\n4,d@x.com\n`,
	early: `${HEADER}1,a@x.com\n2,b@x.com\n`,
};

function simulator(extraJobs: Array<{ exportId: string; status: string }> = []): RunningSimulator {
	return {
		clientId: 'soak-client',
		state: {
			extractJobs: [
				...extraJobs.map((job) => ({ ...job, owner: 'soak-client' })),
				{ exportId: 'late', owner: 'soak-client', status: 'Completed' },
				{ exportId: 'failed', owner: 'soak-client', status: 'Failed' },
				{ exportId: 'early', owner: 'soak-client', status: 'Completed' },
				{ exportId: 'theirs', owner: 'foreign', status: 'Completed' },
			],
			extractFile: (id: string) => Buffer.from(FILES[id]),
		},
	} as unknown as RunningSimulator;
}

function written(jobs: string[][]): N8nRun {
	const items = jobs.map((ids) => ({ json: { jobs: ids.map((exportId) => ({ exportId })) } }));
	return {
		data: {
			resultData: {
				runData: { [WRITE_NODE]: [{ startTime: 0, executionTime: 1, data: { main: [items] } }] },
			},
		},
	} as N8nRun;
}

describe('soak extract accounting', () => {
	let dir: string;
	beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-extract-'))));
	afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
	const ids = { firstId: 1, lastId: 4 };

	it('One File: the jobs joined in window order, header once, every record once', () => {
		fs.writeFileSync(
			extractOutputFile(dir, 0),
			`${HEADER}1,a@x.com\n2,b@x.com\n3,c@x.com\n4,d@x.com\n`,
		);
		const account = accountExtract(simulator(), ids, written([['late', 'early']]), dir);
		expect(account).toMatchObject({
			records: 4,
			recordsOut: 4,
			recordsLost: 0,
			recordsDuplicated: 0,
			filesNotIdentical: 0,
			jobs: 3,
			failedJobs: 1,
		});
	});

	it('a record twice, one missing, or the windows out of order are each caught', () => {
		fs.writeFileSync(
			extractOutputFile(dir, 0),
			`${HEADER}1,a@x.com\n2,b@x.com\n2,b@x.com\n4,d@x.com\n`,
		);
		expect(accountExtract(simulator(), ids, written([['late', 'early']]), dir)).toMatchObject({
			recordsLost: 1,
			recordsDuplicated: 1,
			filesNotIdentical: 1,
		});
		fs.writeFileSync(
			extractOutputFile(dir, 0),
			`${HEADER}3,c@x.com\n4,d@x.com\n1,a@x.com\n2,b@x.com\n`,
		);
		expect(accountExtract(simulator(), ids, written([['late', 'early']]), dir)).toMatchObject({
			recordsLost: 0,
			filesNotIdentical: 1,
		});
	});

	it("a killed execution's completed job is no part of the re-run's file", () => {
		FILES.killed = FILES.early;
		fs.writeFileSync(
			extractOutputFile(dir, 0),
			`${HEADER}1,a@x.com\n2,b@x.com\n3,c@x.com\n4,d@x.com\n`,
		);
		const sim = simulator([{ exportId: 'killed', status: 'Completed' }]);
		const account = accountExtract(sim, ids, written([['early', 'late']]), dir);
		expect(account).toMatchObject({ filesNotIdentical: 0, recordsDuplicated: 0, recordsLost: 0 });
		expect(account.notes).toEqual(['completed jobs in no output: killed']);
	});

	it('One File per Job: each file equal to its own job, byte for byte', () => {
		fs.writeFileSync(extractOutputFile(dir, 0), FILES.late);
		fs.writeFileSync(extractOutputFile(dir, 1), FILES.early.replace('a@x', 'A@x'));
		const account = accountExtract(simulator(), ids, written([['late'], ['early']]), dir);
		expect(account).toMatchObject({ files: 2, filesNotIdentical: 1, recordsLost: 0 });
	});

	it('a run that wrote no file loses every record and says why', () => {
		const account = accountExtract(simulator(), ids, undefined, dir, 'n8n did not answer');
		expect(account).toMatchObject({ recordsLost: 4, error: 'n8n did not answer' });
	});

	it('plans several windows and only faults a run can recover from', () => {
		for (let seed = 1; seed <= 50; seed++) {
			const plan = planExtract(createPrng(seed));
			expect(plan.days).toBeGreaterThan(31);
			expect(
				plan.downloadFaults.filter((f) => f.answer.kind === 'corrupt').length,
			).toBeLessThanOrEqual(1);
			const calls = plan.downloadFaults.map((f) => f.onDownloadCall);
			expect(new Set(calls).size).toBe(calls.length);
		}
	});
});
