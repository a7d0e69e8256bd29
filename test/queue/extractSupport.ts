/**
 * What the queue-mode extract checks need beside the cluster: a warehouse database in the
 * cluster's PostgreSQL for example 09 (read with the `pg` client n8n itself ships), the bytes of
 * a binary n8n stored in its database (table `binary_data`), an extract workflow posted to by a
 * webhook, and an extract file's records read with the project's one reading of a delimited file.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';

import type { QueueCluster } from '../../scripts/n8n-queue';
import type { StoredCredential } from '../../scripts/n8n-runtime';
import { createRowReader } from '../../nodes/shared/csv/parser';
import type { Workflow } from './support';

export const WAREHOUSE_DATABASE = 'warehouse';

interface PgClient {
	connect(): Promise<void>;
	query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
	end(): Promise<void>;
}

/** A client of the cluster's PostgreSQL, from the n8n runtime's own `pg` package. */
function pgClient(cluster: QueueCluster, database: string): PgClient {
	const { Client } = createRequire(
		path.join(cluster.runtime.dir, 'node_modules', 'n8n', 'package.json'),
	)('pg') as { Client: new (config: Record<string, unknown>) => PgClient };
	const { host, port, user, password } = cluster.stack.postgres;
	return new Client({ host, port, user, password, database });
}

export async function query(
	cluster: QueueCluster,
	database: string,
	text: string,
	values?: unknown[],
): Promise<Array<Record<string, unknown>>> {
	const client = pgClient(cluster, database);
	await client.connect();
	try {
		return (await client.query(text, values)).rows;
	} finally {
		await client.end();
	}
}

/** Makes the warehouse database; returns n8n's Postgres credential for it. */
export async function createWarehouse(
	cluster: QueueCluster,
	id: string,
): Promise<StoredCredential> {
	await query(cluster, cluster.stack.postgres.database, `CREATE DATABASE ${WAREHOUSE_DATABASE}`);
	const { host, port, user, password } = cluster.stack.postgres;
	return {
		id,
		name: `Warehouse ${id}`,
		type: 'postgres',
		data: {
			host,
			port,
			database: WAREHOUSE_DATABASE,
			user,
			password,
			ssl: 'disable',
			allowUnauthorizedCerts: false,
			sshTunnel: false,
			maxConnections: 20,
		},
	};
}

/** The bytes n8n keeps for a binary in its database store (`database:<fileId>`). */
export async function storedBinary(cluster: QueueCluster, binaryId: string): Promise<Buffer> {
	const match = /^database:(.+)$/.exec(binaryId);
	if (!match) throw new Error(`binary ${binaryId} is not in n8n's database store`);
	const [row] = await query(
		cluster,
		cluster.stack.postgres.database,
		'SELECT data FROM binary_data WHERE "fileId" = $1',
		[match[1]],
	);
	if (!row) throw new Error(`binary ${binaryId}: no row in binary_data`);
	return row.data as Buffer;
}

/** An extract's file as records (header -> value), read as the node reads files. */
export function recordsOf(file: Buffer): Array<Record<string, string>> {
	const reader = createRowReader(',', { skipEmptyLines: true });
	const [header, ...rows] = [...reader.write(file), ...reader.end()];
	return rows.map((row) => Object.fromEntries(header.map((column, i) => [column, row[i] ?? ''])));
}

/** A webhook that starts a leads extract (the caller is answered at once). */
export function largeExtractWorkflow(options: {
	id: string;
	path: string;
	credential: StoredCredential;
	rangeStart: number;
	rangeEnd: number;
	extractOptions: Record<string, unknown>;
}): Workflow {
	return {
		id: options.id,
		name: `Large extract (${options.id})`,
		active: false,
		settings: {},
		connections: {
			Webhook: { main: [[{ node: 'Extract leads', type: 'main', index: 0 }]] },
		},
		nodes: [
			{
				id: `${options.id}-webhook`,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 300],
				webhookId: `${options.id}-hook`,
				parameters: { httpMethod: 'POST', path: options.path, options: {} },
			},
			{
				id: `${options.id}-extract`,
				name: 'Extract leads',
				type: 'n8n-nodes-marketo-bulk.marketoBulkExtract',
				typeVersion: 1,
				position: [250, 300],
				parameters: {
					operation: 'extractLeads',
					fieldsSource: 'selected',
					fields: ['id', 'email', 'createdAt'],
					leadFilter: 'createdAt',
					rangeStart: new Date(options.rangeStart).toISOString(),
					rangeEnd: new Date(options.rangeEnd).toISOString(),
					options: { fileName: 'large-leads', ...options.extractOptions },
				},
				credentials: { marketoApi: { id: options.credential.id, name: options.credential.name } },
			},
		],
	} as unknown as Workflow;
}
