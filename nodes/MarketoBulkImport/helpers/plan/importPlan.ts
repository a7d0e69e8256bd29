import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { BatchDescriptor } from '../../../shared/batch';
import type { ImportTarget } from '../../../shared/importTypes';
import type { GroupSummary } from '../../../shared/csv/groupSplitter';
import type { DescribeCache, HeaderRules } from './preflight';
import type { ProgramStatusCache } from './programChannel';

/** The target fields a BatchDescriptor carries, depending on the import type. */
export type TargetFields = Pick<
	BatchDescriptor,
	'objectApiName' | 'programId' | 'programMemberStatus' | 'lookupField' | 'listId' | 'partitionName'
>;

/**
 * What an operation decides from its parameters for one input item: where
 * the file goes, which query parameters the create call takes, and how to
 * check the header. Everything else (reading, splitting, uploading, waiting
 * for queue slots) is the same for the three import types.
 */
export interface ImportPlan {
	target: ImportTarget;
	/** create-import query parameters besides `format` */
	query: IDataObject;
	targetFields: TargetFields;
	/** "leads", "program members of program 1001", ... for messages */
	label: string;
	headerRules(
		context: IExecuteFunctions,
		cache: DescribeCache,
		itemIndex: number,
	): Promise<HeaderRules>;
	/**
	 * The columns that name the record a row upserts (the lookup field; email; a custom
	 * object's dedupe fields, or its id field when the file has that instead), for the
	 * same-key guard between parts.
	 */
	keyColumns(
		context: IExecuteFunctions,
		cache: DescribeCache,
		itemIndex: number,
		header: string[],
	): Promise<string[]>;
	/** Items input: item fields that carry a setting (a member status "From a Column"), not data to write */
	settingFields?: string[];
	/**
	 * Set when some settings come from columns of the file (Member Status, Program "From a
	 * Column"): the rows are grouped by those columns' values and each group is imported
	 * with its own plan. Binary File input only.
	 */
	grouping?: PlanGrouping;
	/**
	 * Items input with settings read from item fields: this item's values of the grouping
	 * columns, and the check every group's values go through before the first upload.
	 */
	itemSettingsCheck?: { values: string[]; check: PlanGrouping['check'] };
}

/** Settings read from columns of the file: one batch sequence per distinct combination of values. */
export interface PlanGrouping {
	/** the columns, in the order `planFor` and `check` take their values */
	columns: Array<{ name: string; parameter: string }>;
	/**
	 * Refuses values Marketo would reject (an unknown status, a program that does not exist),
	 * naming the rows, before anything is uploaded. `programs`: the execution's statuses read so far.
	 */
	check(
		context: IExecuteFunctions,
		programs: ProgramStatusCache,
		groups: GroupSummary[],
		itemIndex: number,
		subject: string,
	): Promise<void>;
	/** the plan of one group, from its values */
	planFor(values: string[]): ImportPlan;
}

export type PlanBuilder = (
	this: IExecuteFunctions,
	itemIndex: number,
) => Promise<ImportPlan> | ImportPlan;
