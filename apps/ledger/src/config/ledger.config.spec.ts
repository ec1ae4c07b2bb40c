import { ConfigError, loadConfig, redactUrl } from './ledger.config';

describe('loadConfig', () => {
  it('defaults to the embedded store in ./data on port 3000', () => {
    expect(loadConfig({}, '/srv/ledger')).toEqual({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      store: { dataDir: '/srv/ledger/data', schema: 'public', poolSize: 10 },
    });
  });

  it('chooses PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://ledger@db:5432/ledger', DATABASE_SCHEMA: 'ledger', DATABASE_POOL_SIZE: '20', PORT: '8080' });
    expect(config.store).toMatchObject({ databaseUrl: 'postgres://ledger@db:5432/ledger', schema: 'ledger', poolSize: 20 });
    expect(config.port).toBe(8080);
  });

  it('reports every bad setting at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', DATABASE_SCHEMA: 'Bad-Name', DATABASE_POOL_SIZE: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'DATABASE_URL must be a postgres:// or postgresql:// URL',
      'DATABASE_SCHEMA must be a lower-case identifier, got "Bad-Name"',
      'PORT must be an integer from 0 to 65535, got "eighty"',
      'DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "0"',
    ]);
  });

  it('keeps passwords out of logged URLs', () => {
    expect(redactUrl('postgres://ledger:s3cret@db:5432/ledger')).toBe('postgres://ledger:***@db:5432/ledger');
    expect(redactUrl('postgres://ledger@db/ledger')).toBe('postgres://ledger@db/ledger');
  });
});
