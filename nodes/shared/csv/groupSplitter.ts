/**
 * Splitting a checked file by the values of some of its columns ("group columns":
 * a program member import's status column, or its program and status columns), for
 * imports that take one value per batch. Each group becomes its own sequence of parts;
 * the group columns are left out of what is uploaded.
 *
 * Rows are read as rowFields.ts's `RowViews` hand them out, so row numbers and byte offsets
 * are the splitter's; a row's group is found by groupFields.ts's `GroupMatcher`:
 * - `GroupTally`: the distinct group values, with how many rows hold each and the first few
 *   row numbers (for errors naming rows), before anything is uploaded. Bulk Import tallies
 *   during pass 1 (`planParts`'s `visitRows`), so the file is read twice in all;
 *   `scanGroups` is the same tally in a read of its own;
 * - `cutGroupParts` (the second read): one part writer per group; a part is handed out
 *   as soon as it is full, or, when all writers together hold more than a memory budget,
 *   the fullest one is handed out early. Memory: the budget plus one part.
 *
 * Every part says where its rows are in the file as read: `dataStart` (its first row's
 * start) and `dataEnd` (its last row's end). Rows of other groups lie in between; a
 * reader of that range takes only the rows whose group columns hold the part's values
 * (`groupValueOf`), which is how Wait for Batch ties a failed row to its row number.
 */
import { readAsUtf8, type OpenSource } from './encoding';
import { GroupMatcher, keptRowBytes, withoutFields, writeKeptRow } from './groupFields';
import { CsvFileError } from './fileErrors';
import { LoggedRows, RowLog, RowReader, type RowVisitor } from './rowFields';
import type { SplitPlan } from './splitter';

/**
 * Memory all groups' part writers may hold together before the fullest is handed out
 * early (a smaller part): three statuses each fill a 10 MB part without that happening.
 */
export const DEFAULT_GROUP_BUDGET_BYTES = 32_000_000;

/** Where a checked file's data rows start in the file as read (a BOM counted). */
function dataOffsetOf(plan: SplitPlan): number {
	return (plan.hasBom ? 3 : 0) + plan.headerLine.length;
}

/**
 * A checked file as read after its header line, for a `RowReader`: a row's `position` + 1
 * is its row number (empty lines skipped, as planParts counts them) and
 * `dataOffsetOf(plan)` + its `streamStart` its offset in the file as read.
 */
async function* dataChunks(open: OpenSource, plan: SplitPlan): AsyncGenerator<Buffer> {
	let skip = dataOffsetOf(plan);
	for await (const chunk of readAsUtf8(await open(), plan.encoding)) {
		if (skip >= chunk.length) {
			skip -= chunk.length;
			continue;
		}
		yield skip > 0 ? chunk.subarray(skip) : chunk;
		skip = 0;
	}
}

/** A group: the values its rows hold in the group columns, in the order of the columns. */
export interface GroupSummary {
	values: string[];
	rows: number;
	/** the first few row numbers, for messages */
	firstRows: number[];
}

/** The file has more distinct groups than an import should make batch sequences for. */
export class TooManyGroupsError extends Error {
	constructor(
		readonly limit: number,
		readonly rowNumber: number,
	) {
		super(
			`The file has more than ${limit} different values in its group columns (row ${rowNumber} adds one more)`,
		);
		this.name = 'TooManyGroupsError';
	}
}

/**
 * Most bytes a tally's row log may take (about 3 a row: files up to some 5 million rows);
 * a larger file's pass 2 finds its rows again.
 */
export const DEFAULT_ROW_LOG_BYTES = 16_000_000;

/** Row numbers kept per group for messages. */
export const GROUP_SAMPLE_ROWS = 5;

/**
 * The groups of a checked file's rows, row by row (`visit`, a `RowVisitor` for the data rows):
 * by the values of the columns at `columns` (indices into the header), in the order they first
 * appear. Past `maxGroups` groups it stops counting and `groups()` throws.
 */
