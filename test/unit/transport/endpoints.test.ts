import {
	identityUrlFrom,
	instanceRootFrom,
	joinUrl,
	tokenUrlFrom,
	withoutQuery,
} from '../../../nodes/shared/transport/endpoints';

describe('instanceRootFrom', () => {
	it.each([
		['https://123-ABC-456.mktorest.com/rest', 'https://123-ABC-456.mktorest.com'],
		['https://123-ABC-456.mktorest.com/rest/', 'https://123-ABC-456.mktorest.com'],
		['  https://123-ABC-456.mktorest.com/rest//  ', 'https://123-ABC-456.mktorest.com'],
		['https://123-ABC-456.mktorest.com/rest/v1', 'https://123-ABC-456.mktorest.com'],
		['https://123-ABC-456.mktorest.com', 'https://123-ABC-456.mktorest.com'],
		['123-ABC-456.mktorest.com/rest', 'https://123-ABC-456.mktorest.com'],
		['123-ABC-456', 'https://123-ABC-456.mktorest.com'],
		['123-abc-456', 'https://123-ABC-456.mktorest.com'],
		['http://127.0.0.1:8765/rest', 'http://127.0.0.1:8765'],
		['http://localhost:8765/rest/', 'http://localhost:8765'],
		['https://proxy.example.com/marketo/rest', 'https://proxy.example.com/marketo'],
	])('%s -> %s', (pasted, root) => {
		expect(instanceRootFrom(pasted)).toBe(root);
	});

	it.each([
		'',
		'   ',
		'not a url',
		'ftp://123-ABC-456.mktorest.com/rest',
		'https://intranet/rest',
		'12-ABC-456',
	])('rejects %j with a message pointing to Admin > Web Services', (pasted) => {
		expect(() => instanceRootFrom(pasted)).toThrow(
			`The REST API Endpoint "${pasted.trim()}" is neither a URL like https://123-ABC-456.mktorest.com/rest ` +
				'nor a Munchkin ID like 123-ABC-456. Copy the Endpoint from Admin > Web Services > REST API.',
		);
	});

	it('drops a query string or fragment pasted by mistake', () => {
		expect(instanceRootFrom('https://123-ABC-456.mktorest.com/rest?x=1#y')).toBe(
			'https://123-ABC-456.mktorest.com',
		);
	});
});

describe('joinUrl', () => {
	it.each([
		['https://h.com', '/rest/v1/x.json'],
		['https://h.com/', '/rest/v1/x.json'],
		['https://h.com//', 'rest/v1/x.json'],
		['https://h.com', '//rest/v1/x.json'],
	])('joins %s and %s without a double slash', (root, path) => {
		expect(joinUrl(root, path)).toBe('https://h.com/rest/v1/x.json');
	});
});

describe('identityUrlFrom', () => {
	it('derives <instance root>/identity when no override is given', () => {
		expect(identityUrlFrom({ restEndpoint: 'https://123-ABC-456.mktorest.com/rest/' })).toBe(
			'https://123-ABC-456.mktorest.com/identity',
		);
		expect(identityUrlFrom({ restEndpoint: '123-ABC-456', identityEndpoint: '  ' })).toBe(
			'https://123-ABC-456.mktorest.com/identity',
		);
	});

	it('uses the override, accepting the full token URL too', () => {
		expect(
			identityUrlFrom({ restEndpoint: 'x', identityEndpoint: 'https://id.example.com/identity/' }),
		).toBe('https://id.example.com/identity');
		expect(
			identityUrlFrom({
				restEndpoint: 'x',
				identityEndpoint: 'https://id.example.com/identity/oauth/token',
			}),
		).toBe('https://id.example.com/identity');
	});

	it('builds the token URL and strips queries for messages', () => {
		const tokenUrl = tokenUrlFrom('https://h.com/identity/');
		expect(tokenUrl).toBe('https://h.com/identity/oauth/token');
		expect(withoutQuery(`${tokenUrl}?client_secret=s3cret&x=1`)).toBe(tokenUrl);
	});
});
