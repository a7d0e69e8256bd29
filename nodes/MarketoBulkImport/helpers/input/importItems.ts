import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeParameters,
} from 'n8n-workflow';

import { GROUP_SAMPLE_ROWS } from '../../../shared/csv/groupSplitter';
import {
	delimiterOf,
	fileExtensionOf,
	isCsvFormat,
	mimeTypeOf,
	type CsvFormat,
} from '../../../shared/csv/formats';
import { NestedValueError, toDelimitedFile } from '../../../shared/csv/writer';
import { toItemRanges } from '../../../shared/itemRanges';
import type { ImportOptions } from '../run/importOptions';
import { errorMessageOf, toNodeError } from '../../../shared/nodeErrors';
import type { RowsNotSubmitted } from '../upload/importErrors';
import { submitSettingsFrom } from '../run/importOptions';
import type { ImportPlan, PlanBuilder } from '../plan/importPlan';
import type { ImportSession } from '../run/importSession';
import {
	firstItemDiffering,
	groupItems,
	holdsExpression,
	itemsOfRows,
	planKeyOf,
	type ItemGroup,
} from './itemGroups';
import {
	autoMappedRecord,
	fieldIndex,
	manualRecord,
	MAP_AUTOMATICALLY,
	MAP_MANUALLY,
	withoutSettingFields,
	type ColumnChoice,
} from './itemRecords';
import { rawParameter, readingFixedParametersOnce } from './itemParameters';
import { assertHeaderMatches } from '../plan/preflight';
import { inMemorySource, parseColumnList } from './readInput';
import { submitParts } from '../upload/submitParts';
import type { FileToImport, SubmittedPart } from '../upload/types';
import { submitToItems } from '../run/submitToItems';
import { refusalOf, validateFile } from '../validate/validateOnly';

/**
 * The "Items" input: the incoming items are written as files, one row per item, grouped by
 * the settings that may differ between them (itemGroups.ts), with the fields chosen by the
 * column parameters (itemRecords.ts). The Binary File input is in runImport.ts.
 */

/** The generated file's binary property on Items-input output items. */
export const GENERATED_FILE_PROPERTY = 'data';

/** Items input's batch items; each carries its generated part file and is paired to the items in it. */
async function generatedBatchItems(
	this: IExecuteFunctions,
	parts: SubmittedPart[],
	fileName: string,
	format: CsvFormat,
	group: ItemGroup<ImportPlan>,
	leftOut: string[],
): Promise<INodeExecutionData[]> {
	const outputs: INodeExecutionData[] = [];
	for (const { descriptor, part } of parts) {
		if (!part.body)
			throw new NodeOperationError(
				this.getNode(),
				'Internal error: a generated part lost its bytes',
			);
		const headerBytes = part.body.length - (part.dataEnd - part.dataStart);
		const partFile = await this.helpers.prepareBinaryData(part.body, fileName, mimeTypeOf(format));
		const sourceItems = itemsOfRows(group.itemIndices, part.firstRowNumber, part.rows);
		outputs.push({
			json: {
				...descriptor,
				firstSourceItemIndex: sourceItems[0],
				sourceItemRanges: toItemRanges(sourceItems) as unknown as IDataObject[],
				...(leftOut.length > 0 ? { itemFieldsNotMapped: leftOut } : {}),
				submittedFile: {
					binaryProperty: GENERATED_FILE_PROPERTY,
					dataStart: headerBytes,
					dataEnd: part.body.length,
				},
			},
			binary: { [GENERATED_FILE_PROPERTY]: partFile },
			pairedItem: sourceItems.map((item) => ({ item })),
		});
	}
	return outputs;
}

/**
 * Items input: parameters that shape the file itself, so they must be the same for every
 * item. Everything else that accepts an expression (program, status, list, lookup field,
 * partition, custom object) may differ: items are grouped by it.
 */
export const WHOLE_FILE_PARAMETERS: ReadonlyArray<{ path: string; label: string }> = [
	{ path: 'itemsFormat', label: 'Format' },
	{ path: 'columns', label: 'Columns' },
	{ path: 'options.fileName', label: 'Options > File Name' },
	{ path: 'options.partSizeMb', label: 'Options > Part Size Limit (MB)' },
	{ path: 'options.preflightCheck', label: 'Options > Preflight Check' },
	{ path: 'options.queueWaitMinutes', label: 'Options > Queue Wait Limit (Minutes)' },
];

