/** Unit tests live beside the code; e2e suites in test/ drive the real app over HTTP. */
const moduleNameMapper = {
  '^@codexflow/api$': '<rootDir>/apps/api/src/index.ts',
  '^@codexflow/(access|audit|auth|core|gdpr|mail|monitoring|projects|tasks|testing|users)$': '<rootDir>/libs/$1/src/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
    '/node_modules/@nestjs/throttler/.+\\.js$': '<rootDir>/tools/jest/nest-esm-interop.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/throttler/)'],
  setupFiles: ['<rootDir>/tools/jest/nest-esm-globals.mjs'],
};

export default {
  // Hooks that start the app and its embedded database need more than the default 5 s.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/apps', '<rootDir>/libs'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
    },
  ],
};
