/**
 * Fault injection: scripted one-shot faults first (precise tests), then random faults drawn
 * from the seeded PRNG (soak tests). Decides only; the server carries the answer out.
 */
import type { Prng } from './prng';
import type { FaultAnswer, RandomFaults, ScriptedFault, TransientEnvelopeCode } from './types';

export const DEFAULT_RANDOM_FAULTS: RandomFaults = {
	http5xxRate: 0,
	gateway502Rate: 0,
	envelopeErrorRates: {},
	connectionResetRate: 0,
	slowResponseRate: 0,
	slowResponseMs: 0,
	includeIdentity: false,
};

export const ENVELOPE_FAULT_MESSAGES: Record<TransientEnvelopeCode, string> = {
	'604': 'Request timed out',
	'608': 'API Temporarily Unavailable',
	'611': 'System error',
	'713': 'Transient Error',
};

export interface FaultDecision {
	/** Faults applied before the request is handled (delays first, then at most one answer). */
	delayMs: number;
	before?: FaultAnswer;
	/** A scripted answer that replaces the normal one after handling. */
	after?: FaultAnswer;
	/** Label for the call log. */
	label?: string;
}

interface PendingScripted extends ScriptedFault {
	remaining: number;
}

export class FaultInjector {
	random: RandomFaults;
	private scripted: PendingScripted[] = [];

	constructor(
		random: Partial<RandomFaults>,
		private readonly prng: Prng,
	) {
		this.random = { ...DEFAULT_RANDOM_FAULTS, ...random };
	}

	script(fault: ScriptedFault): void {
		this.scripted.push({ ...fault, remaining: fault.times ?? 1 });
	}

	clearScripted(): void {
		this.scripted = [];
	}

	private matches(fault: PendingScripted, method: string, path: string, route: string): boolean {
		if (fault.remaining <= 0) return false;
		if (fault.method && fault.method !== method) return false;
		if (fault.route && fault.route !== route) return false;
		if (typeof fault.path === 'string' && fault.path !== path) return false;
		if (fault.path instanceof RegExp && !fault.path.test(path)) return false;
		return true;
	}

	decide(method: string, path: string, route: string): FaultDecision {
		const decision: FaultDecision = { delayMs: 0 };
		const scripted = this.scripted.find((f) => this.matches(f, method, path, route));
		if (scripted) {
			scripted.remaining--;
			this.scripted = this.scripted.filter((f) => f.remaining > 0);
			decision.label = `scripted:${scripted.answer.kind}`;
			if (scripted.answer.kind === 'delay') decision.delayMs = scripted.answer.ms;
			else if (scripted.when === 'after') decision.after = scripted.answer;
			else decision.before = scripted.answer;
			return decision;
		}
		const r = this.random;
		if (route === 'identity' && !r.includeIdentity) return decision;
		if (r.routes && !r.routes.includes(route)) return decision;
		// Draw every kind every time so one rate change does not shift the others' sequence.
		const draws = {
			reset: this.prng.next(),
			gateway: this.prng.next(),
			http: this.prng.next(),
			slow: this.prng.next(),
			envelope: this.prng.next(),
			status: this.prng.next(),
		};
		if (draws.slow < r.slowResponseRate) {
			decision.delayMs = r.slowResponseMs;
			decision.label = 'random:slow';
		}
		if (draws.reset < r.connectionResetRate) {
			decision.before = { kind: 'reset' };
			decision.label = 'random:reset';
		} else if (draws.gateway < r.gateway502Rate) {
			decision.before = { kind: 'gateway502' };
			decision.label = 'random:gateway502';
		} else if (draws.http < r.http5xxRate) {
			decision.before = { kind: 'http', status: draws.status < 0.5 ? 500 : 503 };
			decision.label = 'random:http5xx';
		} else {
			let cumulative = 0;
			for (const [code, rate] of Object.entries(r.envelopeErrorRates) as Array<
				[TransientEnvelopeCode, number]
			>) {
				cumulative += rate;
				if (draws.envelope < cumulative) {
					decision.before = { kind: 'envelope', code, message: ENVELOPE_FAULT_MESSAGES[code] };
					decision.label = `random:${code}`;
					break;
				}
			}
		}
		return decision;
	}
}

export const GATEWAY_502_HTML =
	'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';