/** Parameters that are neither a per-item setting nor checked as one (the mapper's values are per row). */
const NOT_SETTINGS = new Set(['inputSource', 'itemsFormat', 'columns', 'columnMapping', 'options']);

/** Stops when a whole-file parameter is an expression that gives items different values. */
function assertWholeFileParametersAgree(this: IExecuteFunctions, itemCount: number): void {
	const { parameters } = this.getNode();
	for (const { path, label } of WHOLE_FILE_PARAMETERS) {
		if (!holdsExpression(rawParameter(parameters, path))) continue;
		const valueOf = (itemIndex: number) => this.getNodeParameter(path, itemIndex, null);
		const differing = firstItemDiffering(valueOf, itemCount);
		if (differing === undefined) continue;
		throw new NodeOperationError(
			this.getNode(),
			`'${label}' must be the same for every item, but item ${differing} gives ${JSON.stringify(valueOf(differing))} and item 0 gives ${JSON.stringify(valueOf(0))}`,
			{
				itemIndex: differing,
				description:
					`With Items input, '${label}' applies to the whole file written from the items. Only Program, Member Status, ` +
					'Static List, Lookup Field, Partition and Custom Object may differ between items (items with equal ones share a ' +
					`file). Give '${label}' one value for all items, or send the items that need another one to a second Marketo Bulk Import node.`,
			},
		);
	}
}

/** Whether any setting can differ between items; when none can, one plan (item 0's) serves them all. */
function settingsMayDiffer(parameters: INodeParameters): boolean {
	return Object.entries(parameters).some(
		([name, value]) =>
			!NOT_SETTINGS.has(name) &&
			(holdsExpression(value) || (name.endsWith('Source') && value === 'column')),
	);
}

/** The items grouped by their settings; with Continue On Fail an item whose settings are wrong becomes an error item. */
async function groupItemsBySettings(
	this: IExecuteFunctions,
	itemCount: number,
	buildPlan: PlanBuilder,
): Promise<{ groups: Array<ItemGroup<ImportPlan>>; errorItems: INodeExecutionData[] }> {
	const all = Array.from({ length: itemCount }, (_, itemIndex) => itemIndex);
	if (!settingsMayDiffer(this.getNode().parameters)) {
		const plan = await buildPlan.call(this, 0);
		return { groups: [{ key: planKeyOf(plan), settings: plan, itemIndices: all }], errorItems: [] };
	}
	const plans = new Map<number, ImportPlan>();
	const errorItems: INodeExecutionData[] = [];
	const reader = readingFixedParametersOnce(this);
	for (const itemIndex of all) {
		try {
			plans.set(itemIndex, await buildPlan.call(reader, itemIndex));
		} catch (error) {
			if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, itemIndex);
			errorItems.push({ json: { error: errorMessageOf(error) }, pairedItem: { item: itemIndex } });
		}
	}
	const groups = groupItems(
		[...plans.keys()],
		(itemIndex) => plans.get(itemIndex) as ImportPlan,
		planKeyOf,
	);
	return { groups, errorItems };
}

/** How the node version's column parameters choose the fields of a row. */
function columnChoiceOf(this: IExecuteFunctions): ColumnChoice {
	if (this.getNode().typeVersion < 2) {
		return {
			kind: 'list',
			columns: parseColumnList(String(this.getNodeParameter('columns', 0, '') ?? '')),
		};
	}
	const mode = this.getNodeParameter('columnMapping.mappingMode', 0, MAP_AUTOMATICALLY) as string;
	return mode === MAP_MANUALLY ? { kind: 'manual' } : { kind: 'auto' };
}

interface GroupFile {
	body: Buffer;
	columns: string[];
	/** item fields Map Automatically left out, for the output items */
	leftOut: string[];
}

