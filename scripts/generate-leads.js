'use strict';
/**
 * Writes a large, deterministic lead file for example 03, the e2e tests and the e2e benchmark.
 *
 * Every row is about 120 bytes, so 1,000,000 rows make a ~120 MB file. Rows that Marketo will
 * refuse or warn about sit at fixed positions, so a test can say exactly which rows must come
 * back on the Failed and Warning outputs:
 *  - row n with n % failEvery === 0 has loyaltyPoints "n/a"   -> failed ("Invalid data type in field Loyalty Points")
 *  - row n with n % warnEvery === 1 has billingEmail "billing@" -> imported with a warning ("Invalid email address")
 * (n is the 1-based data-row number; 0 disables a kind.)
 * `repeatEmailEvery` > 0: row n with n % repeatEmailEvery === 0 (and n > repeatEmailDistance) takes
 * the email of row n - repeatEmailDistance: the same lead in two places, e.g. in neighbouring
 * parts of a split file (the bench measures what holding such parts apart costs).
 * `addressLength` > 0 adds an `address` column of that many characters: a file over 10 MB with
 * few rows (the simulator's lead lookup gets slow with hundreds of thousands of leads).
 *
 * CLI: node scripts/generate-leads.js <file> [rows] [failEvery] [warnEvery] [addressLength]
 */
const fs = require('node:fs');

const HEADER = 'email,firstName,lastName,company,title,city,country,loyaltyPoints,billingEmail';
const ADDRESS_WORDS = ['Harbour', 'Street', 'Lane', 'Avenue', 'Square', 'Gate', 'Quay', 'Court'];

function headerLine(addressLength) {
	return addressLength > 0 ? `${HEADER},address` : HEADER;
}

/** A deterministic street address of exactly `length` characters (no delimiter or quote in it). */
function addressOf(rowNumber, length) {
	let text = `${rowNumber}`;
	for (let word = rowNumber; text.length < length; word += 3)
		text += ` ${ADDRESS_WORDS[word % ADDRESS_WORDS.length]}`;
	return text.slice(0, length);
}
const CITIES = ['Amsterdam', 'Lisbon', 'Paris', 'Berlin', 'Lyon', 'Porto', 'Utrecht', 'Hamburg'];
const COUNTRIES = [
	'Netherlands',
	'Portugal',
	'France',
	'Germany',
	'France',
	'Portugal',
	'Netherlands',
	'Germany',
];
const TITLES = ['Marketing Manager', 'Sales Director', 'Data Analyst', 'Operations Lead'];

function leadEmail(rowNumber) {
	return `lead${String(rowNumber).padStart(7, '0')}@example.com`;
}

function leadRow(
	rowNumber,
	{ failEvery, warnEvery, addressLength = 0, repeatEmailEvery = 0, repeatEmailDistance = 0 },
) {
	const repeats =
		repeatEmailEvery > 0 && rowNumber % repeatEmailEvery === 0 && rowNumber > repeatEmailDistance;
	const failed = failEvery > 0 && rowNumber % failEvery === 0;
	const warned = !failed && warnEvery > 0 && rowNumber % warnEvery === 1 % warnEvery;
	const place = rowNumber % CITIES.length;
	return [
		leadEmail(repeats ? rowNumber - repeatEmailDistance : rowNumber),
		`First${rowNumber}`,
		`Last${rowNumber}`,
		`Company ${rowNumber % 5000} Ltd`,
		TITLES[rowNumber % TITLES.length],
		CITIES[place],
		COUNTRIES[place],
		failed ? 'n/a' : String(rowNumber % 1000),
		warned ? 'billing@' : `billing${rowNumber}@example.com`,
		...(addressLength > 0 ? [addressOf(rowNumber, addressLength)] : []),
	].join(',');
}

/** Which data rows of such a file fail and which warn (1-based row numbers). */
function expectedOutcomes(rows, { failEvery = 10000, warnEvery = 10000 } = {}) {
	const failed = [];
	const warned = [];
	for (let n = 1; n <= rows; n++) {
		if (failEvery > 0 && n % failEvery === 0) failed.push(n);
		else if (warnEvery > 0 && n % warnEvery === 1 % warnEvery) warned.push(n);
	}
	return { failed, warned };
}

/** Streams the file to disk in ~1 MB writes; resolves { file, rows, bytes }. */
async function generateLeadsCsv(
	file,
	{
		rows = 100000,
		failEvery = 10000,
		warnEvery = 10000,
		addressLength = 0,
		repeatEmailEvery = 0,
		repeatEmailDistance = 0,
	} = {},
) {
	const out = fs.createWriteStream(file);
	let failure;
	out.on('error', (error) => (failure = error));
	const write = (chunk) =>
		new Promise((resolve, reject) => {
			if (failure) reject(failure);
			else if (out.write(chunk)) resolve();
			else out.once('drain', resolve);
		});
	let buffer = `${headerLine(addressLength)}\n`;
	for (let n = 1; n <= rows; n++) {
		buffer += `${leadRow(n, { failEvery, warnEvery, addressLength, repeatEmailEvery, repeatEmailDistance })}\n`;
		if (buffer.length > 1 << 20) {
			await write(buffer);
			buffer = '';
		}
	}
	await write(buffer);
	await new Promise((resolve, reject) => out.end(() => (failure ? reject(failure) : resolve())));
	return { file, rows, bytes: fs.statSync(file).size };
}

module.exports = { HEADER, leadEmail, leadRow, expectedOutcomes, generateLeadsCsv };

if (require.main === module) {
	const [file, rows, failEvery, warnEvery, addressLength] = process.argv.slice(2);
	if (!file) {
		process.stderr.write(
			'usage: node scripts/generate-leads.js <file> [rows] [failEvery] [warnEvery] [addressLength]\n',
		);
		process.exit(2);
	}
	generateLeadsCsv(file, {
		rows: rows ? Number(rows) : undefined,
		failEvery: failEvery ? Number(failEvery) : undefined,
		warnEvery: warnEvery ? Number(warnEvery) : undefined,
		addressLength: addressLength ? Number(addressLength) : undefined,
	}).then(
		(result) =>
			process.stdout.write(`${result.file}: ${result.rows} rows, ${result.bytes} bytes\n`),
		(error) => {
			process.stderr.write(`${error.message}\n`);
			process.exit(1);
		},
	);
}
