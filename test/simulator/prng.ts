/**
 * A tiny seeded PRNG (mulberry32) so fault injection and generated ids are reproducible:
 * the same seed and the same call sequence give the same faults.
 */
export interface Prng {
	/** Uniform in [0, 1). */
	next(): number;
	/** `count` lowercase hex digits. */
	hex(count: number): string;
}

export function createPrng(seed: number): Prng {
	let stateWord = seed >>> 0;
	const next = (): number => {
		stateWord = (stateWord + 0x6d2b79f5) >>> 0;
		let t = stateWord;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const hex = (count: number): string => {
		let out = '';
		while (out.length < count) out += Math.floor(next() * 16).toString(16);
		return out;
	};
	return { next, hex };
}
