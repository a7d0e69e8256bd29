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

/** Problems of one logged call against the contract; [] when it conforms. */
export function contractProblems(
	call: Pick<CallRecord, 'method' | 'path' | 'query' | 'formFields' | 'fileField'>,
): string[] {
	const label = `${call.method} ${call.path}`;
	const fact = findOperation(call.method, call.path);
	if (!fact) return [`${label}: no such operation in the OpenAPI contract`];
	const problems: string[] = [];
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
export function assertRequestsMatchContract(
	calls: ReadonlyArray<Pick<CallRecord, 'method' | 'path' | 'query' | 'formFields' | 'fileField'>>,
): void {
	const problems = calls.flatMap((call) => contractProblems(call));
	if (problems.length > 0) {
		throw new Error(
			`Requests that do not match the Marketo OpenAPI contract:\n- ${problems.join('\n- ')}`,
		);
	}
}
