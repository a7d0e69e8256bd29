import type { INodeProperties } from 'n8n-workflow';

import { MarketoBulkImport } from '../../../nodes/MarketoBulkImport/MarketoBulkImport.node';

const node = new MarketoBulkImport();
const { properties } = node.description;

function property(name: string): INodeProperties {
	const found = properties.filter((p) => p.name === name);
	expect(found).toHaveLength(1);
	return found[0];
}

describe('Marketo Bulk Import description', () => {
	it('identifies the node as the codex and package expect', () => {
		expect(node.description).toMatchObject({
			name: 'marketoBulkImport',
			displayName: 'Marketo Bulk Import',
			group: ['output'],
			version: [1, 2],
			defaultVersion: 2,
			usableAsTool: true,
			credentials: [{ name: 'marketoApi', required: true }],
			icon: { light: 'file:marketo.svg', dark: 'file:marketo.dark.svg' },
		});
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const codex = require('../../../nodes/MarketoBulkImport/MarketoBulkImport.node.json');
		expect(codex.node).toBe('n8n-nodes-marketo-bulk.marketoBulkImport');
		expect(codex.categories).toEqual(['Marketing']);
	});

	it('offers the three import operations', () => {
		const operation = property('operation');
		expect(operation.options?.map((o) => ('value' in o ? o.value : undefined)).sort()).toEqual([
			'importCustomObjects',
			'importLeads',
			'importProgramMembers',
		]);
		expect(operation.default).toBe('importLeads');
	});

	it.each([
		['lookupField', 'importLeads'],
		['list', 'importLeads'],
		['partitionName', 'importLeads'],
		['programSource', 'importProgramMembers'],
		['memberStatusSource', 'importProgramMembers'],
		['customObject', 'importCustomObjects'],
	])('shows %s only for %s', (name, operation) => {
		expect(property(name).displayOptions).toEqual({ show: { operation: [operation] } });
	});

	it.each([
		['program', 'programSource', 'fixed'],
		['programColumn', 'programSource', 'column'],
		['programMemberStatus', 'memberStatusSource', 'fixed'],
		['memberStatusColumn', 'memberStatusSource', 'column'],
	])('shows %s for program members when %s is %s', (name, source, value) => {
		expect(property(name).displayOptions).toEqual({
			show: { operation: ['importProgramMembers'], [source]: [value] },
		});
	});

	it('reads the status and program from columns named status and programId by default', () => {
		expect(property('memberStatusSource').default).toBe('fixed');
		expect(property('programSource').default).toBe('fixed');
		expect(property('memberStatusColumn').default).toBe('status');
		expect(property('programColumn').default).toBe('programId');
	});

	it('defaults the lookup field to email and makes the list and partition optional', () => {
		expect(property('lookupField').default).toBe('email');
		expect(property('list').required).toBeFalsy();
		expect(property('partitionName').default).toBe('');
	});

	it('reloads member statuses when the program changes', () => {
		expect(property('programMemberStatus').typeOptions).toMatchObject({
			loadOptionsMethod: 'getProgramMemberStatuses',
			loadOptionsDependsOn: ['program.value'],
		});
		expect(property('program').required).toBe(true);
	});

	it('wires every dropdown to a method the node has', () => {
		const loadOptionsMethods = Object.keys(node.methods.loadOptions);
		const listSearchMethods = Object.keys(node.methods.listSearch);
		for (const p of properties) {
			const method = p.typeOptions?.loadOptionsMethod;
			if (method) expect(loadOptionsMethods).toContain(method);
			for (const mode of p.modes ?? []) {
				const search = mode.typeOptions?.searchListMethod;
				if (search) expect(listSearchMethods).toContain(search);
			}
		}
	});

	it('shows the binary field and detected format for files, the format and columns for items', () => {
		expect(property('binaryPropertyName')).toMatchObject({
			default: 'data',
			displayOptions: { show: { inputSource: ['binary'] } },
		});
		expect(property('fileFormat')).toMatchObject({
			default: 'auto',
			displayOptions: { show: { inputSource: ['binary'] } },
		});
		expect(property('itemsFormat')).toMatchObject({
			default: 'csv',
			displayOptions: { show: { inputSource: ['items'] } },
		});
		// Version 1 keeps the free-text Columns list; version 2 maps columns with a resource mapper.
		expect(property('columns').displayOptions).toEqual({
			show: { inputSource: ['items'], '@version': [1] },
		});
		expect(property('columnMapping')).toMatchObject({
			type: 'resourceMapper',
			default: { mappingMode: 'autoMapInputData', value: null },
			typeOptions: {
				resourceMapper: {
					resourceMapperMethod: 'getMappingColumns',
					mode: 'add',
					supportAutoMap: true,
				},
			},
			displayOptions: { show: { inputSource: ['items'], '@version': [{ _cnd: { gte: 2 } }] } },
		});
		expect(node.methods.resourceMapping.getMappingColumns).toBeDefined();
	});

	it('has the documented options with their defaults', () => {
		const options = property('options').options as INodeProperties[];
		const byName = Object.fromEntries(options.map((o) => [o.name, o]));
		expect(byName.preflightCheck.default).toBe(true);
		expect(byName.partSizeMb).toMatchObject({ default: 10, typeOptions: { maxValue: 10 } });
		expect(byName.queueWaitMinutes.default).toBe(60);
		expect(byName.fileName.default).toBe('');
		// n8n sorts collection options alphabetically; keep them that way.
		const names = options.map((o) => o.displayName);
		expect(names).toEqual([...names].sort());
	});
});