/** Writes one group's items as a delimited file, one row per item in input order. */
async function writeGroupFile(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	group: ItemGroup<ImportPlan>,
	choice: ColumnChoice,
	format: CsvFormat,
	session: ImportSession,
	preflight: boolean,
): Promise<GroupFile> {
	const plan = group.settings;
	const settingFields = new Set(plan.settingFields ?? []);
	const first = group.itemIndices[0];
	const leftOut = new Set<string>();
	let records: IDataObject[];
	if (choice.kind === 'manual') {
		const reader = readingFixedParametersOnce(this);
		records = group.itemIndices.map((itemIndex) =>
			withoutSettingFields(
				manualRecord(reader.getNodeParameter('columnMapping.value', itemIndex, {}) as IDataObject),
				settingFields,
			),
		);
	} else if (choice.kind === 'auto') {
		// Preflight Check off means "upload without asking Marketo": every field is written, as in version 1.
		const known = preflight
			? (await plan.headerRules(this, session.describeCache, first)).fields
			: [];
		const { fields, byNormalizedName } = fieldIndex(known);
		records = group.itemIndices.map((itemIndex) => {
			const mapped = autoMappedRecord(
				withoutSettingFields(items[itemIndex].json, settingFields),
				fields,
				byNormalizedName,
			);
			const slip = mapped.misspelled[0];
			if (slip !== undefined) {
				throw new NodeOperationError(
					this.getNode(),
					`Item ${itemIndex}, field '${slip.field}' is not a Marketo field; did you mean '${slip.meant}'?`,
					{
						itemIndex,
						description: `Map Automatically writes only fields named exactly like Marketo's (REST API names; case matters). Rename the field to '${slip.meant}' (e.g. with an Edit Fields node), or choose "Map Each Column Manually". Nothing was uploaded.`,
					},
				);
			}
			for (const name of mapped.leftOut) leftOut.add(name);
			return mapped.record;
		});
	} else {
		records = group.itemIndices.map((itemIndex) =>
			withoutSettingFields(items[itemIndex].json, settingFields),
		);
	}
	const listed = choice.kind === 'list' && choice.columns.length > 0 ? choice.columns : undefined;
	try {
		const file = toDelimitedFile(records, {
			delimiter: delimiterOf(format),
			columns: listed?.filter((column) => !settingFields.has(column)),
			itemIndices: group.itemIndices,
		});
		return { ...file, leftOut: [...leftOut] };
	} catch (error) {
		if (error instanceof NestedValueError) {
			throw new NodeOperationError(this.getNode(), error.message, {
				itemIndex: error.itemIndex,
				description: `Write a plain value into '${error.field}' (e.g. {{ $json.${error.field}.name }} in an Edit Fields node), or leave it out of the columns.`,
			});
		}
		throw toNodeError(this.getNode(), error, first);
	}
}

/** Pure: what the items' rows are called in messages. */
function groupSubject(group: ItemGroup<ImportPlan>, groupCount: number): string {
	const count = group.itemIndices.length;
	const items = `${count} input ${count === 1 ? 'item' : 'items'}`;
	return groupCount === 1
		? `The file written from the ${items}`
		: `The file written from the ${items} for ${group.settings.label}${describeSettings(group.settings)}`;
}

function describeSettings(plan: ImportPlan): string {
	const settings = Object.entries(plan.targetFields)
		.filter(([key, value]) => value !== undefined && key !== 'objectApiName')
		.map(([key, value]) => `${key} ${JSON.stringify(value)}`);
	return settings.length > 0 ? ` (${settings.join(', ')})` : '';
}

/**
 * Items input: the incoming items become files, one row per item, so a workflow that
 * collected 50,000 records makes a handful of batches, not 50,000. Items whose settings
 * are equal share a file; files go in the order their first item came. Every file is
 * written and checked before the first is uploaded. Each output item carries its part
 * file as binary and is paired with the items whose rows are in that part.
 */
