import type { IExecuteFunctions, INode, INodeParameters } from 'n8n-workflow';

import { readingFixedParametersOnce } from '../../../nodes/MarketoBulkImport/helpers/input/itemParameters';

/** A context whose parameters resolve per item as n8n's do: `={{ item }}` gives the item index; every read is logged. */
function contextWith(parameters: INodeParameters) {
	const reads: Array<[string, number]> = [];
	const resolve = (value: unknown, itemIndex: number): unknown => {
		if (typeof value === 'string') return value === '={{ item }}' ? itemIndex : value;
		if (value !== null && typeof value === 'object')
			return Object.fromEntries(
				Object.entries(value).map(([key, inner]) => [key, resolve(inner, itemIndex)]),
			);
		return value;
	};
	const context = {
		getNode: () => ({ name: 'Marketo Bulk Import', parameters }) as unknown as INode,
		getNodeParameter(name: string, itemIndex: number, fallback?: unknown) {
			reads.push([name, itemIndex]);
			let value: unknown = parameters;
			for (const key of name.split('.')) value = (value as Record<string, unknown>)?.[key];
			if (value === 'fails for item 0' && itemIndex === 0) throw new Error('item 0 cannot');
			return value === undefined ? fallback : resolve(value, itemIndex);
		},
		continueOnFail: () => false,
	} as unknown as IExecuteFunctions;
	return { context, reads };
}

describe('readingFixedParametersOnce', () => {
	const parameters: INodeParameters = {
		lookupField: 'email',
		list: { __rl: true, mode: 'id', value: '={{ item }}' },
		columnMapping: { mappingMode: 'defineBelow', value: { email: 'a@x.com', company: 'Acme' } },
		partitionName: 'fails for item 0',
	};

	it('reads a parameter without an expression once, and one with an expression (nested too) for every item', () => {
		const { context, reads } = contextWith(parameters);
		const reader = readingFixedParametersOnce(context);

		const got = [0, 1, 2].map((item) => [
			reader.getNodeParameter('lookupField', item, 'email'),
			reader.getNodeParameter('list', item, ''),
			reader.getNodeParameter('columnMapping.value', item, {}),
		]);

		expect(got).toEqual(
			[0, 1, 2].map((item) => [
				'email',
				{ __rl: true, mode: 'id', value: item },
				{ email: 'a@x.com', company: 'Acme' },
			]),
		);
		expect(reads).toEqual([
			['lookupField', 0],
			['list', 0],
			['columnMapping.value', 0],
			['list', 1],
			['list', 2],
		]);
	});

	it('gives every item its own copy of an object read once', () => {
		const reader = readingFixedParametersOnce(contextWith(parameters).context);
		const first = reader.getNodeParameter('columnMapping.value', 0, {}) as Record<string, unknown>;
		first.email = 'changed';
		expect(reader.getNodeParameter('columnMapping.value', 1, {})).toEqual({
			email: 'a@x.com',
			company: 'Acme',
		});
	});

	it('reads per item a parameter whose read fails for item 0, so a failure names its own item', () => {
		const { context, reads } = contextWith(parameters);
		const reader = readingFixedParametersOnce(context);
		expect(reader.getNodeParameter('partitionName', 1, '')).toBe('fails for item 0');
		expect(reads).toEqual([
			['partitionName', 0],
			['partitionName', 1],
		]);
	});

	it('passes everything else to the context', () => {
		const { context } = contextWith(parameters);
		const reader = readingFixedParametersOnce(context);
		expect(reader.getNode().parameters).toBe(parameters);
		expect(reader.continueOnFail()).toBe(false);
	});
});
