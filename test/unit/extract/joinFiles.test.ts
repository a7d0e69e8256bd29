import { joinedBytes } from '../../../nodes/MarketoBulkExtract/helpers/output/fileOutput';
import { expectedSha256, isPastRetention } from '../../../nodes/shared/jobs/exportFile';
import { normalizeExportJob } from '../../../nodes/shared/jobs/exportJobs';
import { totalFromContentRange } from '../../../nodes/shared/transport/answers';

async function collect(source: AsyncIterable<Buffer>): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of source) chunks.push(chunk);
	return Buffer.concat(chunks).toString('utf8');
}

/** A file in chunks of `size` bytes, so a header can be cut anywhere. */
async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
	const bytes = Buffer.from(text, 'utf8');
	for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('joinedBytes', () => {
	it('keeps the header once and the rows in window order, whatever the chunking', async () => {
		const files = ['id,email\r\n1,a@x.com\r\n', 'id,email\r\n2,b@x.com\r\n', 'id,email\r\n'];
		for (const size of [1, 2, 5, 9, 10, 11, 64]) {
			const joined = await collect(
				joinedBytes(
					files.map((file) => chunked(file, size)),
					',',
				),
			);
			expect(joined).toBe('id,email\r\n1,a@x.com\r\n2,b@x.com\r\n');
		}
	});

	it('reads a header with a quoted line break as one row', async () => {
		const header = '"id","e\nmail"\n';
		const joined = await collect(
			joinedBytes([chunked(`${header}1,a\n`, 3), chunked(`${header}2,b\n`, 4)], ','),
		);
		expect(joined).toBe(`${header}1,a\n2,b\n`);
	});

	it('skips empty files and refuses files whose columns differ', async () => {
		expect(await collect(joinedBytes([Buffer.alloc(0), Buffer.from('a\n1\n')], ','))).toBe(
			'a\n1\n',
		);
		await expect(
			collect(joinedBytes([Buffer.from('a,b\n1,2\n'), Buffer.from('a,c\n3,4\n')], ',')),
		).rejects.toThrow('different columns');
	});
});

describe('file checks', () => {
	it("reads Marketo's checksum and the file's length from a Content-Range", () => {
		const hex = 'ab'.repeat(32);
		expect(
			expectedSha256(normalizeExportJob({ fileChecksum: `sha256:${hex.toUpperCase()}` }, 0)),
		).toBe(hex);
		expect(expectedSha256(normalizeExportJob({}, 0))).toBeNull();
		expect(totalFromContentRange('bytes 725-999/1000')).toBe(1000);
		expect(totalFromContentRange('bytes */1000')).toBe(1000);
		expect(totalFromContentRange(undefined)).toBeNull();
	});

	it('knows a file past its seven days', () => {
		const job = normalizeExportJob({ finishedAt: '2026-01-01T00:00:00Z' }, 0);
		expect(isPastRetention(job, Date.parse('2026-01-07T23:00:00Z'))).toBe(false);
		expect(isPastRetention(job, Date.parse('2026-01-08T00:00:01Z'))).toBe(true);
	});
});
