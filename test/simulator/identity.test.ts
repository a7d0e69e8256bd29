import { createFakeClock, startSimulator, type RunningSimulator } from './index';
import { apiGet, errorCode, getToken } from './testkit';

describe('identity and bearer-only authentication', () => {
	const clock = createFakeClock();
	let sim: RunningSimulator;

	beforeAll(async () => {
		sim = await startSimulator({
			clock,
			tokenLifetimeSeconds: 3600,
			limits: { callsPerWindow: 1 },
		});
	});
	afterAll(async () => await sim.close());
	beforeEach(() => sim.state.resetUsage());

	const tokenUrl = (id: string, secret: string) =>
		`${sim.identityUrl}/oauth/token?grant_type=client_credentials&client_id=${encodeURIComponent(id)}&client_secret=${encodeURIComponent(secret)}`;

	it('issues a bearer token with the API user as scope, and the same token with its remaining life', async () => {
		const first = (await (await fetch(tokenUrl(sim.clientId, sim.clientSecret))).json()) as Record<
			string,
			unknown
		>;
		expect(first).toEqual({
			access_token: expect.any(String),
			token_type: 'bearer',
			expires_in: 3600,
			scope: 'n8n-api-user@simulator.example.com',
		});
		clock.advance(100_000);
		const again = (await (
			await fetch(tokenUrl(sim.clientId, sim.clientSecret), { method: 'POST' })
		).json()) as Record<string, unknown>;
		expect(again.access_token).toBe(first.access_token);
		expect(again.expires_in).toBe(3500);
	});

	it('accepts POST with the credentials as form fields', async () => {
		const body = new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: sim.clientId,
			client_secret: sim.clientSecret,
		});
		const response = await fetch(`${sim.identityUrl}/oauth/token`, { method: 'POST', body });
		expect(response.status).toBe(200);
		expect(((await response.json()) as Record<string, unknown>).token_type).toBe('bearer');
	});

	it('answers 401 invalid_client for a wrong secret or id, without echoing the secret', async () => {
		for (const url of [
			tokenUrl(sim.clientId, 'wrong-secret'),
			tokenUrl('nobody', sim.clientSecret),
		]) {
			const response = await fetch(url);
			expect(response.status).toBe(401);
			expect(await response.json()).toEqual({
				error: 'invalid_client',
				error_description: 'Bad client credentials',
			});
		}
		const logged = JSON.stringify(sim.state.callsTo('identity'));
		expect(logged).not.toContain(sim.clientSecret);
		expect(logged).not.toContain('wrong-secret');
	});

	it('does not count identity calls toward the rate window', async () => {
		await getToken(sim);
		await getToken(sim);
		const token = await getToken(sim);
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', token))).toBeUndefined();
	});

	it('answers 602 on the first use of an expired token, then 601', async () => {
		const token = await getToken(sim);
		clock.advance(3601_000);
		const first = await apiGet(sim, '/rest/v1/leads/partitions.json', token);
		expect(first.status).toBe(200);
		expect(first.json()).toMatchObject({
			success: false,
			errors: [{ code: '602', message: 'Access token expired' }],
		});
		const second = await apiGet(sim, '/rest/v1/leads/partitions.json', token);
		expect(second.json()).toMatchObject({
			errors: [{ code: '601', message: 'Access token invalid' }],
		});
		const fresh = await getToken(sim);
		expect(fresh).not.toBe(token);
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', fresh))).toBeUndefined();
	});

	it('answers 601 for an unknown token and for revoked tokens', async () => {
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', 'not-a-token'))).toBe(
			'601',
		);
		const token = await getToken(sim);
		sim.state.revokeTokens();
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json', token))).toBe('601');
		expect(await getToken(sim)).not.toBe(token);
		expect(sim.state.tokens.filter((t) => t.revoked).length).toBeGreaterThan(0);
	});

	it('refuses a valid token sent as access_token query parameter or form field', async () => {
		const token = await getToken(sim);
		const viaQuery = await apiGet(sim, `/rest/v1/leads/partitions.json?access_token=${token}`);
		expect(viaQuery.json()).toMatchObject({ success: false, errors: [{ code: '601' }] });
		expect(viaQuery.json<{ errors: Array<{ message: string }> }>().errors[0].message).toMatch(
			/no longer supported.*Authorization header/,
		);
		const form = new FormData();
		form.append('access_token', token);
		form.append('format', 'csv');
		form.append('file', new Blob(['email\na@b.co\n']), 'a.csv');
		const viaForm = await fetch(`${sim.baseUrl}/bulk/v1/leads.json`, {
			method: 'POST',
			body: form,
		});
		const body = (await viaForm.json()) as { errors: Array<{ code: string }> };
		expect(body.errors[0].code).toBe('601');
		const styles = sim.state.calls.slice(-2).map((c) => c.authStyle);
		expect(styles).toEqual(['query', 'form']);
		expect(JSON.stringify(sim.state.calls)).not.toContain(token);
		expect(errorCode(await apiGet(sim, '/rest/v1/leads/partitions.json'))).toBe('601');
	});
});
