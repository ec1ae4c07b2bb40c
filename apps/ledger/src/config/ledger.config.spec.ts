import { ConfigError, loadConfig, redactUrl } from './ledger.config';

describe('loadConfig', () => {
  it('defaults to the embedded store in ./data on port 3000', () => {
    expect(loadConfig({}, '/srv/ledger')).toEqual({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      store: { dataDir: '/srv/ledger/data', schema: 'public', poolSize: 10 },
      http: { bodyLimit: 1_048_576, corsOrigins: [], requestTimeoutMs: 30_000 },
      signing: { keyFile: '/srv/ledger/data/signing-key.pem' },
      readModels: { projectors: true, batchSize: 1_000, pollMs: 1_000, readWaitTimeoutMs: 5_000 },
      vendor: { accountId: '00000000-0000-7000-8000-000000000001', name: 'Vendor' },
    });
  });

  it('keeps the signing key beside the data folder unless told otherwise', () => {
    expect(loadConfig({ LEDGER_DATA_DIR: 'state' }, '/srv/ledger').signing.keyFile).toBe('/srv/ledger/state/signing-key.pem');
    expect(loadConfig({ LEDGER_SIGNING_KEY_FILE: 'keys/ledger.pem' }, '/srv/ledger').signing.keyFile).toBe('/srv/ledger/keys/ledger.pem');
    expect(loadConfig({ LEDGER_SIGNING_KEY_FILE: '/etc/ledger/key.pem' }, '/srv/ledger').signing.keyFile).toBe('/etc/ledger/key.pem');
  });

  it('runs the projectors in-process unless LEDGER_PROJECTORS=off', () => {
    expect(loadConfig({ LEDGER_PROJECTORS: 'off', DATABASE_URL: 'postgres://db/ledger' }).readModels.projectors).toBe(false);
    expect(() => loadConfig({ LEDGER_PROJECTORS: 'off' })).toThrow('LEDGER_PROJECTORS=off needs DATABASE_URL');
    expect(loadConfig({ LEDGER_PROJECTORS: 'ON', READ_WAIT_TIMEOUT_MS: '250' }).readModels).toMatchObject({ projectors: true, readWaitTimeoutMs: 250 });
    expect(() => loadConfig({ LEDGER_PROJECTORS: 'maybe' })).toThrow('LEDGER_PROJECTORS must be on or off, got "maybe"');
    expect(() => loadConfig({ PROJECTOR_BATCH_SIZE: '0' })).toThrow(/PROJECTOR_BATCH_SIZE must be an integer from 1 to 10000/);
  });

  it('takes exact CORS origins and a request timeout', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://portal.example.com, http://localhost:5173' }).http).toMatchObject({
      corsOrigins: ['https://portal.example.com', 'http://localhost:5173'],
    });
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow('CORS_ORIGINS must list origins such as https://portal.example.com');
    expect(() => loadConfig({ CORS_ORIGINS: 'https://portal.example.com/path' })).toThrow(/CORS_ORIGINS/);
    expect(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' }).http.requestTimeoutMs).toBe(5_000);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '10' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS must be an integer from 1000 to 600000/);
  });

  it('takes HTTP_BODY_LIMIT in bytes, at least 1024', () => {
    expect(loadConfig({ HTTP_BODY_LIMIT: '65536' }).http.bodyLimit).toBe(65_536);
    expect(() => loadConfig({ HTTP_BODY_LIMIT: '1000' })).toThrow('HTTP_BODY_LIMIT must be an integer from 1024 to 104857600, got "1000"');
    expect(() => loadConfig({ HTTP_BODY_LIMIT: '1mb' })).toThrow(/HTTP_BODY_LIMIT/);
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

  it('takes the vendor account from LEDGER_VENDOR_ACCOUNT_ID (lower-cased) and refuses a non-UUID', () => {
    expect(loadConfig({ LEDGER_VENDOR_ACCOUNT_ID: '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B', LEDGER_VENDOR_NAME: 'Acme Networks' }).vendor).toEqual({
      accountId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      name: 'Acme Networks',
    });
    expect(() => loadConfig({ LEDGER_VENDOR_ACCOUNT_ID: 'vendor-1' })).toThrow('LEDGER_VENDOR_ACCOUNT_ID must be a UUID, got "vendor-1"');
  });

  it('keeps passwords out of logged URLs', () => {
    expect(redactUrl('postgres://ledger:s3cret@db:5432/ledger')).toBe('postgres://ledger:***@db:5432/ledger');
    expect(redactUrl('postgres://ledger@db/ledger')).toBe('postgres://ledger@db/ledger');
  });
});
