import type { INodePropertyMode } from 'n8n-workflow';

/** A resource locator mode; built by parts, as n8n's lint rules read a literal with these keys as a parameter. */
function mode(
	displayName: string,
	name: string,
	details: Omit<INodePropertyMode, 'displayName' | 'name'>,
): INodePropertyMode {
	return { displayName, name, ...details };
}

/**
 * The two ways to pick a list or a program the nodes offer: from the instance's list (a
 * `listSearch` method) or typed by ID, checked to be a number before anything runs.
 */
export function listOrIdModes(options: {
	searchListMethod: string;
	listPlaceholder: string;
	idPlaceholder: string;
	idError: string;
}): INodePropertyMode[] {
	return [
		mode('From List', 'list', {
			type: 'list',
			placeholder: options.listPlaceholder,
			typeOptions: { searchListMethod: options.searchListMethod, searchable: true },
		}),
		mode('By ID', 'id', {
			type: 'string',
			placeholder: options.idPlaceholder,
			validation: [
				{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: options.idError } },
			],
		}),
	];
}
