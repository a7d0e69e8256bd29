// Sums the JSON reports jest wrote (one per suite run) into the single line
// `tests: N passed, N failed` so CI can tell "ran and passed" from "ran nothing".
const fs = require('fs');
const path = require('path');

const dir = process.argv[2] || '.cache/test-results';
let passed = 0;
let failed = 0;
for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
	if (!file.endsWith('.json')) continue;
	const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
	passed += report.numPassedTests || 0;
	failed += report.numFailedTests || 0;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
