/**
 * Validate Only: everything an import does before its first upload (the look-before-upload
 * pass, the preflight check, the program's member statuses), plus a prediction for every row
 * from the field types Marketo describes, and no upload. Its items are a summary and, for each
 * row that would fail or warn, the same item Wait for Batch puts on Failed Rows / Warning Rows
 * (`toRowJson`), with `_marketo.batchId` null: no batch was made.
 */
import {
	NodeOperationError,
	type IBinaryKeyData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IPairedItemData,
} from 'n8n-workflow';

import { readAsUtf8 } from '../../../shared/csv/encoding';
import { createRowReader } from '../../../shared/csv/parser';
import { toRowJson, type ResultRowKind } from '../../../shared/rowItems';
import { toNodeError } from '../../../shared/nodeErrors';
import type { ImportPlan } from '../plan/importPlan';
import { checkHeader, formatHeaderProblems } from '../plan/preflight';
import {
	customObjectDescribePath,
	LEAD_DESCRIBE_PATH,
	PROGRAM_MEMBER_DESCRIBE_PATH,
} from '../../../shared/instance/describe';
import type { ChannelStatuses } from '../plan/programChannel';
import {
	fieldTypesOf,
	mapColumns,
	predictRow,
	type FieldType,
	type MappedColumn,
	type RowRules,
} from './rowChecks';
import type { ImportSession } from '../run/importSession';
import { effectiveMaxPartBytes, lookBeforeUpload } from '../upload/lookBeforeUpload';
import { findGroupColumns, readGroups } from '../upload/partSources';
import type { FileToImport, SubmitSettings } from '../upload/types';

/** Something that would stop the import before its first upload. */
export interface Refusal extends IDataObject {
	message: string;
	description: string;
}

/**
 * What stops the import before its first upload is a NodeOperationError with a message and a
 * fix: Validate Only reports it as a refusal instead of stopping. Anything else still throws.
 */
function toRefusal(context: IExecuteFunctions, error: unknown, itemIndex: number): Refusal {
	if (!(error instanceof NodeOperationError))
		throw toNodeError(context.getNode(), error, itemIndex);
	return { message: error.message, description: error.description ?? '' };
}

/** Runs one of the import's checks; what would stop the import comes back as a refusal. */
export async function refusalOf(
	context: IExecuteFunctions,
	itemIndex: number,
	check: () => Promise<void>,
): Promise<Refusal | undefined> {
	try {
		await check();
		return undefined;
	} catch (error) {
		return toRefusal(context, error, itemIndex);
	}
}

/** What the rules cannot decide for this import, said to the user instead of guessed. */
interface RowRulesWithLimits {
	rules: RowRules;
	notPredicted: string[];
}

/** Lead columns Marketo documents for imports that describe2 does not list: links to a company / sales person. */
const LEAD_LINK_COLUMNS = ['externalCompanyId', 'externalSalesPersonId'];

function linkField(name: string): FieldType {
	return { name, displayName: name, dataType: 'string', updateable: true };
}

/** Pure: the notes about columns whose values Marketo's verdict depends on, not on the file. */
export function columnNotes(columns: MappedColumn[]): string[] {
	const notes: string[] = [];
	const unknown = columns
		.filter((column) => column.field === undefined)
		.map((column) => `'${column.header}'`);
	if (unknown.length > 0) {
		notes.push(
			`Columns no field of Marketo's has (${unknown.join(', ')}): what Marketo does with them is undocumented, so their values are not checked.`,
		);
	}
	const caseDiffers = columns.filter((column) => column.caseDiffers);
	if (caseDiffers.length > 0) {
		notes.push(
			`Columns that match a field only when case is ignored (${caseDiffers
				.map((column) => `'${column.header}' for '${column.field?.name}'`)
				.join(
					', ',
				)}) are checked as that field, as Marketo reads Adobe's own example file; the Preflight Check refuses them unless it is turned off.`,
		);
	}
	return notes;
}

