/** Integration suite: the bundled handlers against moto_server on loopback (see test/integ/). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.integ.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/setup-env.js'],
  globalSetup: '<rootDir>/test/integ/global-setup.ts',
  globalTeardown: '<rootDir>/test/integ/global-teardown.ts',
  testTimeout: 120000,
};
