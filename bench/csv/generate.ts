/**
 * Generators for benchmark files. Rows are unique (numbered) and deterministic;
 * the mix of awkward values is fixed by row number so every run measures the
 * same bytes.
 */
import * as fs from 'fs';

const FIRST_NAMES = [
	'Ann',
	'Bruno',
	'Chloé',
	'Dmitri',
	'Eva',
	'François',
	'Grace',
	'Hiro',
	'Inês',
	'José',
];
const LAST_NAMES = [
	'Smith',
	"O'Neil",
	'Müller',
	'García',
	'Dubois',
	'Kowalski',
	'Tanaka',
	'Silva',
	'Jansen',
	'Rossi',
];
const CITIES = [
	'Paris',
	'Berlin',
	'San Francisco',
	'São Paulo',
	'Amsterdam',
	'Tokyo',
	'Lisbon',
	'Zürich',
];
const TITLES = ['Sales Manager', 'CTO', 'Marketing Ops', 'Director, EMEA', 'Analyst'];

export const LEAD_HEADER =
	'email,firstName,lastName,company,title,phone,city,country,leadSource,leadScore,createdDate,notes';

/**
 * One lead row. Like real exports, most values are plain and some are quoted:
 * about 1 row in 7 has a company with a comma, 1 in 5 a title with a comma,
 * 1 in 11 a quoted note with a comma, 1 in 29 a note with doubled quotes and a
 * line break inside the quotes.
 */
export function leadRow(n: number): string {
	const first = FIRST_NAMES[n % FIRST_NAMES.length];
	const last = LAST_NAMES[(n >> 3) % LAST_NAMES.length];
	const company = n % 7 === 0 ? `"Acme ${n % 997}, Inc."` : `Acme ${n % 997} GmbH`;
	const title = TITLES[n % TITLES.length];
	const quotedTitle = title.includes(',') ? `"${title}"` : title;
	let notes: string;
	if (n % 29 === 0) notes = `"Said ""call me after Q${(n % 4) + 1}""\nthen asked for a demo"`;
	else if (n % 11 === 0) notes = `"Met at booth ${n % 40}, follow up"`;
	else notes = `Interested in plan ${n % 13}`;
	return (
		`lead${n}@example${n % 89}.com,${first},${last},${company},${quotedTitle},+1 555 01${n % 100000},` +
		`${CITIES[n % CITIES.length]},US,Web,${n % 100},2024-05-${String((n % 28) + 1).padStart(2, '0')},${notes}\n`
	);
}

/** Writes a lead CSV of at least `targetBytes` bytes (whole rows); returns bytes and rows. */
export function writeLeadFile(file: string, targetBytes: number): { bytes: number; rows: number } {
	const fd = fs.openSync(file, 'w');
	try {
		let bytes = 0;
		let rows = 0;
		let batch: string[] = [LEAD_HEADER + '\n'];
		let batchChars = batch[0].length;
		const flush = () => {
			const buffer = Buffer.from(batch.join(''), 'utf8');
			fs.writeSync(fd, buffer);
			bytes += buffer.length;
			batch = [];
			batchChars = 0;
		};
		while (bytes + batchChars < targetBytes) {
			const row = leadRow(++rows);
			batch.push(row);
			batchChars += row.length;
			if (batchChars >= 8_000_000) flush();
		}
		flush();
		return { bytes, rows };
	} finally {
		fs.closeSync(fd);
	}
}

const FAILURE_REASONS = [
	"Value for lookup field 'email' not found",
	'Invalid data type in field Lead Score',
	'Field "leadScore" is not updateable',
	'Value too long, max 255 characters, for field company',
];

/** Marketo's failures file: the uploaded columns plus `Import Failure Reason`. */
export function failureFileText(rows: number): string {
	const lines: string[] = new Array(rows + 1);
	lines[0] = `${LEAD_HEADER},Import Failure Reason\n`;
	for (let n = 1; n <= rows; n++) {
		const reason = FAILURE_REASONS[n % FAILURE_REASONS.length];
		const quoted = /[,"\n]/.test(reason) ? `"${reason.replace(/"/g, '""')}"` : reason;
		lines[n] = leadRow(n).slice(0, -1) + ',' + quoted + '\n';
	}
	return lines.join('');
}
