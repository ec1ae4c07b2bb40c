/** @type {import('jest').Config} */
const { readFileSync } = require('node:fs');
const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));

// The PostgreSQL suites need a server; without DATABASE_URL they are not run
// (said out loud here, never reported as passed). .ci/run always sets it.
const withPostgres = Boolean(process.env.DATABASE_URL);
if (!withPostgres) {
  process.stderr.write('jest: DATABASE_URL is unset: the PostgreSQL suites (postgres.*-spec.ts) are not run.\n');
}

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: [
    '<rootDir>/apps/**/*.spec.ts',
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/apps/**/*.int-spec.ts',
    '<rootDir>/libs/**/*.int-spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
  ],
  // NestJS 12 ships ES modules: let swc turn them into CommonJS like our own code.
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { ...swcrc, swcrc: false, sourceMaps: 'inline' }] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|jose)/)'],
  moduleNameMapper: {
    '^@ledger/event-store$': '<rootDir>/libs/event-store/src/index.ts',
    '^@ledger/licensing$': '<rootDir>/libs/licensing/src/index.ts',
    '^@ledger/application$': '<rootDir>/libs/application/src/index.ts',
    '^@ledger/read-models$': '<rootDir>/libs/read-models/src/index.ts',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...(withPostgres ? [] : ['/postgres\\.[^/]*spec\\.ts$'])],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  // The captured logs of every ledger started in the run are scanned for secrets at the end.
  globalSetup: '<rootDir>/test/log-scan.setup.js',
  globalTeardown: '<rootDir>/test/log-scan.teardown.js',
  testTimeout: 60_000,
  maxWorkers: 2,
};