export class GroupTally {
	private readonly matcher: GroupMatcher;
	private readonly summaries: GroupSummary[] = [];
	private tooMany: TooManyGroupsError | undefined;
	private readonly log: RowLog | undefined;

	constructor(
		columns: number[],
		delimiter: string,
		private readonly maxGroups: number,
		/**
		 * Also write down where each row is and its group (a `RowLog` of at most this many bytes,
		 * about 3 a row), so `cutGroupParts` need not find the rows again (`loggedRows`).
		 */
		logRowsUpToBytes = 0,
	) {
		this.matcher = new GroupMatcher(columns, delimiter);
		if (logRowsUpToBytes > 0) this.log = new RowLog(logRowsUpToBytes);
	}

	readonly visit: RowVisitor = (bytes, start, contentEnd, position, rowEnd, streamStart) => {
		if (this.tooMany) return;
		const rowNumber = position + 1;
		const index = this.matcher.match(bytes, start, contentEnd);
		this.log?.add(start, contentEnd, rowEnd, streamStart, index);
		let group = this.summaries[index];
		if (group === undefined) {
			if (index >= this.maxGroups) {
				this.tooMany = new TooManyGroupsError(this.maxGroups, rowNumber);
				this.log?.giveUp();
				return;
			}
			group = { values: this.matcher.groups[index], rows: 0, firstRows: [] };
			this.summaries.push(group);
		}
		group.rows++;
		if (group.firstRows.length < GROUP_SAMPLE_ROWS) group.firstRows.push(rowNumber);
	};

	/** The groups of the rows visited; throws TooManyGroupsError when there were too many. */
	groups(): GroupSummary[] {
		if (this.tooMany) throw this.tooMany;
		return [...this.summaries];
	}

	/**
	 * The rows visited and their groups, for `cutGroupParts` to read the same file again without
	 * finding its rows (once; undefined when not logged, or the log outgrew its bytes).
	 */
	loggedRows(): { log: RowLog; groups: string[][] } | undefined {
		if (this.log === undefined || !this.log.complete || this.tooMany) return undefined;
		return { log: this.log, groups: this.matcher.groups };
	}
}

/** One read of a checked file: its groups (see `GroupTally`). */
export async function scanGroups(
	open: OpenSource,
	plan: SplitPlan,
	columns: number[],
	maxGroups: number,
): Promise<GroupSummary[]> {
	const tally = new GroupTally(columns, plan.delimiter, maxGroups);
	const rows = new RowReader(plan.delimiter);
	for await (const chunk of dataChunks(open, plan)) rows.read(chunk, tally.visit);
	rows.finish(tally.visit);
	return tally.groups();
}

export interface GroupPartOptions {
	/** indices of the group columns in the header */
	columns: number[];
	/** largest part, header included */
	maxPartBytes: number;
	/** most bytes all part writers may hold together before the fullest is handed out early */
	memoryBudgetBytes: number;
	/**
	 * Give a handed-out part's memory to a writer again once the next part is asked for (while
	 * every group's writer fits a whole part in the budget): a yielded `body` is then valid only
	 * until then (use it, upload it, copy it). Memory then stays at one buffer per group and one in
	 * flight, with no garbage waiting for a collection. Default false.
	 */
	reusePartBuffers?: boolean;
	/**
	 * The tally pass 1 made of this file with its rows logged: its rows and groups are read from
	 * the log instead of being found again (the same rows, so the same parts; quicker). When its
	 * log is incomplete the rows are found as without it.
	 */
	tally?: GroupTally;
}

/** One part of one group, as uploaded (`body`), and where its rows are in the file as read. */
export interface GroupPart {
	/** 0-based position among all parts handed out */
	index: number;
	/** the group's values, in the order of `columns` */
	values: string[];
	/** 0-based position among the group's parts */
	groupPart: number;
	rows: number;
	/** row number of the part's first row in the file */
	firstRowNumber: number;
	/** start of the part's first row and end of its last row (line break included) in the file as read */
	dataStart: number;
	dataEnd: number;
	/** the header line without the group columns, then the part's rows without them */
	body: Buffer;
}

