import type {
	ICredentialType,
	ICredentialTypes,
	IDataObject,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
} from 'n8n-workflow';

import { MarketoApi } from '../../credentials/MarketoApi.credentials';

/** The credential types the harness knows: the package's own, plus any a test adds. */
export class HarnessCredentialTypes implements ICredentialTypes {
	private readonly types = new Map<string, ICredentialType>();

	constructor(extra: ICredentialType[] = []) {
		for (const type of [new MarketoApi(), ...extra]) this.types.set(type.name, type);
	}

	recognizes(type: string): boolean {
		return this.types.has(type);
	}

	getByName(type: string): ICredentialType {
		const found = this.types.get(type);
		if (!found) throw new Error(`Harness: unknown credential type "${type}"`);
		return found;
	}

	getSupportedNodes(): string[] {
		return [];
	}

	getParentTypes(type: string): string[] {
		return this.types.get(type)?.extends ?? [];
	}
}

/** One node type under test, registered under a fixed type name. */
export class SingleNodeTypes implements INodeTypes {
	constructor(
		private readonly typeName: string,
		private readonly nodeType: INodeType,
	) {}

	getByName(type: string): INodeType | IVersionedNodeType {
		return this.getByNameAndVersion(type);
	}

	getByNameAndVersion(type: string): INodeType {
		if (type !== this.typeName) throw new Error(`Harness: unknown node type "${type}"`);
		return this.nodeType;
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}