async function rowRulesFor(
	context: IExecuteFunctions,
	session: ImportSession,
	plan: ImportPlan,
	header: string[],
	itemIndex: number,
): Promise<RowRulesWithLimits> {
	const cache = session.describeCache;
	const present = (name: string) =>
		header.some((column) => column.toLowerCase() === name.toLowerCase());
	const notPredicted: string[] = [];
	switch (plan.target.importType) {
		case 'leads': {
			const leadFields = fieldTypesOf(await cache.get(context, LEAD_DESCRIBE_PATH, itemIndex));
			const links = LEAD_LINK_COLUMNS.filter(
				(name) => !leadFields.some((field) => field.name === name),
			).map(linkField);
			const lookupField = plan.targetFields.lookupField ?? 'email';
			if (lookupField === 'id') {
				notPredicted.push(
					"Lookup Field is ID, which only updates: a row whose id is no lead in Marketo fails with 'Lead not found'. That depends on the instance's leads, so it is not predicted.",
				);
			}
			const linked = LEAD_LINK_COLUMNS.filter(present);
			if (linked.length > 0) {
				notPredicted.push(
					`${linked.join(' and ')} link to records in Marketo: whether those exist depends on the instance, so it is not predicted.`,
				);
			}
			return {
				rules: {
					fieldSets: [[...leadFields, ...links]],
					keyFields: [lookupField],
					keyLabel: 'lookup',
				},
				notPredicted,
			};
		}
		case 'programMembers': {
			const [lead, member] = await Promise.all([
				cache.get(context, LEAD_DESCRIBE_PATH, itemIndex),
				cache.get(context, PROGRAM_MEMBER_DESCRIBE_PATH, itemIndex),
			]);
			return {
				rules: {
					fieldSets: [fieldTypesOf(lead), fieldTypesOf(member)],
					keyFields: ['email'],
					keyLabel: 'lookup',
				},
				notPredicted,
			};
		}
		case 'customObjects': {
			const objectApiName = plan.target.objectApiName as string;
			const record = await cache.get(context, customObjectDescribePath(objectApiName), itemIndex);
			const relationships = ((record?.relationships ?? []) as IDataObject[])
				.map((relationship) => relationship.field)
				.filter((name): name is string => typeof name === 'string' && present(name));
			if (relationships.length > 0) {
				notPredicted.push(
					`${relationships.map((name) => `'${name}'`).join(', ')} link each record to a parent record in Marketo: whether that parent exists depends on the instance, so it is not predicted.`,
				);
			}
			return {
				rules: {
					fieldSets: [fieldTypesOf(record)],
					keyFields: record?.dedupeFields ?? [],
					keyLabel: 'dedupe',
				},
				notPredicted,
			};
		}
	}
}

/**
 * Program members with one Member Status: Marketo refuses the whole import (1025) when it is not
 * one of the program's channel's. (Statuses read from a column or item field go through the
 * import's own check instead: `plan.grouping`, `plan.itemSettingsCheck`.)
 */
async function memberStatusRefusal(
	context: IExecuteFunctions,
	session: ImportSession,
	plan: ImportPlan,
	itemIndex: number,
): Promise<Refusal | undefined> {
	const { programId, programMemberStatus } = plan.targetFields;
	if (
		plan.target.importType !== 'programMembers' ||
		programId === undefined ||
		programMemberStatus === undefined
	)
		return undefined;
	if (plan.grouping !== undefined || plan.itemSettingsCheck !== undefined) return undefined;
	let known: ChannelStatuses | undefined;
	try {
		known = await session.programStatuses.statusesOf(context, programId, itemIndex);
	} catch (error) {
		return toRefusal(context, error, itemIndex);
	}
	if (known === undefined) {
		return {
			message: `Program ${programId} was not found or has no channel`,
			description:
				'Check the program ID and that the API user has the Read-Only Assets permission.',
		};
	}
	const valid = known.statuses;
	const channelName = known.channel;
	if (valid.includes(programMemberStatus)) return undefined;
	return {
		message: `'${programMemberStatus}' is not a member status of program ${programId}: Marketo would refuse the import (1025, Program status not found)`,
		description: `The statuses of its channel '${channelName ?? ''}' are: ${valid.map((name) => `'${name}'`).join(', ')}. Pick one in Member Status.`,
	};
}