/** Pure: the header line without the fields at `dropped`. */
export function headerWithout(plan: SplitPlan, dropped: number[]): Buffer {
	const line = plan.headerLine;
	let contentEnd = line.length;
	while (contentEnd > 0 && (line[contentEnd - 1] === 0x0a || line[contentEnd - 1] === 0x0d))
		contentEnd--;
	return withoutFields(line, 0, contentEnd, line.length, dropped, plan.delimiter).row;
}

/** A new part starts in a buffer this small (an eighth of a part at most); it moves to a part-size one once it outgrows it. */
const FIRST_BUFFER_BYTES = 1024 * 1024;

/**
 * A group's part being filled: the header, then rows written straight into one buffer, and
 * handed out as a view of it (no copy). A new part starts in a small buffer and moves to a
 * part-size one (a recycled one when there is) once it outgrows it: groups that fill at the
 * same pace hand out their parts in the same chunk, and their next rows must not need a
 * part-size buffer each before the handed-out ones come back.
 */
class PartWriter {
	/** where `reserve` makes room */
	buffer: Buffer | undefined;
	private fill = 0;
	/** bytes of rows (the header not counted) */
	size = 0;
	rows = 0;
	firstRowNumber = 0;
	dataStart = 0;
	dataEnd = 0;
	parts = 0;

	constructor(
		readonly values: string[],
		private readonly header: Buffer,
		/** a buffer of the largest part's size */
		private readonly allocate: () => Buffer,
		private readonly maxPartBytes: number,
		/** a part-size buffer that came back, if one is free (no fresh pages to fault in) */
		private readonly recycled: () => Buffer | undefined = () => undefined,
	) {}

	/** Room for `size` more bytes in `buffer`: where to write. */
	reserve(size: number): number {
		if (this.buffer === undefined) {
			const small = Math.min(FIRST_BUFFER_BYTES, Math.ceil(this.maxPartBytes / 8));
			const first = Math.min(this.maxPartBytes, Math.max(small, this.header.length + size));
			this.buffer = this.recycled() ?? Buffer.allocUnsafe(first);
			this.fill = this.header.copy(this.buffer, 0);
		}
		if (this.fill + size > this.buffer.length) {
			const larger = this.allocate();
			this.buffer.copy(larger, 0, 0, this.fill);
			this.buffer = larger;
		}
		const at = this.fill;
		this.fill += size;
		return at;
	}

	/** Counts a row just written (`size` bytes) into the part. */
	added(size: number, fileOffset: number, fileRowEnd: number, rowNumber: number): void {
		if (this.rows === 0) {
			this.firstRowNumber = rowNumber;
			this.dataStart = fileOffset;
		}
		this.rows++;
		this.dataEnd = fileRowEnd;
		this.size += size;
	}

	/** The part, and the buffer it is a view of. */
	take(index: number): { part: GroupPart; buffer: Buffer } {
		const buffer = this.buffer as Buffer;
		const part: GroupPart = {
			index,
			values: this.values,
			groupPart: this.parts++,
			rows: this.rows,
			firstRowNumber: this.firstRowNumber,
			dataStart: this.dataStart,
			dataEnd: this.dataEnd,
			body: buffer.subarray(0, this.fill),
		};
		this.buffer = undefined;
		this.size = 0;
		this.rows = 0;
		return { part, buffer };
	}
}

/**
 * One read of a checked file, handing out each group's parts as they fill: the header
 * line and rows without the group columns, each part at most `maxPartBytes`.
 */
