import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import {
	fetchDescribe,
	LEAD_DESCRIBE_PATH,
	PROGRAM_MEMBER_DESCRIBE_PATH,
	customObjectDescribePath,
	type DescribeRecord,
} from '../../../shared/instance/describe';
import { closestFieldName, type KnownField } from './closestName';

/**
 * Marketo matches header cells to REST field names exactly and does not say
 * "unknown column" - rows just fail one by one, hours later. Checking the
 * header against the instance's describe answers before the upload turns
 * that into an immediate error naming every bad column and the fix.
 */

export interface RequiredColumn {
	/** the requirement is met when the header holds ANY of these columns */
	anyOf: string[];
	/** why Marketo needs it, for the error message */
	why: string;
}

export interface HeaderRules {
	fields: KnownField[];
	required: RequiredColumn[];
}

export interface UnknownColumn {
	column: string;
	/** 1-based position in the header */
	position: number;
	suggestion?: string;
}

export interface HeaderCheck {
	unknown: UnknownColumn[];
	missing: RequiredColumn[];
}

/** Pure: which header cells Marketo would not recognise, and which required columns are absent. */
export function checkHeader(header: string[], rules: HeaderRules): HeaderCheck {
	const valid = new Set(rules.fields.map((field) => field.name));
	const unknown: UnknownColumn[] = [];
	header.forEach((column, index) => {
		// No field list at all (describe answered nothing) proves nothing about the columns.
		if (valid.size === 0 || valid.has(column)) return;
		unknown.push({
			column,
			position: index + 1,
			suggestion: closestFieldName(column, rules.fields),
		});
	});
	const present = new Set(header);
	const missing = rules.required.filter(
		(requirement) => !requirement.anyOf.some((name) => present.has(name)),
	);
	return { unknown, missing };
}

function describeUnknownColumn(problem: UnknownColumn): string {
	const label =
		problem.column.trim() === ''
			? `(empty name, column ${problem.position})`
			: `'${problem.column}'`;
	return problem.suggestion
		? `${label} (did you mean '${problem.suggestion}'?)`
		: `${label} (no similar field)`;
}

/** Pure: the error text for a failed check, or undefined when the header is fine. */
export function formatHeaderProblems(
	check: HeaderCheck,
	subject: string,
): { message: string; description: string } | undefined {
	if (check.unknown.length === 0 && check.missing.length === 0) return undefined;
	const parts: string[] = [];
	let message: string;
	if (check.unknown.length > 0) {
		const names = check.unknown.map((p) => `'${p.column}'`).join(', ');
		message = `${subject} has ${check.unknown.length === 1 ? 'a column' : 'columns'} Marketo does not know: ${names}`;
		parts.push(
			`Unknown columns: ${check.unknown.map(describeUnknownColumn).join(', ')}.`,
			'Header cells must be REST API field names exactly as Marketo spells them (case and spaces matter), not display names.',
		);
	} else {
		message = `${subject} is missing a required column`;
	}
	for (const requirement of check.missing) {
		const options = requirement.anyOf.map((name) => `'${name}'`).join(' or ');
		parts.push(`Missing column ${options}: ${requirement.why}.`);
	}
	parts.push(
		'Fix the header and run again, or turn off "Preflight Check" in the options to upload anyway.',
	);
	return { message, description: parts.join(' ') };
}

export function toKnownFields(record: DescribeRecord | undefined): KnownField[] {
	return (record?.fields ?? [])
		.filter((field) => typeof field.name === 'string' && field.name !== '')
		.map((field) => ({ name: field.name as string, displayName: field.displayName }));
}

/**
 * Describe answers cached for one execution: several items (or parts) checked
 * against the same object cost one call.
 */
export class DescribeCache {
	private readonly answers = new Map<string, Promise<DescribeRecord | undefined>>();

