/**
 * Marketo's identity service: client-credentials tokens that are reused while they live
 * (the same token comes back with its remaining life), one set per API user (client id),
 * and the 601/602 distinction when an API call presents a token.
 */
import type { Prng } from './prng';
import type { ApiUserDefinition, TokenRecord } from './types';

export type TokenCheck =
	| { ok: true; clientId: string }
	| { ok: false; code: '601' | '602'; message: string };

interface TokenEntry extends TokenRecord {
	/** Marketo answers 602 only on the first use after expiry, then 601. */
	expiryReported: boolean;
	/** Expired by expireAll: whatever the clock says, including calls dated before it. */
	expiredEarly?: boolean;
}

export class TokenStore {
	private readonly entries: TokenEntry[] = [];

	constructor(
		private readonly lifetimeSeconds: number,
		private readonly prng: Prng,
	) {}

	get tokens(): TokenRecord[] {
		return this.entries.map(({ accessToken, issuedAt, expiresAt, revoked, clientId }) => ({
			accessToken,
			issuedAt,
			expiresAt,
			revoked,
			clientId,
		}));
	}

	/** The live token (same one while it lives) and its remaining life in whole seconds. */
	issue(now: number, clientId: string): { accessToken: string; expiresIn: number } {
		const live = this.entries.find(
			(t) => t.clientId === clientId && !t.revoked && !t.expiredEarly && t.expiresAt - now >= 1000,
		);
		if (live)
			return {
				accessToken: live.accessToken,
				expiresIn: Math.floor((live.expiresAt - now) / 1000),
			};
		// Marketo tokens look like "<uuid>:<datacenter>".
		const p = this.prng;
		const accessToken = `${p.hex(8)}-${p.hex(4)}-4${p.hex(3)}-a${p.hex(3)}-${p.hex(12)}:sj`;
		this.entries.push({
			accessToken,
			issuedAt: now,
			expiresAt: now + this.lifetimeSeconds * 1000,
			revoked: false,
			expiryReported: false,
			clientId,
		});
		return { accessToken, expiresIn: this.lifetimeSeconds };
	}

	check(accessToken: string, now: number): TokenCheck {
		const entry = this.entries.find((t) => t.accessToken === accessToken);
		if (!entry || entry.revoked) return { ok: false, code: '601', message: 'Access token invalid' };
		if (entry.expiredEarly || now >= entry.expiresAt) {
			if (!entry.expiryReported) {
				entry.expiryReported = true;
				return { ok: false, code: '602', message: 'Access token expired' };
			}
			return { ok: false, code: '601', message: 'Access token invalid' };
		}
		return { ok: true, clientId: entry.clientId };
	}

	revokeAll(): void {
		for (const entry of this.entries) entry.revoked = true;
	}

	/**
	 * Every token expires at `now`. A call already in the simulator meets the expiry too, so a
	 * test that expires tokens when a call arrives knows that call is the one refused.
	 */
	expireAll(now: number): void {
		for (const entry of this.entries) {
			entry.expiresAt = Math.min(entry.expiresAt, now);
			entry.expiredEarly = true;
		}
	}
}

/**
 * The identity endpoint's answer to a client-credentials request: a token for the API user
 * whose id and secret match, OAuth errors otherwise.
 */
export function identityAnswer(
	value: (name: string) => string | undefined,
	users: Array<Required<ApiUserDefinition>>,
	tokens: TokenStore,
	now: number,
): { status: number; json: Record<string, unknown> } {
	if (value('grant_type') !== 'client_credentials') {
		return {
			status: 400,
			json: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' },
		};
	}
	const user = users.find(
		(u) => u.clientId === value('client_id') && u.clientSecret === value('client_secret'),
	);
	if (!user) {
		return {
			status: 401,
			json: { error: 'invalid_client', error_description: 'Bad client credentials' },
		};
	}
	const token = tokens.issue(now, user.clientId);
	return {
		status: 200,
		json: {
			access_token: token.accessToken,
			token_type: 'bearer',
			expires_in: token.expiresIn,
			scope: user.apiUserEmail,
		},
	};
}
