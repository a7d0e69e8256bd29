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
 *
 * CLI: node scripts/generate-leads.js <file> [rows] [failEvery] [warnEvery]
 */
const fs = require('node:fs');

const HEADER = 'email,firstName,lastName,company,title,city,country,loyaltyPoints,billingEmail';
const CITIES = ['Amsterdam', 'Lisbon', 'Paris', 'Berlin', 'Lyon', 'Porto', 'Utrecht', 'Hamburg'];
const COUNTRIES = ['Netherlands', 'Portugal', 'France', 'Germany', 'France', 'Portugal', 'Netherlands', 'Germany'];
const TITLES = ['Marketing Manager', 'Sales Director', 'Data Analyst', 'Operations Lead'];

function leadEmail(rowNumber) {
	return `lead${String(rowNumber).padStart(7, '0')}@example.com`;
}

function leadRow(rowNumber, { failEvery, warnEvery }) {
	const failed = failEvery > 0 && rowNumber % failEvery === 0;
	const warned = !failed && warnEvery > 0 && rowNumber % warnEvery === 1 % warnEvery;
	const place = rowNumber % CITIES.length;
	return [
		leadEmail(rowNumber),
		`First${rowNumber}`,
		`Last${rowNumber}`,
		`Company ${rowNumber % 5000} Ltd`,
		TITLES[rowNumber % TITLES.length],
		CITIES[place],
		COUNTRIES[place],
		failed ? 'n/a' : String(rowNumber % 1000),
		warned ? 'billing@' : `billing${rowNumber}@example.com`,
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
async function generateLeadsCsv(file, { rows = 100000, failEvery = 10000, warnEvery = 10000 } = {}) {
	const out = fs.createWriteStream(file);
	let failure;
	out.on('error', (error) => (failure = error));
	const write = (chunk) =>
		new Promise((resolve, reject) => {
			if (failure) reject(failure);
			else if (out.write(chunk)) resolve();
			else out.once('drain', resolve);
		});
	let buffer = `${HEADER}\n`;
	for (let n = 1; n <= rows; n++) {
		buffer += `${leadRow(n, { failEvery, warnEvery })}\n`;
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
	const [file, rows, failEvery, warnEvery] = process.argv.slice(2);
	if (!file) {
		process.stderr.write('usage: node scripts/generate-leads.js <file> [rows] [failEvery] [warnEvery]\n');
		process.exit(2);
	}
	generateLeadsCsv(file, {
		rows: rows ? Number(rows) : undefined,
		failEvery: failEvery ? Number(failEvery) : undefined,
		warnEvery: warnEvery ? Number(warnEvery) : undefined,
	}).then(
		(result) => process.stdout.write(`${result.file}: ${result.rows} rows, ${result.bytes} bytes\n`),
		(error) => {
			process.stderr.write(`${error.message}\n`);
			process.exit(1);
		},
	);
}
