// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'better-sqlite3', message: 'only the SQLite adapters under src/adapters import the driver' },
            { name: 'mongodb', message: 'only the MongoDB adapter imports the driver' },
            { name: 'kafkajs', message: 'only the Kafka adapter imports the driver' },
            { name: '@eventstore/db-client', message: 'only the EventStoreDB adapter imports the driver' },
          ],
        },
      ],
    },
  },
  {
    // Each adapter file is the one place its driver may be imported (tests and benchmarks use drivers as baselines).
    files: ['src/adapters/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The domain and the projections stay pure: no drivers, no HTTP, no runtime.
    files: ['src/domain/**/*.ts', 'projections/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/adapters/**', '**/http/**', '**/runtime/**', '**/application/**', 'express', 'rxjs', 'pino'] },
      ],
    },
  },
);
