/**
 * The OpenAPI contract, as extracted into openapi-facts.json, and a check other tests use
 * to prove the requests a node made are ones the contract allows:
 *
 *   assertRequestsMatchContract(sim.state.calls);
 */
import factsFile from './openapi-facts.json';
import type { CallRecord } from '../types';

export interface ParameterFact {
	name: string;
	in: string;
	required: boolean;
	type?: string;
	enum?: string[];
}

export interface OperationFact {
	method: string;
	path: string;
	operationId: string;
	produces: string[];
	parameters: ParameterFact[];
	response200: Record<string, unknown>;
	/** The JSON body schema, for operations that take one (extract create). */
	bodySchema?: BodySchema;
}

interface BodySchema {
	properties?: Record<string, BodySchema>;
}

export const OPERATION_FACTS: OperationFact[] = (factsFile as { operations: OperationFact[] })
	.operations;

function templateRegex(template: string): RegExp {
	const pattern = template
		.split(/(\{[^}]+\})/)
		.map((part) =>
			/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
		)
		.join('');
	return new RegExp(`^${pattern}$`);
}

const matchers = OPERATION_FACTS.map((fact) => ({ fact, regex: templateRegex(fact.path) }));

/** The operation a concrete request path belongs to (the most specific template wins). */
export function findOperation(method: string, path: string): OperationFact | undefined {
	const candidates = matchers.filter(
		(m) => m.fact.method === method.toUpperCase() && m.regex.test(path),
	);
	candidates.sort(
		(a, b) =>
			b.fact.path.replace(/\{[^}]+\}/g, '').length - a.fact.path.replace(/\{[^}]+\}/g, '').length,
	);
	return candidates[0]?.fact;
}

type CheckedCall = Pick<
	CallRecord,
	'method' | 'path' | 'query' | 'formFields' | 'fileField' | 'jsonBody'
>;

/**
 * Members of a JSON body (and of its `filter`) the body schema does not name. Only names are
 * checked: which members are required is where Adobe's pages and the schema differ (activity
 * `fields` is optional on the page, required in the schema).
 */
function bodyProblems(label: string, fact: OperationFact, body: unknown): string[] {
	if (body === undefined) return [];
	if (!fact.bodySchema) return [`${label}: a JSON body was sent, the contract takes none`];
	if (typeof body !== 'object' || body === null || Array.isArray(body))
		return [`${label}: the JSON body is not an object`];
	const problems: string[] = [];
	const check = (value: Record<string, unknown>, schema: BodySchema, where: string) => {
		for (const key of Object.keys(value)) {
			if (!schema.properties?.[key])
				problems.push(`${label}: ${where}'${key}' is not in the contract (${fact.operationId})`);
		}
	};
	check(body as Record<string, unknown>, fact.bodySchema, 'body member ');
	const filter = (body as Record<string, unknown>).filter;
	const filterSchema = fact.bodySchema.properties?.filter;
	if (filter && typeof filter === 'object' && !Array.isArray(filter) && filterSchema)
		check(filter as Record<string, unknown>, filterSchema, 'filter member ');
	return problems;
}

/** Problems of one logged call against the contract; [] when it conforms. */
export function contractProblems(call: CheckedCall): string[] {
	const label = `${call.method} ${call.path}`;
	const fact = findOperation(call.method, call.path);
	if (!fact) return [`${label}: no such operation in the OpenAPI contract`];
	const problems: string[] = bodyProblems(label, fact, call.jsonBody);
	const allowed = (place: string) =>
		fact.parameters.filter((p) => p.in === place).map((p) => p.name);
	const queryNames = Object.keys(call.query);
	const formNames = [...Object.keys(call.formFields), ...(call.fileField ? [call.fileField] : [])];
	for (const name of queryNames) {
		if (!allowed('query').includes(name)) {
			const elsewhere = fact.parameters.find((p) => p.name === name);
			problems.push(
				elsewhere
					? `${label}: '${name}' sent as query parameter, the contract puts it in ${elsewhere.in}`
					: `${label}: query parameter '${name}' is not in the contract (${fact.operationId})`,
			);
		}
	}
	for (const name of formNames) {
		if (!allowed('formData').includes(name)) {
			const elsewhere = fact.parameters.find((p) => p.name === name);
			problems.push(
				elsewhere
					? `${label}: '${name}' sent as form field, the contract puts it in ${elsewhere.in}`
					: `${label}: form field '${name}' is not in the contract (${fact.operationId})`,
			);
		}
	}
	for (const p of fact.parameters) {
		if (!p.required) continue;
		if (p.in === 'query' && !queryNames.includes(p.name))
			problems.push(`${label}: required query parameter '${p.name}' missing`);
		if (p.in === 'formData' && !formNames.includes(p.name))
			problems.push(`${label}: required form field '${p.name}' missing`);
		if (p.in === 'query' && p.enum && queryNames.includes(p.name)) {
			const value = call.query[p.name];
			// Enum letter case differs between the OpenAPI (CSV) and the docs (csv); compare without case.
			if (!p.enum.some((e) => e.toLowerCase() === value.toLowerCase())) {
				problems.push(`${label}: '${p.name}=${value}' is not one of ${p.enum.join(', ')}`);
			}
		}
	}
	return problems;
}

/** Throws one error listing every call that does not match the contract. Identity calls included. */
export function assertRequestsMatchContract(calls: ReadonlyArray<CheckedCall>): void {
	const problems = calls.flatMap((call) => contractProblems(call));
	if (problems.length > 0) {
		throw new Error(
			`Requests that do not match the Marketo OpenAPI contract:\n- ${problems.join('\n- ')}`,
		);
	}
}
