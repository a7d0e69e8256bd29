/**
 * HTTP helpers for the extract tests (and the contract test): JSON posts, raw file reads with
 * their headers, and one call per extract step for each object type.
 */
import { firstResult, type HttpResult } from '../../testkit';
import type { RunningSimulator } from '../../types';

export type ExtractPath = 'leads' | 'activities' | 'program/members' | `customobjects/${string}`;

async function toResult(response: Response): Promise<HttpResult> {
	const text = await response.text();
	return {
		status: response.status,
		text,
		contentType: response.headers.get('content-type') ?? '',
		json: <T>() => JSON.parse(text) as T,
	};
}

export async function apiPost(
	sim: RunningSimulator,
	path: string,
	token: string,
	body?: unknown,
): Promise<HttpResult> {
	const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	const init: RequestInit = { method: 'POST', headers };
	if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
	return toResult(await fetch(`${sim.baseUrl}${path}`, init));
}

export async function apiGetJson(sim: RunningSimulator, path: string, token: string) {
	return toResult(
		await fetch(`${sim.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } }),
	);
}

export interface RawAnswer {
	status: number;
	headers: Headers;
	body: Buffer;
}

export async function rawGet(
	sim: RunningSimulator,
	path: string,
	token: string,
	headers: Record<string, string> = {},
): Promise<RawAnswer> {
	const response = await fetch(`${sim.baseUrl}${path}`, {
		headers: { Authorization: `Bearer ${token}`, ...headers },
	});
	return {
		status: response.status,
		headers: response.headers,
		body: Buffer.from(await response.arrayBuffer()),
	};
}

/** The calls of one object type's extract API. */
export function extractApi(sim: RunningSimulator, token: string, type: ExtractPath) {
	const base = `/bulk/v1/${type}/export`;
	return {
		create: (body: unknown) => apiPost(sim, `${base}/create.json`, token, body),
		enqueue: (id: string) => apiPost(sim, `${base}/${id}/enqueue.json`, token),
		status: (id: string) => apiGetJson(sim, `${base}/${id}/status.json`, token),
		cancel: (id: string) => apiPost(sim, `${base}/${id}/cancel.json`, token),
		list: (query = '') => apiGetJson(sim, `/bulk/v1/${type}/export.json${query}`, token),
		file: (id: string, headers?: Record<string, string>) =>
			rawGet(sim, `${base}/${id}/file.json`, token, headers),
		/** Creates and enqueues; returns the export id. */
		start: async (body: unknown): Promise<string> => {
			const id = firstResult(await apiPost(sim, `${base}/create.json`, token, body))
				.exportId as string;
			firstResult(await apiPost(sim, `${base}/${id}/enqueue.json`, token));
			return id;
		},
	};
}

export function isoRange(fromMs: number, toMs: number) {
	const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
	return { startAt: iso(fromMs), endAt: iso(toMs) };
}

/** One answer of every JSON extract route (and activity types), for the contract test. */
export async function extractContractResponses(
	sim: RunningSimulator,
	token: string,
	now: number,
): Promise<Array<[string, HttpResult]>> {
	const createdAt = isoRange(now - 3600_000, now + 3600_000);
	const types: Array<[string, ExtractPath, unknown]> = [
		['Leads', 'leads', { fields: ['id', 'email'], filter: { createdAt } }],
		['Activities', 'activities', { filter: { createdAt } }],
		[
			'ProgramMembers',
			'program/members',
			{ fields: ['leadId', 'statusName'], filter: { programId: 1001 } },
		],
		['CustomObjects', 'customobjects/car_c', { fields: ['vin'], filter: { updatedAt: createdAt } }],
	];
	const responses: Array<[string, HttpResult]> = [];
	for (const [ids, path, body] of types) {
		const api = extractApi(sim, token, path);
		const created = await api.create(body);
		const id = firstResult(created).exportId as string;
		responses.push([`createExport${ids}UsingPOST`, created]);
		responses.push([`enqueueExport${ids}UsingPOST`, await api.enqueue(id)]);
		responses.push([`getExport${ids}StatusUsingGET`, await api.status(id)]);
		responses.push([`cancelExport${ids}UsingPOST`, await api.cancel(id)]);
		responses.push([`getExport${ids}UsingGET`, await api.list('?status=cancelled,completed')]);
	}
	responses.push([
		'getAllActivityTypesUsingGET',
		await apiGetJson(sim, '/rest/v1/activities/types.json', token),
	]);
	return responses;
}
