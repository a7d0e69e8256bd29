import type { IDataObject } from 'n8n-workflow';

import { normalizeFieldName, type KnownField } from '../plan/closestName';

/**
 * Items input: which fields of an item become the columns of its row.
 * - 'list'   (node version 1) the Columns text: those fields in that order, or every field when empty;
 * - 'auto'   Map Automatically: the item's fields that are Marketo fields;
 * - 'manual' Map Each Column Manually: the resource mapper's values, evaluated per item.
 */
export type ColumnChoice =
	| { kind: 'list'; columns: string[] }
	| { kind: 'auto' }
	| { kind: 'manual' };

/** The resource mapper's modes, as n8n stores them (Airtable v2, Postgres v2.5, Google Sheets v4.5 alike). */
export const MAP_AUTOMATICALLY = 'autoMapInputData';
export const MAP_MANUALLY = 'defineBelow';

/**
 * Pure: the item's fields as a plain object, each read once. On n8n 1.x the items a Code node
 * returns (without task runners) are vm2 proxies: every read of one crosses vm2's bridge and
 * costs microseconds, which over 100,000 items was most of the node's time. So the keys are
 * listed once (`Reflect.ownKeys`: no property descriptor read per key, as `Object.entries` and
 * `Object.keys` make) and each value is read once. An item's json is JSON data: its own string
 * keys are its fields.
 */
export function plainFields(json: IDataObject, leaveOut?: ReadonlySet<string>): IDataObject {
	const record: IDataObject = {};
	const keys = Reflect.ownKeys(json);
	for (let k = 0; k < keys.length; k++) {
		const key = keys[k];
		if (typeof key === 'string' && leaveOut?.has(key) !== true) record[key] = json[key];
	}
	return record;
}

/** Pure: the item's fields (read once, `plainFields`) without those that carry a setting (a status read "From a Column"). */
export function withoutSettingFields(
	json: IDataObject,
	settingFields: ReadonlySet<string>,
): IDataObject {
	return plainFields(json, settingFields);
}

/** Pure: a manually mapped record without the fields left empty (an empty cell writes nothing either). */
export function manualRecord(mapped: IDataObject | null | undefined): IDataObject {
	const record: IDataObject = {};
	for (const [key, value] of Object.entries(mapped ?? {})) {
		if (value !== null && value !== undefined && value !== '') record[key] = value;
	}
	return record;
}

export interface AutoMapping {
	/** the fields written, by name: those the instance knows */
	record: IDataObject;
	/** item fields that are no Marketo field, left out */
	leftOut: string[];
	/** item fields spelled like a Marketo field but not exactly ("FirstName" for "firstName") */
	misspelled: Array<{ field: string; meant: string }>;
}

/**
 * Pure: Map Automatically for one item. A field is written when its name is a Marketo field
 * exactly (Marketo matches headers exactly). One that differs only in case or separators is
 * reported, not dropped: that is a slip, and leaving the column out would lose its values
 * quietly. Without a field list (describe answered none) every field is written.
 */
export function autoMappedRecord(
	json: IDataObject,
	fields: ReadonlyMap<string, KnownField>,
	byNormalizedName: ReadonlyMap<string, string>,
): AutoMapping {
	const all = plainFields(json);
	if (fields.size === 0) return { record: all, leftOut: [], misspelled: [] };
	const record: IDataObject = {};
	const leftOut: string[] = [];
	const misspelled: AutoMapping['misspelled'] = [];
	for (const key in all) {
		if (fields.has(key)) {
			record[key] = all[key];
			continue;
		}
		const meant = byNormalizedName.get(normalizeFieldName(key));
		if (meant !== undefined) misspelled.push({ field: key, meant });
		else leftOut.push(key);
	}
	return { record, leftOut, misspelled };
}

/** Pure: the lookups autoMappedRecord needs, built once per file from the instance's fields. */
export function fieldIndex(known: KnownField[]): {
	fields: Map<string, KnownField>;
	byNormalizedName: Map<string, string>;
} {
	const fields = new Map(known.map((field) => [field.name, field]));
	const byNormalizedName = new Map<string, string>();
	for (const field of known) {
		for (const spelling of [field.name, field.displayName]) {
			if (!spelling) continue;
			const normalized = normalizeFieldName(spelling);
			if (!byNormalizedName.has(normalized)) byNormalizedName.set(normalized, field.name);
		}
	}
	return { fields, byNormalizedName };
}
