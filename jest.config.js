/**
 * Two projects so `npm test` can run the fast unit tests first and the
 * simulator-backed integration tests second (they bind real loopback ports).
 * The end-to-end suite (a real n8n) is not jest: see scripts/e2e.js.
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }];

/** @type {import('jest').Config} */
module.exports = {
	// testTimeout is a global option (ignored inside a project); the e2e tests set their own.
	testTimeout: 120000,
	projects: [
		{
			displayName: 'unit',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/simulator/**/*.test.ts'],
		},
		{
			displayName: 'integration',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
			testTimeout: 120000,
		},
		{
			// A real n8n, installed by scripts/n8n-runtime.js; run through `npm run test:e2e`.
			displayName: 'e2e',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
			testTimeout: 900000,
		},
	],
};
