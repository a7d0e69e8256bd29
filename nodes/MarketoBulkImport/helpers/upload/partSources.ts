import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { SubmittedGroup } from '../../../shared/batch';
import { cutParts, type FilePart, type SplitPlan } from '../../../shared/csv/splitter';
import {
	cutGroupParts,
	DEFAULT_GROUP_BUDGET_BYTES,
	headerWithout,
	scanGroups,
	TooManyGroupsError,
	type GroupSummary,
	type GroupTally,
} from '../../../shared/csv/groupSplitter';
import { toNodeError } from '../../../shared/nodeErrors';
import type { ImportPlan, PlanGrouping } from '../plan/importPlan';
import type { ProgramStatusCache } from '../plan/programChannel';
import type { FileToImport } from './types';

/**
 * Where an import's parts come from: the file cut into parts as it is, or (Member Status /
 * Program "From a Column") the file's rows grouped by those columns, each group cut into its
 * own parts with its own plan.
 */

/** A part ready to upload, with the plan it goes by (a group's own, when settings come from columns). */
export type PlannedPart = FilePart & { plan: ImportPlan; group?: SubmittedGroup };

/** Most distinct groups a file may make (more means the wrong column was chosen). */
export const MAX_GROUPS = 200;

export interface PartSource {
	parts: AsyncIterable<PlannedPart>;
	/** the header line as uploaded */
	headerBytes: number;
	header: string[];
	/** whether parts may share keys with a neighbour (more than one part) */
	manyParts: boolean;
}

async function* plainParts(
	open: FileToImport['open'],
	splitPlan: SplitPlan,
	plan: ImportPlan,
	reuse: boolean,
) {
	for await (const part of cutParts(open, splitPlan, { reusePartBuffer: reuse }))
		yield { ...part, plan };
}

/** The parts to upload and what the upload loop needs to know about them. */
export async function partSourceOf(
	context: IExecuteFunctions,
	programs: ProgramStatusCache,
	plan: ImportPlan,
	file: FileToImport,
	splitPlan: SplitPlan,
	maxPartBytes: number,
	itemIndex: number,
	/** the groups pass 1 tallied (`lookBeforeUpload`), if it did */
	tallied?: GroupTally,
): Promise<PartSource> {
	if (plan.grouping)
		return await groupedParts(
			context,
			programs,
			plan,
			file,
			splitPlan,
			maxPartBytes,
			itemIndex,
			tallied,
		);
	return {
		parts: plainParts(file.open, splitPlan, plan, !file.keepPartBodies),
		headerBytes: splitPlan.headerLine.length,
		header: splitPlan.header,
		manyParts: splitPlan.parts.length > 1,
	};
}

/** Pure: the indices of the group columns in the header (exact name first, then ignoring case and spaces). */
export function groupColumnIndices(header: string[], names: string[]): Array<number | undefined> {
	return names.map((name) => {
		const exact = header.indexOf(name);
		if (exact !== -1) return exact;
		const wanted = name.trim().toLowerCase();
		const loose = header.findIndex((column) => column.trim().toLowerCase() === wanted);
		return loose === -1 ? undefined : loose;
	});
}

/** The indices of a grouped import's columns in the header; stops, naming them, when one is missing. */
export function findGroupColumns(
	context: IExecuteFunctions,
	grouping: PlanGrouping,
	file: FileToImport,
	header: string[],
	itemIndex: number,
): number[] {
	const found = groupColumnIndices(
		header,
		grouping.columns.map((column) => column.name),
	);
	const missing = grouping.columns.filter((_, k) => found[k] === undefined);
	if (missing.length > 0) {
		const names = missing.map((column) => `'${column.name}'`).join(' and ');
		throw new NodeOperationError(context.getNode(), `${file.subject} has no column ${names}`, {
			itemIndex,
			description:
				`${missing.map((column) => `${column.parameter} is set to "From a Column" with the column '${column.name}'`).join('; ')}, ` +
				`but the header has: ${header.map((name) => `'${name}'`).join(', ')}. Enter the column's header exactly, ` +
				'or add the column to the file. Nothing was uploaded.',
		});
	}
	return found as number[];
}

/**
 * A grouped import's groups, as pass 1 tallied them or else in one read of the file; stops
 * when there are too many of them.
 */
export async function readGroups(
	context: IExecuteFunctions,
	grouping: PlanGrouping,
	file: FileToImport,
	splitPlan: SplitPlan,
	columns: number[],
	itemIndex: number,
	tallied?: GroupTally,
): Promise<GroupSummary[]> {
	let groups;
	try {
		groups = tallied
			? tallied.groups()
			: await scanGroups(file.open, splitPlan, columns, MAX_GROUPS);
	} catch (error) {
		if (!(error instanceof TooManyGroupsError))
			throw toNodeError(context.getNode(), error, itemIndex);
		const names = grouping.columns.map((column) => `'${column.name}'`).join(' and ');
		throw new NodeOperationError(
			context.getNode(),
			`${file.subject}: ${names} ${grouping.columns.length === 1 ? 'has' : 'have'} more than ${MAX_GROUPS} different values`,
			{
				itemIndex,
				description: `Each different value becomes its own batches; row ${error.rowNumber} brings value number ${MAX_GROUPS + 1}. Check that ${names} is the right column. Nothing was uploaded.`,
			},
		);
	}
	return groups;
}

/**
 * A grouped import's parts: finds the group columns, takes the groups (tallied by pass 1), lets
 * the plan refuse bad values, then cuts each group's parts (one more pass, streaming).
 */
async function groupedParts(
	context: IExecuteFunctions,
	programs: ProgramStatusCache,
	plan: ImportPlan,
	file: FileToImport,
	splitPlan: SplitPlan,
	maxPartBytes: number,
	itemIndex: number,
	tallied: GroupTally | undefined,
): Promise<PartSource> {
	const grouping = plan.grouping as PlanGrouping;
	const columns = findGroupColumns(context, grouping, file, splitPlan.header, itemIndex);
	const groups = await readGroups(context, grouping, file, splitPlan, columns, itemIndex, tallied);
	await grouping.check(context, programs, groups, itemIndex, file.subject);
	const sorted = [...columns].sort((a, b) => a - b);
	const header = splitPlan.header.filter((_, index) => !sorted.includes(index));
	async function* parts(): AsyncGenerator<PlannedPart> {
		for await (const part of cutGroupParts(file.open, splitPlan, {
			columns,
			maxPartBytes,
			memoryBudgetBytes: DEFAULT_GROUP_BUDGET_BYTES,
			// Each part is uploaded (or copied, when deferred) before the next is asked for.
			reusePartBuffers: !file.keepPartBodies,
			tally: tallied,
		})) {
			yield {
				index: part.index,
				rows: part.rows,
				firstRowNumber: part.firstRowNumber,
				dataStart: part.dataStart,
				dataEnd: part.dataEnd,
				body: part.body,
				plan: grouping.planFor(part.values),
				group: { columns, values: part.values },
			};
		}
	}
	return {
		parts: parts(),
		headerBytes: headerWithout(splitPlan, sorted).length,
		header,
		manyParts: groups.length > 1 || splitPlan.parts.length > 1,
	};
}