export async function* cutGroupParts(
	open: OpenSource,
	plan: SplitPlan,
	options: GroupPartOptions,
): AsyncGenerator<GroupPart, void, undefined> {
	const matcher = new GroupMatcher(options.columns, plan.delimiter);
	const { sorted, spans } = matcher;
	const header = headerWithout(plan, sorted);
	const maxRowBytes = options.maxPartBytes - header.length;
	/** by group, in the order of `matcher.groups` */
	const writers: PartWriter[] = [];
	const ready: Array<{ part: GroupPart; buffer: Buffer }> = [];
	const free: Buffer[] = [];
	const allocate = () => free.pop() ?? Buffer.allocUnsafe(options.maxPartBytes);
	let held = 0;
	let index = 0;

	const handOut = (writer: PartWriter) => {
		held -= writer.size;
		ready.push(writer.take(index++));
	};
	const delimiterByte = plan.delimiter.charCodeAt(0);
	const dataOffset = dataOffsetOf(plan);
	const logged = options.tally?.loggedRows();
	const groupValues = logged?.groups ?? matcher.groups;

	/** Writes a row into its group's part; the row's pieces are in `matcher.spans`. */
	const place = (
		group: number,
		bytes: Buffer,
		start: number,
		contentEnd: number,
		position: number,
		rowEnd: number,
		streamStart: number,
	) => {
		let writer = writers[group];
		if (writer === undefined) {
			writer = new PartWriter(groupValues[group], header, allocate, options.maxPartBytes, () =>
				free.pop(),
			);
			writers[group] = writer;
		}
		const fieldCount = matcher.fieldCount;
		const { size, emptyRow } = keptRowBytes(spans, fieldCount, sorted, rowEnd - contentEnd);
		if (writer.rows > 0 && writer.size + size > maxRowBytes) handOut(writer);
		const at = writer.reserve(size);
		writeKeptRow(
			bytes,
			spans,
			fieldCount,
			sorted,
			contentEnd,
			rowEnd,
			delimiterByte,
			emptyRow,
			writer.buffer as Buffer,
			at,
		);
		const fileOffset = dataOffset + streamStart;
		writer.added(size, fileOffset, fileOffset + rowEnd - start, position + 1);
		held += size;
		if (held > options.memoryBudgetBytes) {
			let fullest = writer;
			for (const candidate of writers) if (candidate.size > fullest.size) fullest = candidate;
			handOut(fullest);
		}
	};
	const visit: RowVisitor = (bytes, start, contentEnd, position, rowEnd, streamStart) => {
		const group = matcher.match(bytes, start, contentEnd);
		place(group, bytes, start, contentEnd, position, rowEnd, streamStart);
	};
	async function* handReady(): AsyncGenerator<GroupPart, void, undefined> {
		// A buffer's written pages stay memory while it lives: recycle one only while every group's
		// writer can hold a whole part within the budget, else let it go (the budget then bounds memory).
		const recycle = (buffer: Buffer) => {
			const reuse =
				options.reusePartBuffers === true &&
				writers.length * options.maxPartBytes <= options.memoryBudgetBytes;
			if (reuse && buffer.length === options.maxPartBytes && free.length < writers.length)
				free.push(buffer);
		};
		for (const { part, buffer } of ready.splice(0)) {
			yield part;
			recycle(buffer);
		}
	}
	if (logged) {
		// The rows pass 1 found, from its log: only the group columns are looked for again.
		const rows = new LoggedRows(logged.log, plan.headerLine.length);
		const visitLogged: RowVisitor = (bytes, start, contentEnd, position, rowEnd, streamStart) => {
			matcher.pieces(bytes, start, contentEnd);
			place(rows.tag, bytes, start, contentEnd, position, rowEnd, streamStart);
		};
		let read = dataOffset;
		for await (const chunk of dataChunks(open, plan)) {
			read += chunk.length;
			rows.read(chunk, visitLogged);
			yield* handReady();
		}
		if (!rows.finish() || read !== plan.totalBytes) {
			throw new CsvFileError(
				'file-changed',
				`The file changed while it was being imported (${read} bytes now, ${plan.totalBytes} when it was checked)`,
			);
		}
	} else {
		const rows = new RowReader(plan.delimiter);
		for await (const chunk of dataChunks(open, plan)) {
			rows.read(chunk, visit);
			// A full part is uploaded before the next chunk is read: memory stays at the budget.
			yield* handReady();
		}
		rows.finish(visit);
	}
	const rest = writers
		.filter((writer) => writer.rows > 0)
		.sort((a, b) => a.dataStart - b.dataStart);
	for (const writer of rest) handOut(writer);
	yield* handReady();
}
