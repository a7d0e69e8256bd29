/**
 * Records as items: the extract's files read back with the project's one reading of a delimited
 * file (parser.ts), one item per record, in file order. The files are streamed; what is held is
 * the items n8n must hold anyway. An activity's `attributes` (a JSON string in Marketo's file) is
 * parsed into an object, so a workflow reads `attributes["Webpage URL"]` directly.
 */
import {
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { storedBinaryBytes } from '../../../shared/binaryBytes';
import { createRowReader } from '../../../shared/csv/parser';
import type { ExtractType } from '../../../shared/extractTypes';

/** Marketo writes an empty value as `null` in its files. */
function valueOf(text: string): string | null {
	return text === 'null' ? null : text;
}

/** Pure: one row as a record; `attributes` parsed for activities (left as text when it is not JSON). */
export function recordOf(header: string[], row: string[], extractType: ExtractType): IDataObject {
	const record: IDataObject = {};
	header.forEach((column, index) => {
		const text = row[index] ?? '';
		if (extractType === 'activities' && column === 'attributes' && text.startsWith('{')) {
			try {
				record[column] = JSON.parse(text) as IDataObject;
				return;
			} catch {
				// Not JSON after all: keep Marketo's text.
			}
		}
		record[column] = valueOf(text);
	});
	return record;
}

/** The records of the files, in order; every file's first row is its header. */
export async function recordItems(
	context: IExecuteFunctions,
	files: IBinaryData[],
	options: { delimiter: string; extractType: ExtractType; itemIndex: number },
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const file of files) {
		const reader = createRowReader(options.delimiter, { skipEmptyLines: true });
		let header: string[] | null = null;
		const take = (rows: string[][]) => {
			for (const row of rows) {
				if (header === null) header = row;
				else
					items.push({
						json: recordOf(header, row, options.extractType),
						pairedItem: { item: options.itemIndex },
					});
			}
		};
		const bytes = await storedBinaryBytes(context, file);
		for await (const chunk of Buffer.isBuffer(bytes) ? [bytes] : bytes) take(reader.write(chunk));
		take(reader.end());
	}
	return items;
}
