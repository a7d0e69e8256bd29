// n8n loads this package through the "n8n" section of package.json, not
// through this entry point; it exists so `require('n8n-nodes-marketo-bulk')`
// resolves and lists what the package provides.
module.exports = {
	credentials: ['MarketoApi'],
	nodes: ['MarketoBulkImport', 'MarketoBulkExtract', 'MarketoWaitForBatch'],
};
