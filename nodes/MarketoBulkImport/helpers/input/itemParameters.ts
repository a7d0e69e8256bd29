import {
	deepCopy,
	type IDataObject,
	type IExecuteFunctions,
	type INodeParameters,
} from 'n8n-workflow';

import { holdsExpression } from './itemGroups';

/**
 * Items input: the node's parameters read item by item. n8n resolves a parameter anew on every
 * `getNodeParameter` call (a copy of its value, expressions, type checks), which adds up over
 * 100,000 items; a parameter whose stored value holds no expression gives every item the same
 * value, so it is read once (for item 0) and only those with an expression are read per item.
 */

/** Pure: the stored (raw) value at a dotted parameter path, as the workflow holds it. */
export function rawParameter(parameters: INodeParameters, path: string): unknown {
	let value: unknown = parameters;
	for (const key of path.split('.')) value = (value as IDataObject | undefined)?.[key];
	return value;
}

/**
 * `context` whose `getNodeParameter` reads a parameter without an expression once and hands each
 * caller its own copy; a read that fails for item 0 is made per item, so its error names the item.
 */
export function readingFixedParametersOnce(context: IExecuteFunctions): IExecuteFunctions {
	const { parameters } = context.getNode();
	const once = new Map<string, { value: unknown }>();
	const getNodeParameter = (
		name: string,
		itemIndex: number,
		...rest: [fallback?: unknown, options?: IDataObject]
	): unknown => {
		const perItem = () =>
			(context.getNodeParameter as (...args: unknown[]) => unknown)(name, itemIndex, ...rest);
		if (holdsExpression(rawParameter(parameters, name))) return perItem();
		const key = JSON.stringify([name, ...rest]);
		let read = once.get(key);
		if (read === undefined) {
			try {
				read = {
					value: (context.getNodeParameter as (...args: unknown[]) => unknown)(name, 0, ...rest),
				};
			} catch {
				return perItem();
			}
			once.set(key, read);
		}
		const { value } = read;
		return value !== null && typeof value === 'object' ? deepCopy(value as IDataObject) : value;
	};
	return new Proxy(context, {
		get(target, property) {
			if (property === 'getNodeParameter') return getNodeParameter;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
		},
	});
}
