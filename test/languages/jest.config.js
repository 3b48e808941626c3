/**
 * The other CDK languages: the packages `npm run package` (jsii-pacmak) wrote to dist/, and CDK apps
 * in those languages that use them. Run by `npm run test:languages`, which packages first; needs
 * python3, Java and Maven, and Go (see CONTRIBUTING.md).
 */
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/languages'],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/tooling/setup-env.js'],
  testTimeout: 300000,
};
