// @ts-check
// Type-aware lint of every TypeScript file: product code, tests, benchmarks and the dashboard's
// TypeScript. Svelte components are type-checked by svelte-check (`npm run lint` runs both).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const TESTS = ['**/*.test.ts', '**/*.test-util.ts', 'test/**/*.ts', 'ui/src/test/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'test/artifacts/**',
      '**/*.svelte',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        project: ['./tsconfig.check.json', './ui/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its rejection: every one is awaited, returned, or marked `void` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A `let` that start-up assigns once, read before by the cleanup set up ahead of it, stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // fastify plugins stay async with nothing to await: fastify turns a throw while one registers (route-defaults
    // refusing a route) into a failed start only for an async plugin; a sync one's throw is uncaught.
    files: ['services/api/src/plugins/*.ts', 'services/api/src/routes/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: TESTS,
    rules: {
      // Fakes implement async interfaces with bodies that have nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
