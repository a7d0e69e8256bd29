import {
	countDelimitersInHeaderLine,
	delimiterOf,
	detectFormat,
	extensionOf,
	fileExtensionOf,
	formatFromDelimiter,
	mimeTypeOf,
} from '../../../nodes/shared/csv/formats';

const head = (text: string) => Buffer.from(text, 'utf8');

describe('format <-> delimiter', () => {
	it('maps the three formats both ways', () => {
		expect(delimiterOf('csv')).toBe(',');
		expect(delimiterOf('tsv')).toBe('\t');
		expect(delimiterOf('ssv')).toBe(';');
		expect(formatFromDelimiter(',')).toBe('csv');
		expect(formatFromDelimiter('\t')).toBe('tsv');
		expect(formatFromDelimiter(';')).toBe('ssv');
		expect(formatFromDelimiter('|')).toBeNull();
	});

	it('names MIME types and extensions for upload', () => {
		expect(mimeTypeOf('csv')).toBe('text/csv');
		expect(mimeTypeOf('ssv')).toBe('text/csv');
		expect(mimeTypeOf('tsv')).toBe('text/tab-separated-values');
		expect(fileExtensionOf('tsv')).toBe('tsv');
		expect(fileExtensionOf('ssv')).toBe('csv');
	});

	it('reads extensions case-insensitively from paths', () => {
		expect(extensionOf('C:\\exports\\Leads.CSV')).toBe('csv');
		expect(extensionOf('dir.v2/leads')).toBe('');
		expect(extensionOf('.csv')).toBe('');
	});
});

describe('countDelimitersInHeaderLine', () => {
	it('counts only the first line and ignores quoted delimiters and a BOM', () => {
		expect(countDelimitersInHeaderLine(head('\ufeff"Last, First";email;"a\nb"\n1,2,3,4'))).toEqual({
			',': 0,
			'\t': 0,
			';': 2,
		});
		expect(countDelimitersInHeaderLine(head('a\tb\tc\r\nx,y'))).toEqual({
			',': 0,
			'\t': 2,
			';': 0,
		});
	});
});

describe('detectFormat', () => {
	it('trusts the extension when the header agrees or says nothing', () => {
		expect(detectFormat({ fileName: 'leads.csv', head: head('email,firstName\n') })?.format).toBe(
			'csv',
		);
		expect(detectFormat({ fileName: 'leads.tsv' })?.format).toBe('tsv');
		expect(detectFormat({ fileName: 'leads.tab' })?.format).toBe('tsv');
		expect(detectFormat({ fileName: 'leads.ssv' })?.format).toBe('ssv');
		expect(detectFormat({ fileName: 'leads.csv', head: head('email\n') })).toEqual({
			format: 'csv',
			reason: 'from the file extension .csv',
		});
	});

	it('reads an Excel semicolon "CSV" as ssv and says why', () => {
		const detected = detectFormat({
			fileName: 'Export.csv',
			head: head('\ufeffEmail;First Name;Company\r\n'),
		});
		expect(detected?.format).toBe('ssv');
		expect(detected?.reason).toMatch(
			/extension \.csv says csv, but the header line has 2 semicolons and no commas/,
		);
	});

	it('keeps csv when the header has commas as well as semicolons', () => {
		expect(detectFormat({ fileName: 'x.csv', head: head('a;b,c\n') })?.format).toBe('csv');
	});

	it('uses the MIME type when there is no usable extension', () => {
		expect(
			detectFormat({ fileName: 'upload', mimeType: 'text/tab-separated-values' })?.format,
		).toBe('tsv');
		expect(detectFormat({ mimeType: 'text/csv; charset=utf-8' })?.format).toBe('csv');
		expect(
			detectFormat({ mimeType: 'application/vnd.ms-excel', head: head('a;b\n') })?.format,
		).toBe('ssv');
	});

	it('sniffs .txt, text/plain and unnamed content', () => {
		expect(detectFormat({ fileName: 'leads.txt', head: head('a\tb\tc\n') })).toEqual({
			format: 'tsv',
			reason: 'The file extension .txt does not name a delimiter; the header line has 2 tabs',
		});
		expect(detectFormat({ mimeType: 'text/plain', head: head('a;b\n') })?.format).toBe('ssv');
		expect(detectFormat({ head: head('a,b,c\n') })).toEqual({
			format: 'csv',
			reason: 'The header line has 2 commas',
		});
	});

	it('gives up when nothing tells the format', () => {
		expect(detectFormat({})).toBeNull();
		expect(detectFormat({ fileName: 'leads.txt', head: head('email\n') })).toBeNull();
		expect(detectFormat({ fileName: 'leads.xlsx', head: head('') })).toBeNull();
	});
});
