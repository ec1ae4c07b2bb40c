import { ConfigError, loadConfig, redactUrl } from './ledger.config';

/** A LEDGER_SECRET long enough (32 characters or more). */
const SECRET = 'a-ledger-secret-of-32-characters';
/** A well-formed API key, as `ledgerctl keys generate` prints one. */
const ADMIN_KEY = 'ldg_k7m2q9x4c8vb_Q2hhbmdlIG1lIQ-_0123456789abcdefghijklmnopq';

/** The problems loadConfig reports for these settings (none: []). */
function problemsOf(env: NodeJS.ProcessEnv, options?: Parameters<typeof loadConfig>[2]): string[] {
  try {
    loadConfig(env, '/srv/ledger', options);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

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
      // No LEDGER_SECRET on the embedded store: the ledger makes one in the data folder.
      auth: { secretFile: '/srv/ledger/data/ledger-secret', rateLimit: { requests: 6_000, windowMs: 60_000 } },
    });
  });

  it('keeps the signing key beside the data folder unless told otherwise', () => {
    expect(loadConfig({ LEDGER_DATA_DIR: 'state' }, '/srv/ledger').signing.keyFile).toBe('/srv/ledger/state/signing-key.pem');
    expect(loadConfig({ LEDGER_SIGNING_KEY_FILE: 'keys/ledger.pem' }, '/srv/ledger').signing.keyFile).toBe('/srv/ledger/keys/ledger.pem');
    expect(loadConfig({ LEDGER_SIGNING_KEY_FILE: '/etc/ledger/key.pem' }, '/srv/ledger').signing.keyFile).toBe('/etc/ledger/key.pem');
  });

  it('runs the projectors in-process unless LEDGER_PROJECTORS=off', () => {
    expect(loadConfig({ LEDGER_PROJECTORS: 'off', DATABASE_URL: 'postgres://db/ledger', LEDGER_SECRET: SECRET }).readModels.projectors).toBe(false);
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
    const config = loadConfig({ DATABASE_URL: 'postgres://ledger@db:5432/ledger', DATABASE_SCHEMA: 'ledger', DATABASE_POOL_SIZE: '20', PORT: '8080', LEDGER_SECRET: SECRET });
    expect(config.store).toMatchObject({ databaseUrl: 'postgres://ledger@db:5432/ledger', schema: 'ledger', poolSize: 20 });
    expect(config.port).toBe(8080);
    expect(config.auth.secret).toBe(SECRET);
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
      'DATABASE_URL needs LEDGER_SECRET: every ledger process on one database must check API keys with the same secret',
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

  describe('credentials', () => {
    it('keys the API keys with LEDGER_SECRET, 32 characters or more, never echoed', () => {
      expect(loadConfig({ LEDGER_SECRET: SECRET }, '/srv/ledger').auth).toMatchObject({ secret: SECRET, secretFile: '/srv/ledger/data/ledger-secret' });
      const short = SECRET.slice(0, 31);
      const problems = problemsOf({ LEDGER_SECRET: short });
      expect(problems).toEqual([expect.stringContaining('LEDGER_SECRET must be at least 32 characters')]);
      expect(problems.join('\n')).not.toContain(short);
      // Even where no secret is needed, a wrong one is wrong.
      expect(problemsOf({ LEDGER_SECRET: short }, { checksCredentials: false })).toEqual([expect.stringContaining('LEDGER_SECRET must be at least 32 characters')]);
    });

    it('refuses NODE_ENV=production without LEDGER_SECRET, on either store', () => {
      expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('NODE_ENV=production needs LEDGER_SECRET')]);
      expect(problemsOf({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/ledger' })).toEqual([expect.stringContaining('NODE_ENV=production needs LEDGER_SECRET')]);
      expect(loadConfig({ NODE_ENV: 'production', LEDGER_SECRET: SECRET }).auth.secret).toBe(SECRET);
    });

    it('refuses DATABASE_URL without LEDGER_SECRET: every process on one database must share it', () => {
      expect(() => loadConfig({ DATABASE_URL: 'postgres://db/ledger' })).toThrow('DATABASE_URL needs LEDGER_SECRET');
      expect(loadConfig({ DATABASE_URL: 'postgres://db/ledger', LEDGER_SECRET: SECRET }).auth.secret).toBe(SECRET);
    });

    it('needs no LEDGER_SECRET in a process that checks no credentials (checksCredentials: false, the projector)', () => {
      const config = loadConfig({ DATABASE_URL: 'postgres://db/ledger', NODE_ENV: 'production' }, '/srv/ledger', { checksCredentials: false });
      expect(config.store.databaseUrl).toBe('postgres://db/ledger');
      expect(config.auth.secret).toBeUndefined();
      // checksCredentials defaults to true.
      expect(problemsOf({ DATABASE_URL: 'postgres://db/ledger' }, {})).toEqual([expect.stringContaining('DATABASE_URL needs LEDGER_SECRET')]);
    });

    it('takes LEDGER_ADMIN_KEY as an API key, and refuses a malformed one without echoing any of it', () => {
      expect(loadConfig({ LEDGER_ADMIN_KEY: ADMIN_KEY }).auth.adminKey).toBe(ADMIN_KEY);
      expect(loadConfig({}).auth.adminKey).toBeUndefined();
      const secretPart = ADMIN_KEY.slice(17);
      for (const malformed of [
        ADMIN_KEY.slice(0, -1), // secret too short
        `${ADMIN_KEY}x`, // too long
        `LDG_${ADMIN_KEY.slice(4)}`, // prefix in upper case
        `ldg_k7m2q9x4c8vi_${secretPart}`, // i is not in the key id alphabet (nor l, o, u)
        `ldg_K7M2Q9X4C8VB_${secretPart}`, // key id in upper case
        `ldg_k7m2q9x4c8v_${secretPart}x`, // key id of 11
        `ldg_k7m2q9x4c8vb_${secretPart.slice(0, -1)}+`, // not base64url
        `key_k7m2q9x4c8vb_${secretPart}`,
        ` ${ADMIN_KEY}`,
      ]) {
        let error: unknown;
        try {
          loadConfig({ LEDGER_ADMIN_KEY: malformed });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([expect.stringContaining('LEDGER_ADMIN_KEY must be an API key')]);
        const text = `${(error as ConfigError).message}\n${(error as ConfigError).problems.join('\n')}`;
        expect(text).not.toContain(malformed.trim());
        expect(text).not.toContain(secretPart.slice(0, 20));
        expect(text).not.toContain('k7m2q9x4c8v');
      }
    });

    it('accepts bearer tokens with all of JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URL, and refuses some without the others', () => {
      const jwt = { JWT_ISSUER: 'https://id.example.com/', JWT_AUDIENCE: 'ledger', JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' };
      expect(loadConfig(jwt).auth.jwt).toEqual({
        issuer: 'https://id.example.com/',
        audience: 'ledger',
        jwksUrl: 'https://id.example.com/.well-known/jwks.json',
        clockToleranceSeconds: 30,
        roleClaim: 'ledger_role',
        accountClaim: 'ledger_account',
      });
      expect(loadConfig({ ...jwt, JWT_CLOCK_SKEW_SECONDS: '0', JWT_ROLE_CLAIM: 'https://ledger.example.com/role', JWT_ACCOUNT_CLAIM: 'org_id' }).auth.jwt).toMatchObject({
        clockToleranceSeconds: 0,
        roleClaim: 'https://ledger.example.com/role',
        accountClaim: 'org_id',
      });
      expect(loadConfig({}).auth.jwt).toBeUndefined();
      const together = 'JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URL go together';
      for (const partial of [
        { JWT_ISSUER: jwt.JWT_ISSUER },
        { JWT_AUDIENCE: jwt.JWT_AUDIENCE },
        { JWT_JWKS_URL: jwt.JWT_JWKS_URL },
        { JWT_ISSUER: jwt.JWT_ISSUER, JWT_AUDIENCE: jwt.JWT_AUDIENCE },
        { JWT_AUDIENCE: jwt.JWT_AUDIENCE, JWT_JWKS_URL: jwt.JWT_JWKS_URL },
      ])
        expect(problemsOf(partial)).toEqual([expect.stringContaining(together)]);
      expect(problemsOf({ ...jwt, JWT_CLOCK_SKEW_SECONDS: '301' })).toEqual(['JWT_CLOCK_SKEW_SECONDS must be an integer from 0 to 300, got "301"']);
      expect(problemsOf({ ...jwt, JWT_ROLE_CLAIM: 'role claim' })).toEqual([expect.stringContaining('JWT_ROLE_CLAIM must be a claim name')]);
      expect(problemsOf({ ...jwt, JWT_ISSUER: 'an issuer with spaces' })).toEqual([expect.stringContaining('JWT_ISSUER must be')]);
    });

    it('fetches the token keys over https only, plain http to this machine alone', () => {
      const jwt = { JWT_ISSUER: 'https://id.example.com/', JWT_AUDIENCE: 'ledger' };
      for (const local of ['http://localhost:8080/jwks.json', 'http://127.0.0.1/jwks.json', 'http://[::1]:9000/jwks.json'])
        expect(loadConfig({ ...jwt, JWT_JWKS_URL: local }).auth.jwt?.jwksUrl).toBe(local);
      for (const remote of ['http://id.example.com/jwks.json', 'http://localhost.example.com/jwks.json', 'http://127.0.0.1@id.example.com/jwks.json', 'ftp://id.example.com/jwks.json'])
        expect(problemsOf({ ...jwt, JWT_JWKS_URL: remote })).toEqual(['JWT_JWKS_URL must be https (http only for localhost)']);
      expect(problemsOf({ ...jwt, JWT_JWKS_URL: 'not a url' })).toEqual(['JWT_JWKS_URL must be a URL']);
    });

    it('shares rate-limit counters through REDIS_URL, redis:// or rediss:// only, never echoed', () => {
      expect(loadConfig({ REDIS_URL: 'redis://cache:6379/0' }).auth.rateLimit.redisUrl).toBe('redis://cache:6379/0');
      expect(loadConfig({ REDIS_URL: 'rediss://user:pw@cache:6380' }).auth.rateLimit.redisUrl).toBe('rediss://user:pw@cache:6380');
      expect(loadConfig({}).auth.rateLimit.redisUrl).toBeUndefined();
      for (const wrong of ['http://user:hunter2@cache:6379', 'cache:6379', 'redis:/cache']) {
        const problems = problemsOf({ REDIS_URL: wrong });
        expect(problems).toEqual(['REDIS_URL must be a redis:// or rediss:// URL']);
      }
    });

    it('limits requests per principal: RATE_LIMIT_REQUESTS from 0 (off) to 10000000 per RATE_LIMIT_WINDOW_MS of 1 s to 1 h', () => {
      expect(loadConfig({}).auth.rateLimit).toEqual({ requests: 6_000, windowMs: 60_000 });
      expect(loadConfig({ RATE_LIMIT_REQUESTS: '0', RATE_LIMIT_WINDOW_MS: '1000' }).auth.rateLimit).toEqual({ requests: 0, windowMs: 1_000 });
      expect(loadConfig({ RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_WINDOW_MS: '3600000' }).auth.rateLimit).toEqual({ requests: 10_000_000, windowMs: 3_600_000 });
      expect(problemsOf({ RATE_LIMIT_REQUESTS: '10000001' })).toEqual(['RATE_LIMIT_REQUESTS must be an integer from 0 to 10000000, got "10000001"']);
      expect(problemsOf({ RATE_LIMIT_REQUESTS: '-1' })).toEqual(['RATE_LIMIT_REQUESTS must be an integer from 0 to 10000000, got "-1"']);
      expect(problemsOf({ RATE_LIMIT_REQUESTS: '1e3' })).toEqual([expect.stringContaining('RATE_LIMIT_REQUESTS must be an integer')]);
      expect(problemsOf({ RATE_LIMIT_WINDOW_MS: '999' })).toEqual(['RATE_LIMIT_WINDOW_MS must be an integer from 1000 to 3600000, got "999"']);
      expect(problemsOf({ RATE_LIMIT_WINDOW_MS: '3600001' })).toEqual(['RATE_LIMIT_WINDOW_MS must be an integer from 1000 to 3600000, got "3600001"']);
    });
  });

  it('keeps passwords out of logged URLs', () => {
    expect(redactUrl('postgres://ledger:s3cret@db:5432/ledger')).toBe('postgres://ledger:***@db:5432/ledger');
    expect(redactUrl('postgres://ledger@db/ledger')).toBe('postgres://ledger@db/ledger');
  });
});
