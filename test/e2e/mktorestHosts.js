'use strict';
/**
 * Preloaded into the n8n process by credential-test.test.ts (`NODE_OPTIONS=--require <this file>`)
 * so that a credential can hold the endpoint exactly as Marketo shows it
 * (`https://123-ABC-456.mktorest.com/rest`, a bare Munchkin ID, ...) and still reach the local
 * simulator. Nothing in n8n or in the package changes: only where those HTTPS requests go.
 *
 * MARKETO_E2E_HOSTS is a JSON object { "<host, lower case>": "http://127.0.0.1:<port>" }.
 * - A request to https://<listed host>/... is sent as plain HTTP to that address, same path,
 *   method, headers and body.
 * - A request to any other *.mktorest.com host fails as an unknown host name does (ENOTFOUND),
 *   without touching the network, so a "wrong host" test is the same offline and in CI.
 * Every other request is left alone. n8n's HTTP helpers (axios, follow-redirects) look up
 * `https.request` on the module at call time, which is what this replaces.
 */
const http = require('node:http');
const https = require('node:https');

const routes = JSON.parse(process.env.MARKETO_E2E_HOSTS || '{}');
const MARKETO_HOST = /\.mktorest\.com$/i;

/** https.request(url[, options][, callback]) or https.request(options[, callback]) -> parts. */
function readArguments(args) {
	const [first, second, third] = args;
	if (typeof first === 'string' || first instanceof URL) {
		const url = new URL(String(first));
		if (typeof second === 'function') return { url, options: {}, callback: second };
		return { url, options: second ?? {}, callback: third };
	}
	return { url: undefined, options: first ?? {}, callback: second };
}

function hostOf(url, options) {
	const host = options.hostname ?? options.host ?? url?.hostname ?? '';
	return String(host).replace(/:\d+$/, '').toLowerCase();
}

function unknownHostLookup(hostname, _options, callback) {
	const error = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
	Object.assign(error, { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
	process.nextTick(() => callback(error));
}

const originalRequest = https.request;

function routedRequest(...args) {
	const { url, options, callback } = readArguments(args);
	const host = hostOf(url, options);
	if (!MARKETO_HOST.test(host)) return originalRequest.apply(https, args);

	const target = routes[host];
	const path = options.path ?? (url ? `${url.pathname}${url.search}` : '/');
	const headers = { ...(options.headers ?? {}) };
	if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) headers.host = host;
	if (!target) {
		// An unknown Munchkin host: the connection fails before any byte is sent.
		return originalRequest.call(
			https,
			{ ...options, hostname: host, host, port: 443, path, headers, lookup: unknownHostLookup },
			callback,
		);
	}
	const address = new URL(target);
	const plain = {
		method: options.method ?? 'GET',
		path,
		headers,
		protocol: 'http:',
		hostname: address.hostname,
		port: address.port,
		timeout: options.timeout,
		signal: options.signal,
	};
	return http.request(plain, callback);
}

https.request = routedRequest;
https.get = function routedGet(...args) {
	const request = routedRequest(...args);
	request.end();
	return request;
};
