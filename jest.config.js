/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // *.integ.test.ts need moto_server: they run in `npm run test:integ` (jest.integ.config.js); test/languages/
  // needs the packages of `npm run package` and Python, Java, Go: `npm run test:languages`.
  testPathIgnorePatterns: ['/node_modules/', '\\.integ\\.test\\.ts$', '<rootDir>/test/languages/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/tooling/setup-env.js'],
  testTimeout: 60000,
};
