// ESM + TypeScript: run with `node --experimental-vm-modules node_modules/jest/bin/jest.js` (npm test).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'test/tsconfig.json', diagnostics: false }],
  },
  testTimeout: 30000,
  // output is laid out for 80 columns when not a terminal; tests that look for a message in it read it
  // unwrapped (test/width.test.ts checks the layout at 80 and 100 columns)
  setupFiles: ['<rootDir>/test/helpers/setup-env.cjs'],
  // spawned runs with a fake host start a test-only entry (test/helpers/cli-entry.ts), bundled here
  globalSetup: '<rootDir>/test/helpers/global-setup.mjs',
};
