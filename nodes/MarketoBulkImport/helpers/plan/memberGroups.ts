import { NodeOperationError } from 'n8n-workflow';

import { GROUP_SAMPLE_ROWS, type GroupSummary } from '../../../shared/csv/groupSplitter';
import { closestFieldName } from './closestName';
import { parseMarketoId } from './ids';
import type { ImportPlan, PlanGrouping } from './importPlan';
import type { ChannelStatuses } from './programChannel';

/**
 * Program member imports whose Member Status (and Program) come from columns of the file.
 * Marketo takes one program and one status per import job, so the rows are grouped by
 * those values and each group gets its own batches. A status Marketo does not know for
 * the program fails the whole job (1025) and a program that does not exist fails it too
 * (1013): both are checked for every group before the first upload, so a bad row refuses
 * the file with nothing uploaded instead of stopping it half way.
 */

/** Pure: "rows 3, 7 and 12", "row 4", "rows 3, 7, 12, 15, 20 and 14 more" ("items ..." for Items input). */
export function describeRows(
	group: Pick<GroupSummary, 'rows' | 'firstRows'>,
	noun: RowNoun = 'row',
): string {
	const listed = group.firstRows.join(', ');
	if (group.rows === 1) return `${noun} ${listed}`;
	const more = group.rows - group.firstRows.length;
	return more > 0
		? `${noun}s ${listed} and ${more} more`
		: `${noun}s ${listed.replace(/, (\d+)$/, ' and $1')}`;
}

/** What a group's `firstRows` count: rows of the file, or (Items input) input items. */
export type RowNoun = 'row' | 'item';

/** Where a grouping value is written: a column of the file, or (Items input) a field of each item. */
function placeOf(spec: MemberGroupingSpec): string {
	return spec.rowNoun === 'item' ? 'field' : 'column';
}

function quoted(value: string): string {
	return value === '' ? '(empty)' : `'${value}'`;
}

export interface MemberGroupingSpec {
	/** the status column, when Member Status is "From a Column" */
	statusColumn?: string;
	/** the program column, when Program is "From a Column" */
	programColumn?: string;
	/** the program chosen in the node, when Program is fixed */
	fixedProgramId?: number;
	/** the status chosen in the node, when Member Status is fixed */
	fixedStatus?: string;
	/** Items input: the groups' `firstRows` are item indices */
	rowNoun?: RowNoun;
}

interface Problem {
	message: string;
	fix: string;
}

/**
 * The grouping of a program member import: `planFor(programId, status)` makes the plan
 * of one group.
 */
export function memberGrouping(
	spec: MemberGroupingSpec,
	planFor: (programId: number, programMemberStatus: string) => ImportPlan,
): PlanGrouping {
	const columns: PlanGrouping['columns'] = [];
	if (spec.programColumn !== undefined)
		columns.push({ name: spec.programColumn, parameter: 'Program' });
	if (spec.statusColumn !== undefined)
		columns.push({ name: spec.statusColumn, parameter: 'Member Status' });
	const settingsOf = (values: string[]) => {
		let at = 0;
		const program = spec.programColumn !== undefined ? values[at++] : String(spec.fixedProgramId);
		const status = spec.statusColumn !== undefined ? values[at++] : (spec.fixedStatus ?? '');
		return { program, status };
	};

	return {
		columns,
		planFor(values) {
			const { program, status } = settingsOf(values);
			return planFor(parseMarketoId(program) as number, status);
		},
		async check(context, programs, groups, itemIndex, subject) {
			const statusesOf = async (programId: number) =>
				await programs.statusesOf(context, programId, itemIndex);

			const problems: Problem[] = [];
			const badPrograms = new Map<string, GroupSummary[]>();
			const badStatuses = new Map<number, Array<{ status: string; group: GroupSummary }>>();
			for (const group of groups) {
				const { program, status } = settingsOf(group.values);
				const programId = parseMarketoId(program);
				const known = programId === undefined ? undefined : await statusesOf(programId);
				if (known === undefined) {
					badPrograms.set(program, [...(badPrograms.get(program) ?? []), group]);
					continue;
				}
				// A fixed status is checked too: with Program from a column, each program's channel may lack it.
				if (!known.statuses.includes(status)) {
					const id = programId as number;
					badStatuses.set(id, [...(badStatuses.get(id) ?? []), { status, group }]);
				}
			}

			for (const [program, list] of badPrograms) {
				const rows = describeRows(
					{
						rows: list.reduce((sum, g) => sum + g.rows, 0),
						firstRows: list
							.flatMap((g) => g.firstRows)
							.sort((a, b) => a - b)
							.slice(0, GROUP_SAMPLE_ROWS),
					},
					spec.rowNoun,
				);
				problems.push({
					message:
						program === ''
							? `no program in ${placeOf(spec)} '${spec.programColumn}' (${rows})`
							: parseMarketoId(program) === undefined
								? `program ${quoted(program)} in ${placeOf(spec)} '${spec.programColumn}' is not a program ID (${rows})`
								: `program ${program} in ${placeOf(spec)} '${spec.programColumn}' was not found (${rows})`,
					fix: `Column '${spec.programColumn}' must hold the numeric ID of an existing program (the number in the program's URL, or its ID from the Program dropdown); check that the API user has the Read-Only Assets permission.`,
				});
			}
			for (const [programId, list] of badStatuses) {
				const known = (await statusesOf(programId)) as ChannelStatuses;
				const described = list
					.map(({ status, group }) => {
						const suggestion =
							status === ''
								? undefined
								: closestFieldName(
										status,
										known.statuses.map((name) => ({ name })),
									);
						return `${quoted(status)} (${describeRows(group, spec.rowNoun)})${suggestion ? `, did you mean '${suggestion}'?` : ''}`;
					})
					.join('; ');
				problems.push({
					message: `${list.length === 1 ? 'a Member Status' : 'Member Statuses'} program ${programId} does not have: ${described}`,
					fix: `Program ${programId} (channel '${known.channel}') has these statuses: ${known.statuses.map((name) => `'${name}'`).join(', ')}. ${
						spec.statusColumn !== undefined
							? `Write one of them, exactly so, in ${placeOf(spec)} '${spec.statusColumn}' of every ${spec.rowNoun ?? 'row'}.`
							: `Choose a Member Status every program in ${placeOf(spec)} '${spec.programColumn}' has, or take Member Status from a ${placeOf(spec)} too.`
					}`,
				});
			}
			if (problems.length === 0) return;
			throw new NodeOperationError(
				context.getNode(),
				`${subject} has rows Marketo would refuse: ${problems.map((p) => p.message).join('; ')}`,
				{
					itemIndex,
					description: `${problems.map((p) => p.fix).join(' ')} Fix those rows (or remove them) and run again. Nothing was uploaded.`,
				},
			);
		},
	};
}
