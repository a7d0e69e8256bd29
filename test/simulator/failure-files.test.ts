import fc from 'fast-check';
import { parseDelimited, writeDelimited } from './delimited';
import { startSimulator, type RunningSimulator } from './index';
import { isBlankRow } from './rows';
import { apiGet, firstResult, getToken, upload } from './testkit';

describe("the simulator's own delimited reader/writer", () => {
	it('round-trips any values through write and parse for each delimiter (seeded)', () => {
		const cell = fc.string({
			unit: fc.constantFrom('a', 'b', ',', ';', '\t', '"', '\n', '\r', ' ', 'é'),
		});
		for (const delimiter of [',', '\t', ';']) {
			fc.assert(
				fc.property(
					fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
					(rows) => {
						expect(parseDelimited(writeDelimited(rows, delimiter), delimiter)).toEqual(rows);
					},
				),
				{ seed: 42, numRuns: 200 },
			);
		}
	});

	it('strips a BOM and reads CRLF files', () => {
		expect(parseDelimited('\uFEFFa;b\r\n1;"x;y"\r\n', ';')).toEqual([
			['a', 'b'],
			['1', 'x;y'],
		]);
	});

	it('gives an empty line as a row without fields; a line of spaces, "" or delimiters is a row', () => {
		const rows = parseDelimited('a,b\n\n  \r\n""\r\r,\n\r\n1,2', ',');
		expect(rows).toEqual([['a', 'b'], [], ['  '], [''], [], ['', ''], [], ['1', '2']]);
		expect(rows.map(isBlankRow)).toEqual([false, true, false, false, true, false, true, false]);
		expect(parseDelimited('\n\na\n\n', ',')).toEqual([[], [], ['a'], []]);
	});
});

describe('failure and warning files', () => {
	let sim: RunningSimulator;
	let token: string;
	afterEach(async () => await sim.close());

	const failuresOf = async (format: string, content: string) => {
		const created = firstResult(
			await upload(sim, `/bulk/v1/leads.json?format=${format}`, content, token),
		);
		return (await apiGet(sim, `/bulk/v1/leads/batch/${created.batchId}/failures.json`, token)).text;
	};

	const start = async (omit: boolean) => {
		sim = await startSimulator({ rowsPerSecond: 1e9, failureFileOmitsEmptyColumns: omit });
		token = await getToken(sim);
	};

	it.each([
		['csv', ','],
		['tsv', '\t'],
		['ssv', ';'],
	])('keeps the %s delimiter and quotes delimiters, quotes and line breaks', async (format, d) => {
		await start(true);
		const tricky = `Smith${d} "Jr"\r\nline2`;
		const quoted = `"${tricky.replace(/"/g, '""')}"`;
		const content =
			[
				`email${d}lastName${d}leadScore`,
				`a@example.com${d}${quoted}${d}x`,
				`b@example.com${d}Plain${d}1`,
			].join('\n') + '\n';
		const text = await failuresOf(format, content);
		expect(text).toBe(
			`email${d}lastName${d}leadScore${d}Import Failure Reason\n` +
				`a@example.com${d}${quoted}${d}x${d}Invalid data type in field Lead Score\n`,
		);
		expect(parseDelimited(text, d)[1][1]).toBe(tricky);
	});

	it('omits columns empty in every failed row by default, keeps them when configured', async () => {
		const content =
			'email,company,leadScore\na@example.com,,bad\nb@example.com,,worse\nc@example.com,Acme,1\n';
		await start(true);
		expect(await failuresOf('csv', content)).toBe(
			'email,leadScore,Import Failure Reason\na@example.com,bad,Invalid data type in field Lead Score\nb@example.com,worse,Invalid data type in field Lead Score\n',
		);
		await sim.close();
		await start(false);
		expect((await failuresOf('csv', content)).split('\n')[0]).toBe(
			'email,company,leadScore,Import Failure Reason',
		);
	});
});