/**
 * Pure: the summary's target fields. A grouped plan stands for the whole file: the settings its
 * groups read from columns are empty in it ('' status, program 0), so they are left out.
 */
export function targetFieldsOf(plan: ImportPlan): IDataObject {
	if (!plan.grouping) return { ...plan.targetFields };
	return Object.fromEntries(
		Object.entries(plan.targetFields).filter(([, value]) => value !== '' && value !== 0),
	);
}

/** How the caller's input relates to the file's rows. */
export interface ValidationPairing {
	/** the input items the summary comes from */
	summary: IPairedItemData | IPairedItemData[];
	/** the input item a data row (1-based) comes from */
	row: (rowNumber: number) => IPairedItemData;
	/** Items input: the input item a row was written from; null for a file */
	sourceItemIndex: (rowNumber: number) => number | null;
	/**
	 * Binary input: the input's file (the same reference, no copy), kept on the summary item so
	 * an If node after it can pass the file on to the real import.
	 */
	summaryBinary?: IBinaryKeyData;
}

interface ReasonCount extends IDataObject {
	kind: ResultRowKind;
	reason: string;
	rows: number;
}

/** Pure: per reason counts, most frequent first (failures before warnings on a tie). */
export function countReasons(
	predicted: Array<{ kind: ResultRowKind; reason: string }>,
): ReasonCount[] {
	const counts = new Map<string, ReasonCount>();
	for (const { kind, reason } of predicted) {
		const key = `${kind}\u0000${reason}`;
		const entry = counts.get(key) ?? { kind, reason, rows: 0 };
		entry.rows++;
		counts.set(key, entry);
	}
	return [...counts.values()].sort(
		(a, b) => b.rows - a.rows || (a.kind === b.kind ? 0 : a.kind === 'failed' ? -1 : 1),
	);
}

/**
 * Checks one file without uploading it: the summary item first, then one item per row that
 * would fail or warn, in file order.
 */
