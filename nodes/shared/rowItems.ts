/**
 * The row item: how a failed or warning row (from Marketo's result files, or predicted by Bulk
 * Import's Validate Only) becomes an n8n item. A documented contract both nodes output, so it
 * lives here rather than in either node (docs/ARCHITECTURE.md, "Wait for Batch row items").
 */
import type { IDataObject } from 'n8n-workflow';

import type { ImportType } from './importTypes';

export type ResultRowKind = 'failed' | 'warning';

export interface ResultRow {
	/** the row's columns, as in the file, without the reason column */
	values: Record<string, string>;
	reason: string;
}

/** How a row was tied back to the submitted file (docs/DECISIONS.md). */
export type TieBack = 'exact' | 'duplicate-rows' | 'ambiguous' | 'not-found' | 'no-submitted-file';

/** What the node adds to every row item, under a key no Marketo field can have. */
export interface RowOrigin extends IDataObject {
	kind: ResultRowKind;
	reason: string;
	/** null on Bulk Import's Validate Only rows: a prediction, no batch was made */
	batchId: number | null;
	importType: ImportType;
	objectApiName?: string;
	rowNumber: number | null;
	sourceItemIndex: number | null;
	tieBack: TieBack;
}

export interface RowItemContext {
	kind: ResultRowKind;
	batchId: number | null;
	importType: ImportType;
	objectApiName?: string;
}

/** The flat copy of `_marketo.reason` that leads every row item. */
export const REASON_KEY = '_marketoReason';

export function toRowJson(
	row: ResultRow,
	context: RowItemContext,
	tie: { rowNumber: number | null; sourceItemIndex: number | null; tieBack: TieBack },
): IDataObject {
	const origin: RowOrigin = {
		kind: context.kind,
		reason: row.reason,
		batchId: context.batchId,
		importType: context.importType,
		...(context.objectApiName !== undefined ? { objectApiName: context.objectApiName } : {}),
		rowNumber: tie.rowNumber,
		sourceItemIndex: tie.sourceItemIndex,
		tieBack: tie.tieBack,
	};
	// The reason first: a table view (and a sheet the rows are written to) shows it in the
	// first column. REST field names never start with an underscore, so no column collides.
	return { [REASON_KEY]: row.reason, ...row.values, _marketo: origin };
}
