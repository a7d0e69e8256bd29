/**
 * The export file's download through the real transport, with n8n's HTTP helper replaced by
 * scripted answers: which bytes arrive before a connection drops is then exact, so the Range the
 * download resumes from can be asserted (over real sockets it depends on timing).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import type { IHttpRequestOptions } from 'n8n-workflow';

import { ExportFileError, openExportFile } from '../../../nodes/shared/jobs/exportFile';
import { normalizeExportJob } from '../../../nodes/shared/jobs/exportJobs';
import type { MarketoContext } from '../../../nodes/shared/transport';

const FILE = Buffer.from(
	`id,email\n${Array.from({ length: 500 }, (_, i) => `${i + 1},lead${i + 1}@example.com`).join('\n')}\n`,
);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

type Answer = (options: IHttpRequestOptions) => {
	statusCode: number;
	headers: Record<string, string>;
	body: unknown;
};

function fakeContext(answers: Answer[]) {
	const ranges: Array<string | undefined> = [];
	const context = {
		getNode: () => ({
			id: '1',
			name: 'Marketo Bulk Extract',
			type: 'marketoBulkExtract',
			typeVersion: 1,
			position: [0, 0] as [number, number],
			parameters: {},
			credentials: { marketoApi: { id: '1', name: 'Marketo' } },
		}),
		getCredentials: async () => ({
			restEndpoint: 'https://123-ABC-456.mktorest.com',
			clientId: 'id',
			clientSecret: 'secret',
			accessToken: 'token',
			accessTokenExpiresAt: Date.now() + 3_600_000,
		}),
		helpers: {
			httpRequestWithAuthentication: async (_type: string, options: IHttpRequestOptions) => {
				ranges.push((options.headers as Record<string, string> | undefined)?.Range);
				const answer = answers.shift();
				if (!answer) throw new Error('no more scripted answers');
				return answer(options);
			},
		},
	};
	return { context: context as unknown as MarketoContext, ranges };
}

/** A file answer; with `dropAfter`, the connection drops after that many bytes. */
function fileAnswer(bytes: Buffer, status = 200, dropAfter?: number): Answer {
	return () => ({
		statusCode: status,
		headers: { 'content-type': 'text/csv', 'content-length': String(bytes.length) },
		body: Readable.from(
			(async function* () {
				const end = dropAfter ?? bytes.length;
				for (let at = 0; at < end; at += 64) yield bytes.subarray(at, Math.min(at + 64, end));
				if (dropAfter !== undefined)
					throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
			})(),
		),
	});
}

function rangeAnswer(from: number): Answer {
	return () => ({
		statusCode: 206,
		headers: {
			'content-type': 'text/csv',
			'content-range': `bytes ${from}-${FILE.length - 1}/${FILE.length}`,
		},
		body: Readable.from([FILE.subarray(from)]),
	});
}

const job = (overrides: Record<string, unknown> = {}) =>
	normalizeExportJob(
		{
			exportId: 'e-1',
			status: 'Completed',
			fileSize: FILE.length,
			fileChecksum: `sha256:${sha256(FILE)}`,
			finishedAt: '2026-01-01T00:00:00Z',
			...overrides,
		},
		0,
	);

async function read(stream: AsyncIterable<Buffer>): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(chunk);
	return Buffer.concat(chunks);
}

const target = { extractType: 'leads' as const };
const nowMs = Date.parse('2026-01-02T00:00:00Z');

describe('openExportFile', () => {
	it('resumes a dropped download from the byte it stopped at, and checks the whole file', async () => {
		const { context, ranges } = fakeContext([fileAnswer(FILE, 200, 1_000), rangeAnswer(1_000)]);
		const file = await openExportFile(context, target, job(), { nowMs });
		expect((await read(file.stream)).equals(FILE)).toBe(true);
		await expect(file.done).resolves.toEqual({ bytes: FILE.length, sha256: sha256(FILE) });
		expect(ranges).toEqual([undefined, 'bytes=1000-']);
	});

	it('skips what it has when Marketo answers a Range with the whole file', async () => {
		const { context, ranges } = fakeContext([fileAnswer(FILE, 200, 640), fileAnswer(FILE)]);
		const file = await openExportFile(context, target, job(), { nowMs });
		expect((await read(file.stream)).equals(FILE)).toBe(true);
		expect(ranges).toEqual([undefined, 'bytes=640-']);
	});

	it('fails the stream when the bytes do not match the checksum', async () => {
		const corrupted = Buffer.from(FILE);
		corrupted[100] ^= 1;
		const { context } = fakeContext([fileAnswer(corrupted)]);
		const file = await openExportFile(context, target, job(), { nowMs });
		await expect(read(file.stream)).rejects.toMatchObject({ reason: 'checksum' });
		await expect(file.done).rejects.toBeInstanceOf(ExportFileError);
	});

	it("says a file is gone after Marketo's seven days, and passes on any other 404", async () => {
		const notFound: Answer = () => ({
			statusCode: 404,
			headers: { 'content-type': 'text/plain' },
			body: Readable.from([Buffer.from('Not Found')]),
		});
		const late = Date.parse('2026-01-09T00:00:00Z');
		await expect(
			openExportFile(fakeContext([notFound]).context, target, job(), { nowMs: late }),
		).rejects.toMatchObject({ reason: 'gone' });
		await expect(
			openExportFile(fakeContext([notFound]).context, target, job(), { nowMs }),
		).rejects.toMatchObject({ reason: 'notFound', message: expect.stringContaining('Not Found') });
	});
});
