/**
 * Run by hand when the OpenAPI files change:
 *   npx ts-node --transpile-only test/simulator/contract/extract-openapi-facts.ts [openapi-folder]
 * Reads Adobe's OpenAPI 2.0 files (default /work/shared/marketo/openapi) and writes
 * openapi-facts.json next to this file: for every operation the simulator serves, its
 * method, path, operationId, parameters, the JSON body schema (when it takes one) and the
 * 200 response schema, with $refs inlined.
 * Tests read only the generated JSON, never the OpenAPI files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES } from '../routes';

interface SwaggerParameter {
	name: string;
	in: string;
	required?: boolean;
	type?: string;
	enum?: string[];
	/** The schema of a JSON body parameter. */
	schema?: unknown;
}

interface SwaggerOperation {
	operationId: string;
	parameters?: SwaggerParameter[];
	responses: Record<string, { schema?: unknown }>;
	produces?: string[];
}

interface SwaggerFile {
	paths: Record<string, Record<string, SwaggerOperation>>;
	definitions: Record<string, unknown>;
}

/** Drops documentation-only keys so the facts stay small. */
const DROPPED_KEYS = new Set(['description', 'example', 'title', 'xml']);

function inline(node: unknown, definitions: Record<string, unknown>, depth = 0): unknown {
	if (depth > 20) throw new Error('Schema nesting too deep (recursive $ref?)');
	if (Array.isArray(node)) return node.map((n) => inline(n, definitions, depth));
	if (!node || typeof node !== 'object') return node;
	const record = node as Record<string, unknown>;
	if (typeof record.$ref === 'string') {
		const name = record.$ref.replace('#/definitions/', '');
		return inline(definitions[name], definitions, depth + 1);
	}
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(record)) {
		// `properties` holds field names (one may be called "description"): keep them all.
		if (DROPPED_KEYS.has(key) && typeof value !== 'object') continue;
		out[key] =
			key === 'properties'
				? inlineProperties(value, definitions, depth)
				: inline(value, definitions, depth);
	}
	return out;
}

function inlineProperties(
	value: unknown,
	definitions: Record<string, unknown>,
	depth: number,
): unknown {
	const out: Record<string, unknown> = {};
	for (const [name, schema] of Object.entries(value as Record<string, unknown>))
		out[name] = inline(schema, definitions, depth);
	return out;
}

function main(): void {
	const folder = process.argv[2] ?? '/work/shared/marketo/openapi';
	const files = ['swagger-mapi.json', 'swagger-asset.json', 'swagger-identity.json'].map(
		(name) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as SwaggerFile,
	);
	const facts = [];
	for (const route of ROUTES) {
		const found = files
			.map((file) => ({ file, op: file.paths[route.template]?.[route.method.toLowerCase()] }))
			.find((candidate) => candidate.op?.operationId === route.operationId);
		if (!found?.op)
			throw new Error(
				`No OpenAPI operation ${route.method} ${route.template} (${route.operationId})`,
			);
		const { op, file } = found;
		const body = (op.parameters ?? []).find((p) => p.in === 'body');
		facts.push({
			method: route.method,
			path: route.template,
			operationId: op.operationId,
			produces: op.produces ?? [],
			parameters: (op.parameters ?? []).map((p) => ({
				name: p.name,
				in: p.in,
				required: p.required ?? false,
				...(p.type ? { type: p.type } : {}),
				...(p.enum ? { enum: p.enum } : {}),
			})),
			response200: inline(op.responses['200']?.schema ?? {}, file.definitions),
			// Only operations that take a JSON body (extract create) have one.
			...(body?.schema ? { bodySchema: inline(body.schema, file.definitions) } : {}),
		});
	}
	const target = join(__dirname, 'openapi-facts.json');
	writeFileSync(
		target,
		JSON.stringify(
			{ source: 'Adobe marketo-apis OpenAPI 2.0 (Apache-2.0)', operations: facts },
			null,
			'\t',
		) + '\n',
	);
	process.stdout.write(`Wrote ${facts.length} operations to ${target}\n`);
}

main();
