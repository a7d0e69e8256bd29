/**
 * Four projects: the fast unit tests (pure functions and the simulator's own
 * tests), the integration tests (nodes run in-process against the simulator over
 * loopback HTTP), the end-to-end tests (a real n8n, run by scripts/e2e.js,
 * which installs the runtime and the packed package first), and the same in n8n's
 * queue mode (scripts/test-queue.js).
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }];

/**
 * The integration tests again on n8n 1.x's own n8n-core and n8n-workflow (the devDependencies
 * are 2.x): scripts/e2e.js sets N8N_LINE1_NODE_MODULES to the 1.x runtime it installed.
 */
const line1Modules = process.env.N8N_LINE1_NODE_MODULES;
const integrationOnLine1 = line1Modules
	? [
			{
				displayName: 'integration-line1',
				testEnvironment: 'node',
				transform: { '^.+\\.ts$': tsJest },
				testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
				modulePathIgnorePatterns: ['<rootDir>/.cache/'],
				moduleNameMapper: {
					'^n8n-core$': `${line1Modules}/n8n-core`,
					'^n8n-workflow$': `${line1Modules}/n8n-workflow`,
					'^@n8n/di$': `${line1Modules}/@n8n/di`,
				},
			},
		]
	: [];

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
		},
		{
			// A real n8n, installed by scripts/n8n-runtime.js; run through `npm run test:e2e`.
			displayName: 'e2e',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
		},
		{
			// n8n in queue mode (Redis, PostgreSQL, a main and two workers); run through `npm run test:queue`.
			displayName: 'queue',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/queue/**/*.test.ts'],
		},
		...integrationOnLine1,
	],
};
