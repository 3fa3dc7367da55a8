// ESLint 9 flat config: typescript-eslint's strict and stylistic type-checked sets, minus the rules listed below
// with the reason each one is off here; eslint-config-prettier last, so layout is prettier's alone.
// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default defineConfig(
  { ignores: ['dist/', '.data/', 'coverage/', 'bench/results/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig.json nearest to it: the root one, or src/console/web's for the web app
        // (DOM, JSX). vite.config.ts belongs to neither, so it gets a default project.
        projectService: { allowDefaultProject: ['src/console/web/vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      // Numbers print fine in messages; objects, null and undefined stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // An empty environment variable means "unset" here (`process.env.X || default`), and `a || b` on booleans is
      // plain logic: only numbers and objects, where `||` would swallow a 0, must use `??`.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true, boolean: true } }],
      // The web app's async event handlers catch their own errors; every other void position is still checked.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // `_`-prefixed names and rest siblings are the way to say "deliberately unused" (omitting a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Off: with noUncheckedIndexedAccess, `xs[i]!` after a length check is the idiom; the rule would ask for noise.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off: 179 reports, most on guards over values cast from `unknown` (caught errors, JSON bodies) and on flags
      // that callbacks change (`while (!stopped)`); removing those guards would introduce bugs.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Off: taste (`() => void f()` vs `() => f()`), 164 reports and none a bug.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Off: async functions without await implement Promise-returning ports; making them sync would turn their
      // rejections into synchronous throws.
      '@typescript-eslint/require-await': 'off',
      // Off: the empty functions here are intended no-ops (a silent metrics fake, a default callback).
      '@typescript-eslint/no-empty-function': 'off',
      // Off: deleting environment variables and empty query keys by name is what those sites mean.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // Off: `call<T>()` over JSON answers is the one typed cast at the HTTP edge, on purpose.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // Off: `Number(row.prix)`, `String(reply[0])` guard values whose declared type is wishful (pg returns NUMERIC and
      // int8 as strings, Redis replies are strings): its fixes would remove conversions that run.
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // A caught error is `unknown`; keeping it to rethrow later is fine. Literals and plain objects stay refused.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Tests read untyped JSON answers and stream chunks (`any`) and assert on their shape: a wrong shape fails the
    // assertion, so the no-unsafe-* rules (and no-explicit-any) would only ask for casts. Source code keeps them.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/restrict-plus-operands': [
        'error',
        { allowAny: true, allowBoolean: false, allowNullish: false, allowNumberAndString: false, allowRegExp: false },
      ],
    },
  },
  {
    // Plain JavaScript (the npm scripts, this file): no types to check, so only the untyped rules apply.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  prettier,
);
