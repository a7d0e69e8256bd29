/**
 * The HTTP pieces the extract side adds to the server: the JSON body of a create call, and
 * answer bodies written piece by piece, waiting for the socket to drain (a 1 GB extract file
 * is never held whole), with the body faults a test scripts: a connection dropped after N
 * bytes (`truncate`) and one byte changed (`corrupt`).
 */
import type { ServerResponse } from 'node:http';
import type { FaultAnswer } from '../types';

export type BodyFault = Extract<FaultAnswer, { kind: 'truncate' } | { kind: 'corrupt' }>;

export function isBodyFault(fault: FaultAnswer | undefined): fault is BodyFault {
	return fault?.kind === 'truncate' || fault?.kind === 'corrupt';
}

/** Resolves when the body is written, the fault cut it, or the client went away. */
export async function writeBody(
	res: ServerResponse,
	chunks: Iterable<Buffer>,
	fault: BodyFault | undefined,
): Promise<void> {
	let sent = 0;
	const closed = () => res.destroyed || res.writableEnded;
	for (let chunk of chunks) {
		if (closed()) return;
		if (fault?.kind === 'corrupt') {
			const at = (fault.atByte ?? 0) - sent;
			if (at >= 0 && at < chunk.length) {
				chunk = Buffer.from(chunk);
				// Any other byte will do; flipping the low bit keeps text text.
				chunk[at] ^= 0x01;
			}
		}
		if (fault?.kind === 'truncate' && sent + chunk.length >= fault.afterBytes) {
			const head = chunk.subarray(0, Math.max(0, fault.afterBytes - sent));
			await new Promise<void>((resolve) => res.write(head, () => resolve()));
			res.socket?.destroy();
			return;
		}
		sent += chunk.length;
		if (!res.write(chunk)) {
			await new Promise<void>((resolve) => {
				const done = () => {
					res.off('drain', done);
					res.off('close', done);
					resolve();
				};
				res.on('drain', done);
				res.on('close', done);
			});
		}
	}
	if (!closed()) res.end();
}

/** The body of a JSON route; an empty body is no body (the handler says what is missing). */
export function parseJson(body: Buffer): { json?: unknown; jsonProblem?: boolean } {
	if (body.length === 0) return {};
	try {
		return { json: JSON.parse(body.toString('utf8')) as unknown };
	} catch {
		return { jsonProblem: true };
	}
}
