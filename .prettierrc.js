// The settings of n8n's node starter (the .prettierrc.js that `npm create @n8n/node` writes,
// from @n8n/node-cli's template). Options: https://prettier.io/docs/options
module.exports = {
	semi: true,
	trailingComma: 'all',
	bracketSpacing: true,
	useTabs: true,
	tabWidth: 2,
	arrowParens: 'always',
	singleQuote: true,
	quoteProps: 'as-needed',
	endOfLine: 'lf',
	printWidth: 100,
};
