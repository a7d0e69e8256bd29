/**
 * How large one output file may be in n8n's binary data. A node cannot read n8n's settings (n8n
 * gives it no binary data mode and no N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE, and `$env` is
 * blocked by default), so: *Max File Size (MB)* when the user set it; otherwise the store is
 * recognised by the id n8n gives a binary it stored, and held to n8n's default limit for it.
 * docs/DECISIONS.md "Output larger than n8n's database binary store".
 */
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

/** n8n counts its limit in MiB (`fileSize / (1024 * 1024) > N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE`). */
export const MIB = 1024 * 1024;
/** N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE's default on n8n 1.123 and 2.x. */
export const DATABASE_STORE_DEFAULT_MIB = 512;
/**
 * n8n 1.x's default mode keeps a file inside the execution data as base64 text; V8 makes no string
 * over 2^29 - 24 characters, some 384 MiB of file. 256 leaves room for the rest of the execution.
 */
export const IN_MEMORY_STORE_MIB = 256;

export type StoreKind = 'database' | 'memory' | 'unlimited';

/** Pure: where n8n put a binary, from the id it gave it (`database:<id>`, none when in memory). */
export function storeKindOf(binary: IBinaryData): StoreKind {
	if (!binary.id) return 'memory';
	return binary.id.startsWith('database:') ? 'database' : 'unlimited';
}

/** Pure: the largest file the node stores by itself in a store of this kind, in bytes. */
export function automaticLimitBytes(kind: StoreKind): number {
	if (kind === 'database') return DATABASE_STORE_DEFAULT_MIB * MIB;
	if (kind === 'memory') return IN_MEMORY_STORE_MIB * MIB;
	return Infinity;
}

/**
 * The limit for a file expected to be `expectedBytes` long (null: unknown). `maxFileMb` > 0 is the
 * user's, in any mode. Otherwise a file small enough for every store is not cut, and the store is
 * looked at only when one may not be: an empty binary is stored once and its id read (n8n deletes
 * it with the execution's other binary data).
 */
export function storeLimit(
	context: IExecuteFunctions,
	maxFileMb: number,
): (expectedBytes: number | null) => Promise<number> {
	if (maxFileMb > 0) return async () => maxFileMb * MIB;
	let kind: Promise<StoreKind> | undefined;
	return async (expectedBytes) => {
		if (expectedBytes !== null && expectedBytes <= IN_MEMORY_STORE_MIB * MIB) return Infinity;
		kind ??= context.helpers
			.prepareBinaryData(Buffer.alloc(0), 'store-probe.txt', 'text/plain')
			.then(storeKindOf);
		return automaticLimitBytes(await kind);
	};
}
