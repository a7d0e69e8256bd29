import { describePlan, expectedParts, planRun } from '../../../scripts/soak/plan';

describe('soak plans', () => {
	it('are the same for the same seed and run, whatever the other runs', () => {
		expect(planRun(7, 3)).toEqual(planRun(7, 3));
		expect(planRun(7, 3)).not.toEqual(planRun(8, 3));
		expect(planRun(7, 3)).not.toEqual(planRun(7, 6));
	});

	it('take the examples in turn and keep every fault within the run', () => {
		const plans = Array.from({ length: 60 }, (_, index) => planRun(1, index + 1));
		expect(plans.slice(0, 5).map((plan) => plan.example)).toEqual(['01', 'ex', '03', '02', '01']);
		for (const plan of plans) {
			const parts = expectedParts(plan);
			if (plan.createFault) expect(plan.createFault.onCreateCall).toBeLessThanOrEqual(parts);
			if (plan.failBatchAtCreateCall) expect(plan.failBatchAtCreateCall).toBeLessThanOrEqual(parts);
			if (plan.rateBurst?.code === '606') expect(plan.rateBurst.times).toBeLessThanOrEqual(2);
			expect(plan.rowsPerSecond).toBeGreaterThan(0);
			expect(describePlan(plan).length).toBeGreaterThan(0);
		}
		// Over 60 runs every kind of fault shows up.
		expect(plans.some((plan) => plan.createFault)).toBe(true);
		expect(plans.some((plan) => plan.rateBurst)).toBe(true);
		expect(plans.some((plan) => plan.revokeTokensAtApiCall)).toBe(true);
		expect(plans.some((plan) => plan.tokenLifetimeSeconds < 3600)).toBe(true);
		expect(plans.some((plan) => plan.foreignJobs)).toBe(true);
		expect(plans.some((plan) => plan.failBatchAtCreateCall)).toBe(true);
		expect(
			plans.some((plan) => plan.continueOnFail) && plans.some((plan) => !plan.continueOnFail),
		).toBe(true);
	});

	it('give the extract runs their own faults, and kill workers only in queue mode', () => {
		const plans = Array.from({ length: 80 }, (_, index) => planRun(1, index + 1));
		const extracts = plans.flatMap((plan) => (plan.extract ? [plan.extract] : []));
		expect(extracts).toHaveLength(20);
		expect(plans.every((plan) => (plan.example === 'ex') === (plan.extract !== undefined))).toBe(
			true,
		);
		expect(extracts.some((x) => x.downloadFaults.some((f) => f.answer.kind === 'truncate'))).toBe(
			true,
		);
		expect(extracts.some((x) => x.downloadFaults.some((f) => f.answer.kind === 'corrupt'))).toBe(
			true,
		);
		expect(extracts.some((x) => x.foreignJobs)).toBe(true);
		expect(extracts.some((x) => x.failJobAtEnqueue)).toBe(true);
		expect(extracts.some((x) => x.days > 62)).toBe(true);
		// A token dying during the minute between status reads.
		expect(plans.some((plan) => plan.extract && plan.tokenLifetimeSeconds < 60)).toBe(true);
		expect(plans.some((plan) => plan.killWorkerAtApiCall)).toBe(false);
		const queued = Array.from({ length: 20 }, (_, index) => planRun(1, index + 1, { queue: true }));
		expect(queued.some((plan) => plan.killWorkerAtApiCall)).toBe(true);
		// The rest of a plan does not depend on the mode.
		const { killWorkerAtApiCall: _kill, ...rest } = queued[0];
		expect(rest).toEqual(planRun(1, 1));
	});

	it('split example 03 into several parts', () => {
		const plan = planRun(1, 3);
		expect(plan.example).toBe('03');
		expect(expectedParts(plan)).toBeGreaterThanOrEqual(3);
	});
});
