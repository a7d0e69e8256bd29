/**
 * Validate Only's prediction of what Marketo does with one row of a bulk import, from the
 * field types its describe calls list. Pure: no I/O. The rules are Marketo's as documented
 * (Adobe's bulk import pages, API-NOTES) and, where Marketo is silent, the choices written
 * down in docs/DECISIONS.md "Validate Only"; the simulator serves the same rules, and the
 * integration test holds the two equal row by row.
 *
 * Order matters, because Marketo reports one reason per failed row: a row with more values
 * than the header fails first; then an empty key (lookup or dedupe) field; then the first
 * value, left to right, that does not fit its field. Warnings (an invalid email) count only
 * for a row that does not fail, each reason once, joined with '; '.
 */
import type { IDataObject } from 'n8n-workflow';

/** One field as describe lists it (leads describe2, program member describe, custom object describe). */
export interface FieldType {
	name: string;
	displayName: string;
	dataType: string;
	/** maximum characters, for string-like fields */
	length?: number;
	/** false for read-only fields (id, createdAt...): Marketo ignores their values */
	updateable: boolean;
}

export interface RowRules {
	/** the field lists a header cell may name, earlier lists first (program members: lead fields, then member fields) */
	fieldSets: FieldType[][];
	/** fields every row needs a value for: the lookup field, `email`, or a custom object's dedupe fields */
	keyFields: string[];
	/** how Marketo names them in its reason: "Value for lookup field 'email' not found" */
	keyLabel: 'lookup' | 'dedupe';
}

export interface MappedColumn {
	header: string;
	/** undefined for a column no field matches: Marketo does not read it */
	field?: FieldType;
	/** matched only when case is ignored ("Email" for email), as Marketo reads Adobe's own example */
	caseDiffers: boolean;
}

export type ValueCheck =
	| { kind: 'ok' }
	| { kind: 'fail'; reason: string }
	| { kind: 'warn'; reason: string };

export interface RowPrediction {
	outcome: 'imported' | 'warning' | 'failed';
	/** the failure reason, or the warning reasons joined with '; ' */
	reason?: string;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const BOOLEAN_WORDS = new Set(['true', 'false', '1', '0', 'yes', 'no']);

function isCalendarDate(year: number, month: number, day: number): boolean {
	const date = new Date(Date.UTC(year, month - 1, day));
	return (
		date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
	);
}

/** ISO 8601 calendar date, `2024-02-29`: Marketo's format for date fields. */
export function isIsoDate(value: string): boolean {
	const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
	return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** ISO 8601 date and time with a `T`; seconds, fraction and offset optional: `2024-02-29T14:00:00Z`. */
export function isIsoDateTime(value: string): boolean {
	const match =
		/^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d)(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?([0-5]\d))?$/.exec(
			value,
		);
	return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** Something@domain.tld without spaces or separators. Marketo imports other values, with a warning. */
export function isPlausibleEmail(value: string): boolean {
	return /^[^\s@",;<>]+@[^\s@",;<>]+\.[^\s@",;<>]+$/.test(value);
}

function tooLong(field: FieldType): ValueCheck {
	return {
		kind: 'fail',
		reason: `Value too long for field ${field.displayName} (max ${field.length} characters)`,
	};
}

/** Pure: whether one non-empty value fits its field, with the reason Marketo gives when not. */
export function checkValue(field: FieldType, value: string): ValueCheck {
	const invalidType: ValueCheck = {
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

/**
 * Pure: which field each header cell names. Header cells are not trimmed (" email" is no
 * field); an exact name wins, else the first field whose name differs only in case.
 */
export function mapColumns(header: string[], fieldSets: FieldType[][]): MappedColumn[] {
	return header.map((cell) => {
		for (const fields of fieldSets) {
			const exact = fields.find((field) => field.name === cell);
			if (exact) return { header: cell, field: exact, caseDiffers: false };
		}
		const folded = cell.toLowerCase();
		for (const fields of fieldSets) {
			const loose = fields.find((field) => field.name.toLowerCase() === folded);
			if (loose) return { header: cell, field: loose, caseDiffers: true };
		}
		return { header: cell, caseDiffers: false };
	});
}

/** Pure: the prediction for one data row (missing trailing cells count as empty). */
export function predictRow(columns: MappedColumn[], row: string[], rules: RowRules): RowPrediction {
	if (row.length > columns.length) {
		return {
			outcome: 'failed',
			reason: `Row has ${row.length} values but the header has ${columns.length} columns`,
		};
	}
	for (const key of rules.keyFields) {
		const index = columns.findIndex((column) => column.field?.name === key);
		if (index < 0 || (row[index] ?? '') === '') {
			return { outcome: 'failed', reason: `Value for ${rules.keyLabel} field '${key}' not found` };
		}
	}
	const warnings: string[] = [];
	for (let i = 0; i < columns.length; i++) {
		const field = columns[i].field;
		const value = row[i] ?? '';
		// An empty cell leaves the stored value alone; a read-only field's value is ignored.
		if (!field || value === '') continue;
		if (!field.updateable && !rules.keyFields.includes(field.name)) continue;
		const check = checkValue(field, value);
		if (check.kind === 'fail') return { outcome: 'failed', reason: check.reason };
		if (check.kind === 'warn' && !warnings.includes(check.reason)) warnings.push(check.reason);
	}
	return warnings.length > 0
		? { outcome: 'warning', reason: warnings.join('; ') }
		: { outcome: 'imported' };
}

/** Pure: the typed fields of a describe answer (fields without a name are skipped). */
export function fieldTypesOf(record: IDataObject | undefined): FieldType[] {
	const fields = (record?.fields ?? []) as IDataObject[];
	return fields
		.filter((field) => typeof field.name === 'string' && field.name !== '')
		.map((field) => ({
			name: field.name as string,
			displayName:
				typeof field.displayName === 'string' && field.displayName !== ''
					? field.displayName
					: (field.name as string),
			dataType: typeof field.dataType === 'string' ? field.dataType : 'string',
			...(typeof field.length === 'number' ? { length: field.length } : {}),
			updateable: field.updateable !== false,
		}));
}
