import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', 'coverage/**', 'src/db/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The SDK is its own package: it may not reach into the service or the dashboard.
    files: ['sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/src/*',
                '../../src/**',
                '**/dashboard/**',
                'hono',
                'drizzle-orm',
                'better-sqlite3',
                'zod',
              ],
              message: 'sdk/ has zero runtime dependencies and never imports the service.',
            },
          ],
        },
      ],
    },
  },
  {
    // The statistics engine is pure: numbers in, numbers out.
    files: ['src/stats/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'hono',
                'hono/*',
                'drizzle-orm',
                'drizzle-orm/*',
                'better-sqlite3',
                'pg',
                '**/db/**',
                '**/analysis/**',
              ],
              message: 'src/stats/ stays free of the database and HTTP.',
            },
          ],
        },
      ],
    },
  },
  {
    // The dashboard may use the server's schemas and types, nothing else of it.
    files: ['dashboard/**/*.ts', 'dashboard/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/src/db/**',
                '**/src/*/*-store',
                '**/src/*/*-service',
                'better-sqlite3',
                'drizzle-orm',
              ],
              message: 'dashboard/ imports only types and schemas from the server.',
            },
          ],
        },
      ],
    },
  },
);
