import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// Every workspace declares what it imports: runtime code from `dependencies`,
// tests from `devDependencies` too. An undeclared import fails the lint.
const workspaces = ['services/common', 'services/finnhub-sim', 'services/producer', 'services/consumer', 'services/controller', 'services/dashboard', 'scripts/harness', 'scripts/bench'];
const declaredImports = workspaces.map((dir) => ({
  files: [`${dir}/**/*.ts`, `${dir}/**/*.js`],
  plugins: { 'import-x': importX },
  rules: {
    'import-x/no-extraneous-dependencies': [
      'error',
      { packageDir: [`${import.meta.dirname}/${dir}`], devDependencies: ['**/*.test.ts', '**/test/**'], optionalDependencies: false, peerDependencies: false },
    ],
  },
}));

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
  ...declaredImports,
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly' } },
  },
);