	get(
		context: IExecuteFunctions,
		path: string,
		itemIndex: number,
	): Promise<DescribeRecord | undefined> {
		const cached = this.answers.get(path);
		if (cached) return cached;
		const answer = fetchDescribe(context, path, itemIndex);
		// A failed describe should not poison later items.
		answer.catch(() => this.answers.delete(path));
		this.answers.set(path, answer);
		return answer;
	}
}

/** Import-only lead columns Marketo documents that describe does not list (links to company / sales person). */
export const LEAD_IMPORT_LINK_COLUMNS: KnownField[] = [
	{ name: 'externalCompanyId', displayName: 'External Company Id' },
	{ name: 'externalSalesPersonId', displayName: 'External Sales Person Id' },
];

function mergeFields(...lists: KnownField[][]): KnownField[] {
	const byName = new Map<string, KnownField>();
	for (const list of lists)
		for (const field of list) if (!byName.has(field.name)) byName.set(field.name, field);
	return [...byName.values()];
}

export async function leadHeaderRules(
	context: IExecuteFunctions,
	cache: DescribeCache,
	lookupField: string,
	itemIndex: number,
): Promise<HeaderRules> {
	const leadFields = toKnownFields(await cache.get(context, LEAD_DESCRIBE_PATH, itemIndex));
	const fields = mergeFields(leadFields, LEAD_IMPORT_LINK_COLUMNS);
	const why =
		lookupField === 'email'
			? 'Marketo finds existing leads by the lookup field (email by default)'
			: `the node's Lookup Field is '${lookupField}', so every row needs it to find the lead`;
	return { fields, required: [{ anyOf: [lookupField], why }] };
}

export async function programMemberHeaderRules(
	context: IExecuteFunctions,
	cache: DescribeCache,
	itemIndex: number,
): Promise<HeaderRules> {
	const [lead, member] = await Promise.all([
		cache.get(context, LEAD_DESCRIBE_PATH, itemIndex),
		cache.get(context, PROGRAM_MEMBER_DESCRIBE_PATH, itemIndex),
	]);
	return {
		fields: mergeFields(toKnownFields(lead), toKnownFields(member)),
		required: [
			{ anyOf: ['email'], why: 'a program member import finds or creates each lead by email' },
		],
	};
}

export async function customObjectHeaderRules(
	context: IExecuteFunctions,
	cache: DescribeCache,
	objectApiName: string,
	itemIndex: number,
): Promise<HeaderRules> {
	const record = await cache.get(context, customObjectDescribePath(objectApiName), itemIndex);
	const required: RequiredColumn[] = (record?.dedupeFields ?? []).map((name) => ({
		// The object's id field identifies an existing record just as well.
		anyOf: record?.idField && record.idField !== name ? [name, record.idField] : [name],
		why: `'${name}' is a dedupe field of ${objectApiName}; Marketo matches records by it`,
	}));
	return { fields: toKnownFields(record), required };
}

/**
 * A custom object's record key for the same-key guard: its dedupe fields, or its id field
 * when the file identifies records by id instead.
 */
export async function customObjectKeyColumns(
	context: IExecuteFunctions,
	cache: DescribeCache,
	objectApiName: string,
	itemIndex: number,
	header: string[],
): Promise<string[]> {
	const record = await cache.get(context, customObjectDescribePath(objectApiName), itemIndex);
	const dedupe = record?.dedupeFields ?? [];
	const has = (name: string) =>
		header.some((column) => column.toLowerCase() === name.toLowerCase());
	if (dedupe.length > 0 && dedupe.every(has)) return dedupe;
	return record?.idField && has(record.idField) ? [record.idField] : dedupe;
}

/** Throws a NodeOperationError naming every problem; returns quietly when the header is fine. */
export function assertHeaderMatches(
	context: IExecuteFunctions,
	header: string[],
	rules: HeaderRules,
	subject: string,
	itemIndex: number,
): void {
	const problems = formatHeaderProblems(checkHeader(header, rules), subject);
	if (problems) {
		throw new NodeOperationError(context.getNode(), problems.message, {
			itemIndex,
			description: problems.description,
		});
	}
}
