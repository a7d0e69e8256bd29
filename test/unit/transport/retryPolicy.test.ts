import {
	BACKOFF_CAP_MS,
	MAX_BACKOFF_ATTEMPTS,
	MAX_FEW_ATTEMPTS,
	MAX_QUEUE_ATTEMPTS,
	MAX_RATE_WINDOW_ATTEMPTS,
	RATE_WINDOW_MS,
	decideRetry,
} from '../../../nodes/shared/transport/retryPolicy';
import { configurePacing, resetPacing } from '../../../nodes/shared/pacing';

const GET = { idempotent: true };
const CREATE = { idempotent: false };

/** A seeded generator (mulberry32) so jitter is random-looking but repeatable. */
function seeded(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state + 0x6d2b79f5) | 0;
		let t = Math.imul(state ^ (state >>> 15), 1 | state);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

afterEach(() => resetPacing());

describe('envelope codes', () => {
	it.each(['601', '602'])('%s refreshes the token once, then fails', (code) => {
		expect(decideRetry({ kind: 'envelope', code }, 1, GET)).toEqual({
			action: 'refresh-token',
			delayMs: 0,
		});
		expect(decideRetry({ kind: 'envelope', code }, 1, CREATE).action).toBe('refresh-token');
		expect(
			decideRetry({ kind: 'envelope', code }, 2, { ...GET, tokenRefreshed: true }).action,
		).toBe('fail');
	});

	it('606 waits out the 20 s window plus up to 2 s of jitter, for a bounded number of attempts', () => {
		configurePacing({ retry: { random: () => 0 } });
		expect(decideRetry({ kind: 'envelope', code: '606' }, 1, CREATE)).toEqual({
			action: 'retry',
			delayMs: RATE_WINDOW_MS,
		});
		configurePacing({ retry: { random: () => 0.999 } });
		const late = decideRetry({ kind: 'envelope', code: '606' }, 2, GET);
		expect(late.delayMs).toBeGreaterThan(RATE_WINDOW_MS + 1_900);
		expect(late.delayMs).toBeLessThanOrEqual(RATE_WINDOW_MS + 2_000);
		expect(
			decideRetry({ kind: 'envelope', code: '606' }, MAX_RATE_WINDOW_ATTEMPTS, GET).action,
		).toBe('fail');
	});

	it.each(['615', '604', '608', '713'])(
		'%s backs off exponentially with jitter, capped and bounded',
		(code) => {
			configurePacing({ retry: { random: seeded(42) } });
			const delays = [1, 2, 3, 4, 5].map((attempt) =>
				decideRetry({ kind: 'envelope', code }, attempt, GET),
			);
			delays.forEach((decision, index) => {
				const ceiling = Math.min(BACKOFF_CAP_MS, 1000 * 2 ** index);
				expect(decision.action).toBe('retry');
				expect(decision.delayMs).toBeGreaterThanOrEqual(ceiling / 2);
				expect(decision.delayMs).toBeLessThanOrEqual(ceiling);
			});
			expect(decideRetry({ kind: 'envelope', code }, MAX_BACKOFF_ATTEMPTS, GET).action).toBe(
				'fail',
			);
		},
	);

	it.each(['604', '608', '611', '713'])(
		'%s leaves a create-import to its caller: Marketo may have made the batch',
		(code) => {
			expect(decideRetry({ kind: 'envelope', code }, 1, CREATE)).toEqual({
				action: 'outcome-unknown',
				delayMs: 0,
			});
		},
	);

	it('615 refuses a create-import before Marketo acts on it: resent', () => {
		expect(decideRetry({ kind: 'envelope', code: '615' }, 1, CREATE).action).toBe('retry');
	});

	it.each(['611', '614', '1029'])('%s is retried only a few times', (code) => {
		expect(decideRetry({ kind: 'envelope', code }, MAX_FEW_ATTEMPTS - 1, GET).action).toBe('retry');
		expect(decideRetry({ kind: 'envelope', code }, MAX_FEW_ATTEMPTS, GET).action).toBe('fail');
	});

	it.each(['1016', '1019'])('%s waits for the import queue in minutes, bounded', (code) => {
		configurePacing({ retry: { random: () => 0 } });
		const first = decideRetry({ kind: 'envelope', code }, 1, CREATE);
		expect(first.action).toBe('wait-for-queue');
		expect(first.delayMs).toBeGreaterThanOrEqual(60_000);
		expect(decideRetry({ kind: 'envelope', code }, 2, CREATE).delayMs).toBe(2 * first.delayMs);
		expect(decideRetry({ kind: 'envelope', code }, MAX_QUEUE_ATTEMPTS, CREATE).action).toBe('fail');
	});

	it.each([
		'603',
		'607',
		'609',
		'610',
		'612',
		'613',
		'1003',
		'1006',
		'1008',
		'1009',
		'1013',
		'1025',
		'1026',
		'702',
		'9999',
	])('%s fails at once', (code) => {
		expect(decideRetry({ kind: 'envelope', code }, 1, GET)).toEqual({ action: 'fail', delayMs: 0 });
	});
});

describe('HTTP statuses', () => {
	it.each([500, 502, 503, 504])(
		'%s is retried for idempotent calls, left to the caller of a create',
		(status) => {
			expect(decideRetry({ kind: 'http', status }, 1, GET).action).toBe('retry');
			expect(decideRetry({ kind: 'http', status }, MAX_BACKOFF_ATTEMPTS, GET).action).toBe('fail');
			expect(decideRetry({ kind: 'http', status }, 1, CREATE).action).toBe('outcome-unknown');
		},
	);

	it('401 refreshes the token once; 413, 414 and 404 fail', () => {
		expect(decideRetry({ kind: 'http', status: 401 }, 1, GET).action).toBe('refresh-token');
		expect(
			decideRetry({ kind: 'http', status: 401 }, 2, { ...GET, tokenRefreshed: true }).action,
		).toBe('fail');
		for (const status of [413, 414, 404, 400])
			expect(decideRetry({ kind: 'http', status }, 1, GET).action).toBe('fail');
	});
});

describe('network errors', () => {
	it('ECONNREFUSED is retried even for a create: the request never arrived', () => {
		expect(decideRetry({ kind: 'network', errorCode: 'ECONNREFUSED' }, 1, CREATE).action).toBe(
			'retry',
		);
	});

	it.each(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED'])(
		'%s is retried when idempotent, else left to the caller',
		(errorCode) => {
			expect(decideRetry({ kind: 'network', errorCode }, 1, GET).action).toBe('retry');
			expect(decideRetry({ kind: 'network', errorCode }, 1, CREATE).action).toBe('outcome-unknown');
		},
	);

	it('a wrong host name (ENOTFOUND) fails at once', () => {
		expect(decideRetry({ kind: 'network', errorCode: 'ENOTFOUND' }, 1, GET).action).toBe('fail');
	});
});

describe('configureRetryTiming', () => {
	it('scales every wait so tests need not sit through 20 s windows', () => {
		configurePacing({ retry: { scale: 0.001, random: () => 0.5 } });
		expect(decideRetry({ kind: 'envelope', code: '606' }, 1, GET).delayMs).toBe(21);
		expect(decideRetry({ kind: 'envelope', code: '615' }, 1, GET).delayMs).toBe(1);
	});

	it('gives the same delays for the same seed', () => {
		const delays = () => {
			configurePacing({ retry: { random: seeded(7) } });
			return [1, 2, 3].map(
				(attempt) => decideRetry({ kind: 'envelope', code: '615' }, attempt, GET).delayMs,
			);
		};
		expect(delays()).toEqual(delays());
	});
});
