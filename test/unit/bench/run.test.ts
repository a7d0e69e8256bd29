import { childArgs, formatSpread, parseArgs, summarizeRuns } from '../../../bench/run';

const target = { op: '>=' as const, value: 0.9 };

function recorded(name: string, value: number, run: number, pass: boolean | null) {
	return { name, value, run, pass, module: 'm', target: pass === null ? undefined : target };
}

describe('bench runner: --runs', () => {
	it('reads --runs, and refuses a count that is not a whole number of at least 1', () => {
		expect(parseArgs(['--runs', '3']).runs).toBe(3);
		expect(parseArgs(['--runs=2', '--only', 'e2e']).runs).toBe(2);
		expect(parseArgs([]).runs).toBe(1);
		expect(() => parseArgs(['--runs', '0'])).toThrow('--runs');
		expect(() => parseArgs(['--runs', 'x'])).toThrow('--runs');
	});

	it('gives min, median and max per result, and meets a target only when every run met it', () => {
		const spreads = summarizeRuns([
			recorded('makespan', 0.95, 1, true),
			recorded('memory', 500, 1, null),
			recorded('makespan', 0.88, 2, false),
			recorded('memory', 520, 2, null),
			recorded('makespan', 0.93, 3, true),
			recorded('memory', 480, 3, null),
		]);
		expect(spreads.map((spread) => spread.name)).toEqual(['makespan', 'memory']);
		expect(spreads[0]).toMatchObject({
			min: 0.88,
			median: 0.93,
			max: 0.95,
			values: [0.95, 0.88, 0.93],
			pass: false,
		});
		expect(spreads[1]).toMatchObject({ min: 480, median: 500, max: 520, pass: null });
		expect(formatSpread(spreads[0])).toBe(
			'makespan: min 0.880 / median 0.930 / max 0.950 (target >= 0.9) FAIL',
		);
		expect(formatSpread(spreads[1])).toBe('memory: min 480 / median 500 / max 520 (reported)');
	});

	it('takes the mean of the middle two for an even number of runs', () => {
		const [spread] = summarizeRuns([
			recorded('x', 1, 1, true),
			recorded('x', 4, 2, true),
			recorded('x', 2, 3, true),
			recorded('x', 3, 4, true),
		]);
		expect(spread.median).toBe(2.5);
		expect(formatSpread(spread)).toBe(
			'x: min 1 / median 2.500 / max 4 (target >= 0.9) PASS in every run',
		);
	});
});

describe('bench runner: one process per module', () => {
	it('passes a child its module, outcome file, --quick and --only, and reads them back', () => {
		const options = parseArgs(['--quick', '--only', 'e2e', '--runs', '3']);
		const args = childArgs(options, 'e2e-throughput.bench.ts', '/tmp/x/outcome.json');
		expect(args).toEqual([
			'--module',
			'e2e-throughput.bench.ts',
			'--outcome-file',
			'/tmp/x/outcome.json',
			'--quick',
			'--only',
			'e2e',
		]);
		expect(parseArgs(args)).toMatchObject({
			quick: true,
			only: 'e2e',
			runs: 1,
			module: 'e2e-throughput.bench.ts',
			outcomeFile: '/tmp/x/outcome.json',
		});
		expect(() => parseArgs(['--module', 'a.bench.ts'])).toThrow('--outcome-file');
	});
});