export async function importAllItems(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	buildPlan: PlanBuilder,
	session: ImportSession,
): Promise<INodeExecutionData[]> {
	assertWholeFileParametersAgree.call(this, items.length);
	const options = this.getNodeParameter('options', 0, {}) as ImportOptions;
	const requested = this.getNodeParameter('itemsFormat', 0, 'csv') as string;
	const format: CsvFormat = isCsvFormat(requested) ? requested : 'csv';
	const choice = columnChoiceOf.call(this);
	const settings = submitSettingsFrom(options);

	const { groups, errorItems } = await groupItemsBySettings.call(this, items.length, buildPlan);
	// Validate Only reports a refused setting in its group's summary instead of stopping (below).
	if (options.validateOnly !== true)
		await checkItemSettings.call(this, session, groups, items.length);
	// Look before uploading: every group's file is written and its header checked first.
	const files: GroupFile[] = [];
	for (const group of groups) {
		const file = await writeGroupFile.call(
			this,
			items,
			group,
			choice,
			format,
			session,
			settings.preflight,
		);
		// Validate Only reports a header problem beside the rows instead of stopping (validateOnly.ts).
		if (settings.preflight && options.validateOnly !== true) {
			const rules = await group.settings.headerRules(
				this,
				session.describeCache,
				group.itemIndices[0],
			);
			assertHeaderMatches(
				this,
				file.columns,
				rules,
				groupSubject(group, groups.length),
				group.itemIndices[0],
			);
		}
		files.push(file);
	}

	const outputs: INodeExecutionData[] = [...errorItems];
	for (const [g, group] of groups.entries()) {
		const plan = group.settings;
		const { body, leftOut } = files[g];
		const first = group.itemIndices[0];
		const fileName =
			options.fileName?.trim() || `marketo-${plan.target.importType}.${fileExtensionOf(format)}`;
		const rowItems = ({ from, to }: RowsNotSubmitted) =>
			itemsOfRows(group.itemIndices, from, (to ?? group.itemIndices.length) - from + 1).map(
				(item) => ({ item }),
			);
		const file: FileToImport = {
			open: inMemorySource(body),
			encoding: 'utf-8',
			fileName,
			format,
			subject: groupSubject(group, groups.length),
			keepPartBodies: true,
			fixHint: 'Give the items at least one field that is mapped to a Marketo field.',
		};
		if (options.validateOnly === true) {
			// Row N of the group's file is the group's item N.
			const itemOfRow = (rowNumber: number) => group.itemIndices[rowNumber - 1] ?? null;
			const settingsRefusal = await refusalOf(
				this,
				first,
				async () => await checkItemSettings.call(this, session, [group], group.itemIndices.length),
			);
			outputs.push(
				...(await validateFile(
					this,
					session,
					plan,
					file,
					first,
					settings,
					{
						summary: group.itemIndices.map((item) => ({ item })),
						row: (rowNumber) => ({ item: itemOfRow(rowNumber) ?? first }),
						sourceItemIndex: itemOfRow,
					},
					settingsRefusal ? [settingsRefusal] : [],
				)),
			);
			continue;
		}
		try {
			outputs.push(
				...(await submitToItems.call(
					this,
					async () => await submitParts.call(this, session, plan, file, first, settings),
					async (parts) =>
						await generatedBatchItems.call(this, parts, fileName, format, group, leftOut),
					first,
					// Row N is the group's item N: the error item is paired to the items whose rows were not submitted.
					rowItems,
				)),
			);
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, first);
			if (this.continueOnFail()) {
				outputs.push({
					json: { error: errorMessageOf(error) },
					pairedItem: group.itemIndices.map((item) => ({ item })),
				});
				continue;
			}
			const earlier = outputs.map((item) => item.json.batchId).filter((id) => id !== undefined);
			if (earlier.length > 0) {
				nodeError.description = [
					nodeError.description,
					`Items with other settings were submitted before this failed, as batches ${earlier.join(', ')}: they will be imported. ` +
						`Not submitted: the items of this file (${describeItems(group.itemIndices)}) and any after it; import only those again.`,
				]
					.filter(Boolean)
					.join(' ');
			}
			throw nodeError;
		}
	}
	return outputs;
}

/**
 * Settings read from item fields (Member Status / Program "From a Column") are checked with
 * Marketo for every group before the first upload: an unknown status or program would fail its
 * whole batch, possibly after other groups were uploaded.
 */
async function checkItemSettings(
	this: IExecuteFunctions,
	session: ImportSession,
	groups: Array<ItemGroup<ImportPlan>>,
	itemCount: number,
): Promise<void> {
	const checked = groups.filter((group) => group.settings.itemSettingsCheck !== undefined);
	const first = checked[0]?.settings.itemSettingsCheck;
	if (first === undefined) return;
	const summaries = checked.map((group) => ({
		values: group.settings.itemSettingsCheck?.values ?? [],
		rows: group.itemIndices.length,
		firstRows: group.itemIndices.slice(0, GROUP_SAMPLE_ROWS),
	}));
	await first.check(
		this,
		session.programStatuses,
		summaries,
		checked[0].itemIndices[0],
		`The file written from the ${itemCount} input ${itemCount === 1 ? 'item' : 'items'}`,
	);
}

/** Pure: "items 0-3, 7" for a message. */
function describeItems(itemIndices: number[]): string {
	const ranges = toItemRanges(itemIndices).map(({ from, to }) =>
		from === to ? `${from}` : `${from}-${to}`,
	);
	return `${itemIndices.length === 1 ? 'item' : 'items'} ${ranges.join(', ')}`;
}
