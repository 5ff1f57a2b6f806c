import js from '@eslint/js';
import prettierConfig from 'eslint-config-prettier';
import nodePlugin from 'eslint-plugin-n';
import tseslint from 'typescript-eslint';

// Every workspace declares what it imports (in its own package.json, found
// from each file): an undeclared import fails the lint.
const declaredImports = {
  files: ['services/**/*.ts', 'scripts/**/*.ts', 'services/**/*.js', 'scripts/**/*.js'],
  plugins: { n: nodePlugin },
  rules: { 'n/no-extraneous-import': 'error' },
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.harness/**', 'artifacts/**', 'charts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  declaredImports,
  // Formatting is prettier's (checked by `npm run lint`): no eslint rule argues with it.
  prettierConfig,
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly' } },
  },
);
