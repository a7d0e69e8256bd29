/**
 * Pure row semantics of a bulk import: how a header maps to fields, whether a value fits
 * its field's type, and what happens to one row. No I/O, no database: bulkImport.ts
 * applies the verdicts.
 */
import type { FieldDefinition } from './types';

export type CellCheck =
	| { kind: 'ok' }
	| { kind: 'fail'; reason: string }
	| { kind: 'warn'; reason: string };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function isValidCalendarDate(year: number, month: number, day: number): boolean {
	const date = new Date(Date.UTC(year, month - 1, day));
	return (
		date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
	);
}

export function isIsoDate(value: string): boolean {
	const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
	return (
		match !== null && isValidCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))
	);
}

/** ISO 8601 date-time with a 'T'; seconds, fraction and offset optional. */
export function isIsoDateTime(value: string): boolean {
	const match =
		/^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d)(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?([0-5]\d))?$/.exec(
			value,
		);
	return (
		match !== null && isValidCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))
	);
}

export function isPlausibleEmail(value: string): boolean {
	return /^[^\s@",;<>]+@[^\s@",;<>]+\.[^\s@",;<>]+$/.test(value);
}

const BOOLEAN_WORDS = new Set(['true', 'false', '1', '0', 'yes', 'no']);

/**
 * Checks one non-empty value. Type mismatches fail the row with Marketo's wording
 * ("Invalid data type in field <Display Name>"); an invalid email is only a warning,
 * as the Adobe docs show.
 */
export function checkValue(field: FieldDefinition, value: string): CellCheck {
	const invalidType: CellCheck = {
		kind: 'fail',
		reason: `Invalid data type in field ${field.displayName}`,
	};
	switch (field.dataType) {
		case 'integer': {
			if (!/^[+-]?\d+$/.test(value)) return invalidType;
			const n = Number(value);
			return n < INT32_MIN || n > INT32_MAX ? invalidType : { kind: 'ok' };
		}
		case 'float':
		case 'currency':
			return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? { kind: 'ok' } : invalidType;
		case 'boolean':
			return BOOLEAN_WORDS.has(value.toLowerCase()) ? { kind: 'ok' } : invalidType;
		case 'date':
			return isIsoDate(value) ? { kind: 'ok' } : invalidType;
		case 'datetime':
			return isIsoDateTime(value) ? { kind: 'ok' } : invalidType;
		case 'email':
			if (field.length !== undefined && value.length > field.length) return tooLong(field);
			return isPlausibleEmail(value)
				? { kind: 'ok' }
				: { kind: 'warn', reason: 'Invalid email address' };
		default:
			if (field.length !== undefined && value.length > field.length) return tooLong(field);
			return { kind: 'ok' };
	}
}

function tooLong(field: FieldDefinition): CellCheck {
	return {
		kind: 'fail',
		reason: `Value too long for field ${field.displayName} (max ${field.length} characters)`,
	};
}

export interface MappedColumn {
	/** The header cell exactly as uploaded. */
	header: string;
	/** The field it maps to, or undefined for an unknown column. */
	field?: FieldDefinition;
	/** Which field set matched (index into the `fieldSets` given to mapHeader). */
	setIndex: number;
}

export interface HeaderMapping {
	columns: MappedColumn[];
	unknown: string[];
}

/**
 * Maps header cells to fields. Headers are never trimmed (" email" is not "email").
 * Earlier field sets win (program member imports pass lead fields first).
 */
export function mapHeader(
	header: string[],
	fieldSets: FieldDefinition[][],
	matching: 'case-insensitive' | 'exact',
): HeaderMapping {
	const norm = (s: string) => (matching === 'exact' ? s : s.toLowerCase());
	const columns: MappedColumn[] = header.map((cell) => {
		for (let setIndex = 0; setIndex < fieldSets.length; setIndex++) {
			const found = fieldSets[setIndex].find((f) => norm(f.name) === norm(cell));
			if (found) return { header: cell, field: found, setIndex };
		}
		return { header: cell, setIndex: -1 };
	});
	return { columns, unknown: columns.filter((c) => !c.field).map((c) => c.header) };
}

export interface RowVerdict {
	outcome: 'imported' | 'warning' | 'failed';
	/** Failure reason, or the warning reasons joined with '; '. */
	reason?: string;
	/** Values to write per field set: field name -> value (non-empty cells of updateable or key fields). */
	values: Array<Record<string, string>>;
	/** Values of the key fields (lookup field or dedupe fields), by name. */
	keys: Record<string, string>;
}

export interface RowRules {
	/** Key fields the row must have a value for (lookup field or dedupe fields). */
	keyFields: string[];
	/** "lookup" or "dedupe": used in the missing-key reason. */
	keyLabel: 'lookup' | 'dedupe';
	/** How many field sets the mapping used. */
	fieldSetCount: number;
}

/** Decides one row. Missing cells count as empty; extra cells fail the row. */
export function checkRow(mapping: HeaderMapping, row: string[], rules: RowRules): RowVerdict {
	const values: Array<Record<string, string>> = Array.from(
		{ length: rules.fieldSetCount },
		() => ({}),
	);
	const keys: Record<string, string> = {};
	if (row.length > mapping.columns.length) {
		return {
			outcome: 'failed',
			reason: `Row has ${row.length} values but the header has ${mapping.columns.length} columns`,
			values,
			keys,
		};
	}
	for (const keyField of rules.keyFields) {
		const index = mapping.columns.findIndex((c) => c.field?.name === keyField);
		const value = index >= 0 ? (row[index] ?? '') : '';
		if (value === '') {
			return {
				outcome: 'failed',
				reason: `Value for ${rules.keyLabel} field '${keyField}' not found`,
				values,
				keys,
			};
		}
		keys[keyField] = value;
	}
	const warnings: string[] = [];
	for (let i = 0; i < mapping.columns.length; i++) {
		const { field, setIndex } = mapping.columns[i];
		const value = row[i] ?? '';
		// Empty cells never overwrite a stored value (documented assumption), so they are not checked.
		if (!field || value === '') continue;
		const isKey = rules.keyFields.includes(field.name);
		// Read-only fields (createdAt, id when it is not the lookup field...) are ignored, not failed.
		if (!field.updateable && !isKey) continue;
		const check = checkValue(field, value);
		if (check.kind === 'fail') return { outcome: 'failed', reason: check.reason, values, keys };
		if (check.kind === 'warn' && !warnings.includes(check.reason)) warnings.push(check.reason);
		values[setIndex][field.name] = value;
	}
	return warnings.length > 0
		? { outcome: 'warning', reason: warnings.join('; '), values, keys }
		: { outcome: 'imported', values, keys };
}

/**
 * An empty line (zero bytes between two line breaks; parseDelimited gives it as `[]`) is
 * not a row. A line holding anything is one: spaces, `""`, only delimiters.
 */
export function isBlankRow(row: string[]): boolean {
	return row.length === 0;
}
