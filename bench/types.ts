/**
 * The contract between the bench runner (`bench/run.ts`) and bench modules
 * (`bench/*.bench.ts`). A module exports `run(ctx)` and returns its results;
 * the runner prints one line per result and writes bench/results/latest.json.
 */

export type TargetOperator = '>=' | '<=' | '<' | '>';

export interface BenchTarget {
	op: TargetOperator;
	value: number;
}

export interface BenchResult {
	/** Stable name, printed as is: `<name>: <value> ...` */
	name: string;
	value: number;
	/** Printed after the value, e.g. 'MB', 'x', 'rows/s'. */
	unit?: string;
	/** Without a target (or with `reported: true`) the result is printed as "(reported)". */
	target?: BenchTarget;
	reported?: boolean;
	/** Extra numbers worth keeping in the JSON (not printed). */
	details?: Record<string, unknown>;
}

export interface BenchContext {
	/** `--quick`: small sizes for a smoke run; targets still apply but mean less. */
	quick: boolean;
	/** A fresh folder under os.tmpdir() for this module; the runner deletes it afterwards. */
	tmpDir: string;
	/** The repository root (for spawning helper processes). */
	rootDir: string;
	/**
	 * Whether a result with this name was asked for (`--only <substring>`, matched
	 * case-insensitively against the module file name or the result name). Check it
	 * before expensive work; the runner filters the printed results the same way.
	 */
	wants(resultName: string): boolean;
	/** Progress messages: go to stderr, so stdout holds only result lines. */
	log(message: string): void;
}

export type BenchModule = {
	run(ctx: BenchContext): Promise<BenchResult[]>;
};
