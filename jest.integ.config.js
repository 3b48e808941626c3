/** Integration suite: the bundled handlers against moto_server on loopback (see test/tooling/moto-harness.ts). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.integ.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/tooling/setup-env.js'],
  globalSetup: '<rootDir>/test/tooling/global-setup.ts',
  globalTeardown: '<rootDir>/test/tooling/global-teardown.ts',
  testTimeout: 120000,
};
