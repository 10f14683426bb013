// @ts-check
// ESLint for ecs-kit: typescript-eslint's type-aware recommended rules (less the few that only fight this codebase's
// idioms), the size limits issue 15 set for src/, and the UI-free core (test/unit/architecture.test.ts checks the same
// more thoroughly). Layout is Prettier's job: eslint-config-prettier comes last and turns off every rule that would fight it.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Everything in src/ is core except these: only the CLI and the reporters may print, prompt, exit or spin. */
const UI_SIDE = ['src/cli/**', 'src/ui/**'];

/** The core must not import the UI layer or a UI/prompt library: it emits events and the UI words them. */
const coreImportRestrictions = {
  paths: [
    { name: 'ora', message: 'Only src/ui may use ora: the core emits events to a reporter.' },
    { name: 'commander', message: 'Only src/cli may parse arguments.' },
  ],
  patterns: [
    { group: ['@inquirer/*'], message: 'Only src/cli may prompt: the core takes its answers as options.' },
    // A path segment named exactly ui or cli (src/docker/cli.js is core and stays allowed).
    { regex: '(^|/)(ui|cli)(/|$)', message: 'The core must not import src/ui or src/cli: emit an event and let the UI word it.' },
  ],
};

/** Printing, exiting and changing directory belong to the CLI; the core reports through events and uses ctx.baseDir. */
const coreProcessRestrictions = ['exit', 'exitCode', 'stdout', 'stderr', 'chdir'].map((property) => ({
  object: 'process',
  property,
  message: 'The core never prints, exits or changes directory: emit an event (or return a result) and let the CLI do it.',
}));

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', '.ecs-kit/']),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  js.configs.recommended,

  {
    name: 'ecs-kit/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Type-only imports are marked: `import type { A }` when all are types, `import { b, type A }` when mixed.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // `_`-prefixed names are unused on purpose: an argument the contract passes, a property left out of a rest copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Rejecting with an AbortSignal's reason (typed any) is the platform's own idiom.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true }],
      // Step modules implement an async contract; an async method with nothing to await is normal there.
      // The bugs that matter (a promise nobody awaits) are no-floating-promises' and no-misused-promises' job.
      '@typescript-eslint/require-await': 'off',
      // Only false positives here: `this`-free functions declared with method syntax (style tables, spies in tests).
      '@typescript-eslint/unbound-method': 'off',
      // A stray console.log in a test floods the vitest output; deliberate summaries carry a disable comment.
      'no-console': 'error',
    },
  },

  {
    name: 'ecs-kit/javascript',
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },

  {
    name: 'ecs-kit/src-size',
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },

  {
    name: 'ecs-kit/ui-free-core',
    files: ['src/**/*.ts'],
    ignores: UI_SIDE,
    rules: {
      'no-restricted-imports': ['error', coreImportRestrictions],
      'no-restricted-properties': ['error', ...coreProcessRestrictions],
    },
  },

  {
    // Tests read the CLI's JSON events and moto's answers, which are untyped by nature; the assertions check them.
    name: 'ecs-kit/tests',
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  prettier,
);
