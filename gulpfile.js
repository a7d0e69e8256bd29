// Icons and the nodes' codex files (<Node>.node.json: category, Docs links) are not
// TypeScript, so tsc leaves them behind; n8n loads them from next to the compiled node and
// credential files in dist/ (the codex as `<Node>.node.js` + "on").
const { src, dest } = require('gulp');

function buildIcons() {
	return src(['nodes/**/*.{png,svg}', 'nodes/**/*.node.json', 'credentials/**/*.{png,svg}'], {
		base: '.',
		encoding: false,
	}).pipe(dest('dist'));
}

exports['build:icons'] = buildIcons;
