// ESLint 8 loads this file with require(). The package is an ES module, so the
// config is exported under the name 'module.exports', which Node's require(esm)
// returns as the module value.
const config = {
  root: true,
  parser: '@typescript-eslint/parser',
  parserOptions: {
    project: './tsconfig.json',
    tsconfigRootDir: import.meta.dirname,
    sourceType: 'module',
  },
  plugins: ['@typescript-eslint'],
  extends: [
    'eslint:recommended',
    'plugin:@typescript-eslint/recommended',
    'plugin:@typescript-eslint/recommended-type-checked',
    'prettier',
  ],
  env: { node: true, es2023: true },
  ignorePatterns: ['dist/', 'node_modules/', '.tools/', '.data/', '*.js', '*.mjs', '*.cjs'],
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    eqeqeq: ['error', 'always'],
    curly: ['error', 'all'],
    'no-console': 'error',
  },
  overrides: [
    {
      files: ['**/*.spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
      rules: {
        '@typescript-eslint/no-unsafe-member-access': 'off',
        '@typescript-eslint/no-unsafe-assignment': 'off',
        '@typescript-eslint/no-unsafe-argument': 'off',
      },
    },
  ],
};

export { config as 'module.exports' };