export async function validateFile(
	context: IExecuteFunctions,
	session: ImportSession,
	plan: ImportPlan,
	file: FileToImport,
	itemIndex: number,
	settings: SubmitSettings,
	pairing: ValidationPairing,
	/** refusals found before the file was written (Items input: the settings read from item fields) */
	earlierRefusals: Refusal[] = [],
): Promise<INodeExecutionData[]> {
	const summary: IDataObject = {
		validateOnly: true,
		uploaded: false,
		importType: plan.target.importType,
		...targetFieldsOf(plan),
		fileName: file.fileName,
	};
	const refusals: Refusal[] = [...earlierRefusals];
	const finish = (json: IDataObject, rows: INodeExecutionData[]): INodeExecutionData[] => [
		{
			json: { ...summary, wouldUpload: refusals.length === 0, refusals, ...json },
			...(pairing.summaryBinary ? { binary: pairing.summaryBinary } : {}),
			pairedItem: pairing.summary,
		},
		...rows,
	];

	let looked: Awaited<ReturnType<typeof lookBeforeUpload>>;
	try {
		looked = await lookBeforeUpload(
			context,
			file,
			effectiveMaxPartBytes(settings.partSizeLimitBytes, file.fileName),
			itemIndex,
			plan.grouping,
		);
	} catch (error) {
		refusals.push(toRefusal(context, error, itemIndex));
		return finish(
			{
				rowsChecked: 0,
				rowsWouldImport: 0,
				rowsWouldFail: 0,
				rowsWouldWarn: 0,
				reasons: [],
				notPredicted: [],
			},
			[],
		);
	}
	const { splitPlan, format } = looked;
	summary.format = format;
	summary.fileEncoding = splitPlan.encoding;
	summary.parts = splitPlan.parts.length;

	// Settings read from columns (Member Status / Program "From a Column") are not uploaded: the
	// preflight and the row rules see the other columns, and the values go through the import's check.
	const settingColumns = new Set<number>();
	if (plan.grouping) {
		const grouping = plan.grouping;
		const refusal = await refusalOf(context, itemIndex, async () => {
			const found = findGroupColumns(context, grouping, file, splitPlan.header, itemIndex);
			for (const index of found) settingColumns.add(index);
			const groups = await readGroups(
				context,
				grouping,
				file,
				splitPlan,
				found,
				itemIndex,
				looked.groups,
			);
			summary.groupedBy = grouping.columns.map((column) => column.name);
			summary.groups = groups.map((group) => ({ ...group }));
			await grouping.check(context, session.programStatuses, groups, itemIndex, file.subject);
		});
		if (refusal) refusals.push(refusal);
	}
	const uploadedHeader = splitPlan.header.filter((_, index) => !settingColumns.has(index));

	if (settings.preflight) {
		const problems = formatHeaderProblems(
			checkHeader(
				uploadedHeader,
				await plan.headerRules(context, session.describeCache, itemIndex),
			),
			file.subject,
		);
		if (problems) refusals.push(problems);
	}
	const statusRefusal = await memberStatusRefusal(context, session, plan, itemIndex);
	if (statusRefusal) refusals.push(statusRefusal);

	const { rules, notPredicted } = await rowRulesFor(
		context,
		session,
		plan,
		uploadedHeader,
		itemIndex,
	);
	const columns = mapColumns(uploadedHeader, rules.fieldSets);
	notPredicted.push(...columnNotes(columns));

	const rowItems: INodeExecutionData[] = [];
	const predicted: Array<{ kind: ResultRowKind; reason: string }> = [];
	let rowNumber = 0;
	let headerSeen = false;
	const take = (rows: string[][]) => {
		for (const row of rows) {
			if (!headerSeen) {
				headerSeen = true;
				continue;
			}
			rowNumber++;
			const uploadedRow =
				settingColumns.size === 0 ? row : row.filter((_, index) => !settingColumns.has(index));
			const prediction = predictRow(columns, uploadedRow, rules);
			if (prediction.outcome === 'imported') continue;
			const kind: ResultRowKind = prediction.outcome === 'failed' ? 'failed' : 'warning';
			const reason = prediction.reason ?? '';
			predicted.push({ kind, reason });
			// fromEntries makes own keys, so even a column named __proto__ stays a column.
			const values = Object.fromEntries(
				splitPlan.header.map((name, index) => [name, row[index] ?? '']),
			) as Record<string, string>;
			rowItems.push({
				json: toRowJson(
					{ values, reason },
					{
						kind,
						batchId: null,
						importType: plan.target.importType,
						objectApiName: plan.target.objectApiName,
					},
					{ rowNumber, sourceItemIndex: pairing.sourceItemIndex(rowNumber), tieBack: 'exact' },
				),
				pairedItem: pairing.row(rowNumber),
			});
		}
	};
	// The same reading as the upload's: the file as read (UTF-8), empty lines are not rows.
	const reader = createRowReader(splitPlan.delimiter, { skipEmptyLines: true });
	for await (const chunk of readAsUtf8(await file.open(), splitPlan.encoding))
		take(reader.write(chunk));
	take(reader.end());

	const rowsWouldFail = predicted.filter((p) => p.kind === 'failed').length;
	return finish(
		{
			rowsChecked: rowNumber,
			rowsWouldImport: rowNumber - rowsWouldFail,
			rowsWouldFail,
			rowsWouldWarn: predicted.length - rowsWouldFail,
			reasons: countReasons(predicted),
			notPredicted,
		},
		rowItems,
	);
}
