import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { BatchDescriptor } from '../../shared/batch';
import type { ImportTarget } from '../../shared/importTypes';
import type { DescribeCache, HeaderRules } from './preflight';

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
	headerRules(context: IExecuteFunctions, cache: DescribeCache, itemIndex: number): Promise<HeaderRules>;
	/**
	 * The columns that name the record a row upserts (the lookup field; email; a custom
	 * object's dedupe fields, or its id field when the file has that instead), for the
	 * same-key guard between parts.
	 */
	keyColumns(context: IExecuteFunctions, cache: DescribeCache, itemIndex: number, header: string[]): Promise<string[]>;
	/** Items input: item fields that carry a setting (a member status "From a Column"), not data to write */
	settingFields?: string[];
}

export type PlanBuilder = (this: IExecuteFunctions, itemIndex: number) => Promise<ImportPlan> | ImportPlan;
