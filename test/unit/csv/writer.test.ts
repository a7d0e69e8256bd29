import fc from 'fast-check';

import { NestedValueError, quoteField, toDelimitedFile } from '../../../nodes/shared/csv/writer';
import { splitIntoParts } from '../../../nodes/shared/csv/splitter';
import { awkwardValue, DELIMITERS, FC_SEED, referenceParse, streamOf } from './reference';

describe('quoteField', () => {
	it('quotes only when a reader could misread the value', () => {
		expect(quoteField('plain', ',')).toBe('plain');
		expect(quoteField('a,b', ',')).toBe('"a,b"');
		expect(quoteField('a,b', ';')).toBe('a,b');
		expect(quoteField('a;b', ';')).toBe('"a;b"');
		expect(quoteField('a\tb', '\t')).toBe('"a\tb"');
		expect(quoteField('say "hi"', ',')).toBe('"say ""hi"""');
		expect(quoteField('l1\nl2', ',')).toBe('"l1\nl2"');
		expect(quoteField('cr\r', ',')).toBe('"cr\r"');
		expect(quoteField(' padded', ',')).toBe('" padded"');
		expect(quoteField('padded ', ',')).toBe('"padded "');
		expect(quoteField('', ',')).toBe('');
	});
});

describe('toDelimitedFile', () => {
	it('writes the union of keys in first-seen order and formats values', () => {
		const { body, columns } = toDelimitedFile(
			[
				{ email: 'a@x.com', score: 5 },
				{ email: 'b@x.com', active: true, created: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
				{ email: null, score: undefined, note: 'x, "y"' },
			],
			{ delimiter: ',' },
		);
		expect(columns).toEqual(['email', 'score', 'active', 'created', 'note']);
		expect(body.toString('utf8')).toBe(
			'email,score,active,created,note\n' +
				'a@x.com,5,,,\n' +
				'b@x.com,,true,2024-01-02T03:04:05.000Z,\n' +
				',,,,"x, ""y"""\n',
		);
	});

	it('follows a given column list, leaving out other keys', () => {
		const { body, columns } = toDelimitedFile([{ a: 1, b: 2, c: 3 }, { c: 'z' }], {
			delimiter: ';',
			columns: ['c', 'a'],
		});
		expect(columns).toEqual(['c', 'a']);
		expect(body.toString()).toBe('c;a\n3;1\nz;\n');
	});

	it('writes UTF-8 without BOM', () => {
		const { body } = toDelimitedFile([{ név: 'Zoë 😀' }], { delimiter: '\t' });
		expect(body.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
		expect(body.toString('utf8')).toBe('név\nZoë 😀\n');
	});

	it('keeps an empty value of a one-column file as a row ("" instead of an empty line)', async () => {
		const { body } = toDelimitedFile([{ email: 'a' }, { email: '' }, {}], { delimiter: ',' });
		expect(body.toString()).toBe('email\na\n""\n""\n');
		// The splitter counts the "" rows: a line holding anything is a row, only an empty line is not.
		const generator = splitIntoParts(async () => streamOf([body]), {
			encoding: 'utf-8',
			delimiterFor: () => ',',
		});
		const first = await generator.next();
		expect(first.done).toBe(false);
		expect(!first.done && first.value.rows).toBe(3);
		expect(!first.done && first.value.body.equals(body)).toBe(true);
	});

	it('rejects nested values, naming the item and the field', () => {
		const records = [{ email: 'a' }, { email: 'b', address: { city: 'Paris' } }];
		expect(() => toDelimitedFile(records, { delimiter: ',' })).toThrow(NestedValueError);
		try {
			toDelimitedFile(records, { delimiter: ',' });
		} catch (error) {
			expect(error).toMatchObject({ itemIndex: 1, field: 'address' });
			expect((error as Error).message).toMatch(/Item 1, field "address" holds an object/);
		}
		expect(() => toDelimitedFile([{ tags: ['a'] }], { delimiter: ',' })).toThrow(
			'Item 0, field "tags" holds an array; Marketo columns take plain values. ' +
				'Flatten the item first (for example with an Edit Fields (Set) node) or drop the field',
		);
		expect(() => toDelimitedFile([{ when: new Date(NaN) }], { delimiter: ',' })).toThrow(
			'Item 0, field "when" holds an invalid date; Marketo columns take plain values. ' +
				'Flatten the item first (for example with an Edit Fields (Set) node) or drop the field',
		);
	});

	it('does not look at nested values outside the chosen columns', () => {
		const { body } = toDelimitedFile([{ email: 'a', meta: { x: 1 } }], {
			delimiter: ',',
			columns: ['email'],
		});
		expect(body.toString()).toBe('email\na\n');
	});

	it('round-trips random records through csv-parse for csv, tsv and ssv', () => {
		const key = fc.oneof(awkwardValue(3), fc.constantFrom('email', ' spaced ', 'a,b', 'x"y'));
		fc.assert(
			fc.property(
				fc.array(fc.dictionary(key, awkwardValue(), { minKeys: 1, maxKeys: 5 }), {
					minLength: 1,
					maxLength: 20,
				}),
				fc.constantFrom(...DELIMITERS),
				(records, delimiter) => {
					const { body, columns } = toDelimitedFile(records, { delimiter });
					const [header, ...rows] = referenceParse(body, delimiter, { lineEnding: '\n' });
					expect(header).toEqual(columns);
					expect(rows).toEqual(
						records.map((record) => columns.map((column) => record[column] ?? '')),
					);
				},
			),
			{ seed: FC_SEED, numRuns: 300 },
		);
	});
});
