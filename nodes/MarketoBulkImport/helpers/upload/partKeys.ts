/**
 * The same-key guard's reading of rows: which record a row touches, as a compact hash. Two
 * batches that upsert the same lead (program member, custom-object record) must not run in
 * Marketo's two lanes at once: Adobe warns that concurrent upserts with the same key can
 * create duplicates. A row's record key is its lookup value (email for program members, the
 * dedupe fields for custom objects); it is kept as two 32-bit hashes only. Two records whose
 * keys hash alike are treated as one: that costs a wait that was not needed, never an overlap
 * (with 64 bits, about once in a million 1 GB files).
 */
import { parseDelimited } from '../../../shared/csv/parser';
import { findUnquotedField, type FieldBounds } from '../../../shared/csv/rowFields';

/**
 * Pure: the indices of `keyColumns` in `header`, or null when one is missing (then nothing
 * identifies a row's record, and Marketo fails such rows itself).
 */
export function keyColumnIndices(header: string[], keyColumns: string[]): number[] | null {
	if (keyColumns.length === 0) return null;
	const indices = keyColumns.map((column) =>
		header.findIndex((name) => name.toLowerCase() === column.toLowerCase()),
	);
	return indices.every((index) => index >= 0) ? indices : null;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** The second hash: the same walk with other constants (murmur's multiplier), mixed at the end. */
const SECOND_OFFSET = 0x9747b28c;
const SECOND_PRIME = 0x5bd1e995;

function finishSecond(hash: number): number {
	let h = hash ^ (hash >>> 15);
	h = Math.imul(h, 0x2c1b3c6d);
	return (h ^ (h >>> 12)) >>> 0;
}

function isAsciiSpace(byte: number): boolean {
	return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

/** 0 stands for "no key": a hash that happens to be 0 is folded onto 1 (one more collision). */
function nonZero(hash: number): number {
	return hash >>> 0 || 1;
}

/**
 * Pure: the two hashes of key values as Marketo compares them: without regard to case or
 * surrounding spaces (folding can only make two keys look equal: a wait, never a missed
 * overlap); [0, 0] when every value is empty (such a row names no record).
 */
export function hashesOfKeyValues(values: string[]): [number, number] {
	const normalized = values.map((value) => value.trim().toLowerCase());
	if (normalized.every((value) => value === '')) return [0, 0];
	const bytes = Buffer.from(normalized.join('\u0000'), 'utf8');
	let hash = FNV_OFFSET;
	let second = SECOND_OFFSET;
	for (let i = 0; i < bytes.length; i++) {
		hash = Math.imul(hash ^ bytes[i], FNV_PRIME);
		second = Math.imul(second ^ bytes[i], SECOND_PRIME);
	}
	return [nonZero(hash), finishSecond(second)];
}

/**
 * Reads record keys from rows' bytes without making a string per row: an unquoted ASCII
 * value is hashed in place, folded as `hashOfKeyValues` folds it (same hash); a quoted or
 * non-ASCII value sends the row through the parser.
 */
export class RecordKeyReader {
	/** the second hash of the row `hashOf` read last */
	second = 0;
	private readonly field: FieldBounds = { start: 0, end: 0 };
	private readonly delimiterByte: number;

	constructor(
		private readonly delimiter: string,
		private readonly indices: number[],
	) {
		this.delimiterByte = delimiter.charCodeAt(0);
	}

	/**
	 * The first key hash of the row whose content is bytes [start, end), 0 when it names no
	 * record; its second hash is then in `second` (no array made per row).
	 */
	hashOf(bytes: Buffer, start: number, end: number): number {
		const { field, indices } = this;
		let hash = FNV_OFFSET;
		let second = SECOND_OFFSET;
		let empty = true;
		for (let k = 0; k < indices.length; k++) {
			if (!findUnquotedField(bytes, start, end, indices[k], this.delimiterByte, field))
				return this.parsedHash(bytes, start, end);
			let from = field.start;
			let to = field.end;
			while (from < to && isAsciiSpace(bytes[from])) from++;
			while (to > from && isAsciiSpace(bytes[to - 1])) to--;
			if (k > 0) {
				// the separator, a 0 byte
				hash = Math.imul(hash, FNV_PRIME);
				second = Math.imul(second, SECOND_PRIME);
			}
			for (let i = from; i < to; i++) {
				let byte = bytes[i];
				if (byte >= 0x80) return this.parsedHash(bytes, start, end);
				if (byte >= 0x41 && byte <= 0x5a) byte += 0x20;
				hash = Math.imul(hash ^ byte, FNV_PRIME);
				second = Math.imul(second ^ byte, SECOND_PRIME);
			}
			if (to > from) empty = false;
		}
		this.second = empty ? 0 : finishSecond(second);
		return empty ? 0 : nonZero(hash);
	}

	private parsedHash(bytes: Buffer, start: number, end: number): number {
		const fields =
			parseDelimited(bytes.toString('utf8', start, end), this.delimiter, {
				atFileStart: false,
			})[0] ?? [];
		const [hash, second] = hashesOfKeyValues(this.indices.map((index) => fields[index] ?? ''));
		this.second = second;
		return hash;
	}
}

/** Most keys seen more than once the table tracks; past it, parts wait for each other whole. */
export const MAX_REPEATED_KEYS = 1 << 20;
const SMALLEST_SEEN_BITS = 1 << 16;
const LARGEST_SEEN_BITS = 1 << 27;

/** Pure: bits of the "seen once" filter for a file of `bytes` (16 MB at most, for a 1 GB file). */
export function seenBitsFor(bytes: number): number {
	let bits = SMALLEST_SEEN_BITS;
	while (bits < bytes / 4 && bits < LARGEST_SEEN_BITS) bits *= 2;
	return bits;
}

/** "No part" in the table's part columns (parts are stored as index + 1). */
const NO_PART = 0;

/**
 * The record keys a file holds more than once, in bounded memory: a first reading marks every
 * key hash in a bit filter and keeps in a table only those whose bit was already set (every
 * repeated key, plus a few that merely share a bit: those cost an unneeded wait). The table
 * then records, per kept key, the first part that holds it and the last part that took its rows.
 * Memory: the filter (at most 16 MB) and 12 bytes per table slot (at most 24 MB).
 */
export class RepeatedKeys {
	private seen: Uint8Array | null;
	private readonly seenMask: number;
	private keys = new Uint32Array(1 << 12);
	private seconds = new Uint32Array(1 << 12);
	private first = new Uint16Array(1 << 12);
	private last = new Uint16Array(1 << 12);
	size = 0;
	/** more repeated keys than MAX_REPEATED_KEYS: nothing per key is known, parts go one after the other */
	overflowed = false;

	constructor(
		seenBits: number,
		private readonly maxKeys = MAX_REPEATED_KEYS,
	) {
		this.seen = new Uint8Array(seenBits >>> 3);
		this.seenMask = seenBits - 1;
	}

	/** First reading: one row's key hashes (0: no key). */
	see(hash: number, second: number): void {
		if (hash === 0 || this.overflowed || this.seen === null) return;
		const bit = (Math.imul(hash, 0x9e3779b1) >>> 0) & this.seenMask;
		const mask = 1 << (bit & 7);
		if ((this.seen[bit >>> 3] & mask) === 0) {
			this.seen[bit >>> 3] |= mask;
			return;
		}
		if (this.slotOf(hash, second) >= 0) return;
		if (this.size >= this.maxKeys) {
			this.overflowed = true;
			this.keys = new Uint32Array(0);
			this.seconds = new Uint32Array(0);
			this.first = new Uint16Array(0);
			this.last = new Uint16Array(0);
			return;
		}
		this.insert(hash, second);
	}

	/** The first reading is over: the filter is let go. */
	doneSeeing(): void {
		this.seen = null;
	}

	private home(hash: number): number {
		return (Math.imul(hash, 0x85ebca6b) >>> 0) & (this.keys.length - 1);
	}

	/** The table slot of a repeated key, -1 when the key is held once in the whole file. */
	slotOf(hash: number, second: number): number {
		if (hash === 0 || this.keys.length === 0) return -1;
		const mask = this.keys.length - 1;
		for (let slot = this.home(hash); ; slot = (slot + 1) & mask) {
			const key = this.keys[slot];
			if (key === hash && this.seconds[slot] === second) return slot;
			if (key === 0) return -1;
		}
	}

	private insert(hash: number, second: number): void {
		if ((this.size + 1) * 2 > this.keys.length) this.grow();
		const mask = this.keys.length - 1;
		let slot = this.home(hash);
		while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
		this.keys[slot] = hash;
		this.seconds[slot] = second;
		this.size++;
	}

	/** Only while seeing: the part columns are still empty. */
	private grow(): void {
		const old = this.keys;
		const oldSeconds = this.seconds;
		this.keys = new Uint32Array(old.length * 2);
		this.seconds = new Uint32Array(old.length * 2);
		this.first = new Uint16Array(old.length * 2);
		this.last = new Uint16Array(old.length * 2);
		this.size = 0;
		for (let slot = 0; slot < old.length; slot++)
			if (old[slot] !== 0) this.insert(old[slot], oldSeconds[slot]);
	}

	/** The first part (0-based) holding the key in `slot`, or null before any does. */
	firstPartOf(slot: number): number | null {
		const part = this.first[slot];
		return part === NO_PART ? null : part - 1;
	}

	/** Records `part` as the first holding the key in `slot`, when none is yet. */
	claimFirst(slot: number, part: number): void {
		if (this.first[slot] === NO_PART) this.first[slot] = part + 1;
	}

	/** The last part (0-based) that took rows of the key in `slot`, or null. */
	lastPartOf(slot: number): number | null {
		const part = this.last[slot];
		return part === NO_PART ? null : part - 1;
	}

	setLastPart(slot: number, part: number): void {
		this.last[slot] = part + 1;
	}
}
