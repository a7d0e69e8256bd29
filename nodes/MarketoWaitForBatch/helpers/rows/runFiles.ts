import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import { storedBinaryBytes } from '../../../shared/binaryBytes';
import {
	readAsUtf8,
	type ByteSource,
	type OpenSource,
	type ResolvedEncoding,
} from '../../../shared/csv/encoding';
import { delimiterOf } from '../../../shared/csv/formats';
import type { AwaitedBatch } from '../input/batchSource';
import { SubmittedFileReader, SubmittedFiles } from './submittedFiles';
import { turnOf, type SubmittedPart } from './tieBack';

/** The submitted file as read by Bulk Import (encoding.ts): the offsets of `submittedFile` are in this. */
function openBinary(
	this: IExecuteFunctions,
	binary: IBinaryData,
	encoding: ResolvedEncoding,
): OpenSource {
	const openRaw = async (): Promise<ByteSource> => {
		const bytes = await storedBinaryBytes(this, binary);
		return Buffer.isBuffer(bytes) ? [bytes] : bytes;
	};
	return async () => readAsUtf8(await openRaw(), encoding);
}

/** Result-file downloads of finished batches at the same time, at most (two calls each). */
const DOWNLOADING_AT_ONCE = 2;

/**
 * The submitted parts of one run and what their batches share: one reader per stored
 * file (each byte read at most once, see submittedFiles.ts) and the download slots.
 * Every batch with a part must end in `outputFinishedBatch` or `letGo`; `releaseAll`
 * when the run ends or stops, so no batch waits for a turn that will not come.
 */
export class RunFiles {
	private readonly files = new SubmittedFiles();
	private readonly parts = new Map<AwaitedBatch, SubmittedPart>();
	private readonly downloadSlots = new Slots(DOWNLOADING_AT_ONCE);

	constructor(context: IExecuteFunctions, batches: AwaitedBatch[]) {
		const items = context.getInputData();
		for (const batch of batches) {
			const ref = batch.submittedFile;
			const binary = ref && items[batch.itemIndex]?.binary?.[ref.binaryProperty];
			if (!ref || !binary) continue;
			const open = openBinary.call(context, binary, batch.fileEncoding);
			const delimiter = delimiterOf(batch.format);
			// Only a stored file is worth sharing: an in-memory one costs no reading.
			const reader = binary.id
				? this.files.reader(`${binary.id}|${batch.fileEncoding}|${delimiter}`, open, delimiter)
				: new SubmittedFileReader(open, delimiter);
			const turn = turnOf(ref.dataStart, ref.dataEnd, ref.rowNumbers);
			reader.register(turn);
			this.parts.set(batch, {
				reader,
				delimiter,
				dataStart: ref.dataStart,
				turn,
				dataEnd: ref.dataEnd,
				firstRowNumber: batch.firstRowNumber,
				...(ref.group ? { group: ref.group } : {}),
				...(ref.rowNumbers ? { rowNumbers: ref.rowNumbers } : {}),
			});
		}
	}

	partOf(batch: AwaitedBatch): SubmittedPart | null {
		return this.parts.get(batch) ?? null;
	}

	/** The batch will not tie rows back: the parts after it need not wait for it. */
	letGo(batch: AwaitedBatch): void {
		const part = this.parts.get(batch);
		if (part) part.reader.release(part.turn ?? part.dataStart);
	}

	/** The readers of the run, each once (a stored file's parts share one). */
	private readers(): SubmittedFileReader[] {
		return [...new Set([...this.parts.values()].map((part) => part.reader))];
	}

	releaseAll(): void {
		for (const reader of this.readers()) reader.releaseAll();
	}

	/** The run is over: every file the tie-back opened is closed (closing lets every turn go). */
	async close(): Promise<void> {
		await Promise.all(this.readers().map(async (reader) => await reader.close()));
	}

	async download<T>(work: () => Promise<T>): Promise<T> {
		return await this.downloadSlots.run(work);
	}
}

/** At most `size` pieces of work at a time, the others wait in order. */
class Slots {
	private free: number;
	private readonly queue: Array<() => void> = [];

	constructor(size: number) {
		this.free = size;
	}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.free > 0) this.free--;
		else await new Promise<void>((resolve) => this.queue.push(resolve));
		try {
			return await work();
		} finally {
			const next = this.queue.shift();
			if (next) next();
			else this.free++;
		}
	}
}
