/** @type {import('jest').Config} */
// ts-jest transpiles only (tsconfig has isolatedModules); `npm run typecheck` does the type checking.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

module.exports = {
  projects: [
    {
      displayName: 'default',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/', '<rootDir>/test/browser/'],
      // Real responses in the HTTP tests are checked against the OpenAPI description.
      setupFilesAfterEnv: ['<rootDir>/test/support/openapi-conformance-setup.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // A real Kafka broker (broker/pom.xml, Java 17) for the relay suite.
      globalSetup: '<rootDir>/test/integration/kafka-global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/kafka-global-teardown.ts',
    },
    {
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      // Debian's chromium, installed with apt-get when the machine lacks it; driven by playwright-core.
      globalSetup: '<rootDir>/test/browser/chromium-global-setup.ts',
    },
  ],
};
