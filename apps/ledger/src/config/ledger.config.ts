import { isAbsolute, join, resolve } from 'node:path';
import { SCHEMA_NAME } from '@ledger/event-store';
import { isApiKey } from '../auth/credentials';
import type { JwtSettings } from '../auth/jwt-verifier';
import { DEFAULT_BODY_LIMIT } from '../http/json-body';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Every setting of the ledger API, read once from the environment at start. */
export interface LedgerConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** How long a SIGTERM may take before the process gives up and exits with 1. */
  shutdownTimeoutMs: number;
  store: {
    /** Set: PostgreSQL at this URL. Unset: embedded PGlite in dataDir. */
    databaseUrl?: string;
    dataDir: string;
    schema: string;
    poolSize: number;
  };
  http: {
    /** Largest accepted request body, in bytes. */
    bodyLimit: number;
    /** Browser origins allowed to call the API (CORS); empty: none. */
    corsOrigins: string[];
    /** How long a client may take to send a whole request (headers and body) before the connection is closed. */
    requestTimeoutMs: number;
  };
  /** The vendor account opened on the first start (the root of every partner). Optional for tests: AppModule has a default. */
  vendor?: { accountId: string; name: string };
  signing: {
    /** Ed25519 private key (PKCS#8 PEM) that signs license files; created on first start. */
    keyFile: string;
  };
  readModels: {
    /** Run the projectors in this process (on: the embedded default; off: apps/projector runs them). */
    projectors: boolean;
    /** Events per projector batch (one transaction each). */
    batchSize: number;
    /** Polling fallback when no feed notification arrives. */
    pollMs: number;
    /** How long a query with minPosition waits for the read models before answering 503. */
    readWaitTimeoutMs: number;
  };
  /** apps/projector only: serve its Prometheus metrics on this port (unset: none). */
  projectorMetricsPort?: number;
  auth: AuthConfig;
  /** Where log lines go instead of stdout: for an embedding application or the tests' capture; no setting. */
  logDestination?: { write(line: string): void };
}

export interface AuthConfig {
  /** LEDGER_SECRET: keys the API keys' digests. Unset: generated once into secretFile (embedded default only). */
  secret?: string;
  secretFile: string;
  /** LEDGER_ADMIN_KEY: becomes the bootstrap admin key on start. */
  adminKey?: string;
  /** Bearer tokens from an OpenID Connect provider; unset: API keys only. */
  jwt?: JwtSettings;
  rateLimit: {
    /** Requests per principal (or per client address, before authentication) per window; 0: no limit. */
    requests: number;
    windowMs: number;
    /** Shared counters across processes; unset: each process counts in memory. */
    redisUrl?: string;
  };
}

export interface LoadConfigOptions {
  /** False for processes that never check credentials (the projector): they need no LEDGER_SECRET. */
  checksCredentials?: boolean;
}

/** The vendor account every ledger has from its first start (LEDGER_VENDOR_ACCOUNT_ID, LEDGER_VENDOR_NAME). */
export const DEFAULT_VENDOR = { accountId: '00000000-0000-7000-8000-000000000001', name: 'Vendor' } as const;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIGURATION';

  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and checks the settings, reporting every problem at once so that an
 * operator fixes them in one go. Documented in docs/configuration.md.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd(), options: LoadConfigOptions = {}): LedgerConfig {
  const problems: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };

  const logLevel = (env['LOG_LEVEL'] || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env['LOG_LEVEL'])}`);

  const databaseUrl = env['DATABASE_URL'] || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');

  const schema = env['DATABASE_SCHEMA'] || 'public';
  if (!SCHEMA_NAME.test(schema)) problems.push(`DATABASE_SCHEMA must be a lower-case identifier, got ${JSON.stringify(schema)}`);

  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  const dataDir = absolute(env['LEDGER_DATA_DIR'] || './data');
  // Beside the embedded store by default, so one folder holds all the state a single node needs.
  const keyFile = absolute(env['LEDGER_SIGNING_KEY_FILE'] || join(dataDir, 'signing-key.pem'));

  const vendorId = env['LEDGER_VENDOR_ACCOUNT_ID'] || DEFAULT_VENDOR.accountId;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(vendorId))
    problems.push(`LEDGER_VENDOR_ACCOUNT_ID must be a UUID, got ${JSON.stringify(vendorId)}`);

  const corsOrigins = (env['CORS_ORIGINS'] ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    // Exact origins only: a wildcard would let any page call the API with its users' credentials later.
    if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(origin))
      problems.push(`CORS_ORIGINS must list origins such as https://portal.example.com (scheme, host, optional port), got ${JSON.stringify(origin)}`);
  }

  const projectors = (env['LEDGER_PROJECTORS'] || 'on').toLowerCase();
  if (projectors !== 'on' && projectors !== 'off') problems.push(`LEDGER_PROJECTORS must be on or off, got ${JSON.stringify(env['LEDGER_PROJECTORS'])}`);
  // The embedded store belongs to this process: with the projectors off here, nobody could run them.
  if (projectors === 'off' && !databaseUrl)
    problems.push('LEDGER_PROJECTORS=off needs DATABASE_URL: on the embedded store (PGlite) only the ledger process can run the projectors');

  const auth = loadAuth(env, dataDir, databaseUrl, options.checksCredentials ?? true, problems, integer);

  const config: LedgerConfig = {
    port: integer('PORT', 3000, 0, 65_535),
    host: env['HOST'] || '0.0.0.0',
    logLevel,
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    store: {
      ...(databaseUrl ? { databaseUrl } : {}),
      dataDir,
      schema,
      poolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1_000),
    },
    http: {
      bodyLimit: integer('HTTP_BODY_LIMIT', DEFAULT_BODY_LIMIT, 1_024, 104_857_600),
      corsOrigins,
      requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
    },
    signing: { keyFile },
    readModels: {
      projectors: projectors !== 'off',
      batchSize: integer('PROJECTOR_BATCH_SIZE', 1_000, 1, 10_000),
      pollMs: integer('PROJECTOR_POLL_MS', 1_000, 10, 60_000),
      readWaitTimeoutMs: integer('READ_WAIT_TIMEOUT_MS', 5_000, 0, 60_000),
    },
    vendor: { accountId: vendorId.toLowerCase(), name: env['LEDGER_VENDOR_NAME'] || DEFAULT_VENDOR.name },
    auth,
  };
  if (env['PROJECTOR_METRICS_PORT']) config.projectorMetricsPort = integer('PROJECTOR_METRICS_PORT', 0, 0, 65_535);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}


/** Credential settings. Secrets are checked for shape only and never echoed in a problem. */
function loadAuth(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  databaseUrl: string | undefined,
  checksCredentials: boolean,
  problems: string[],
  integer: (name: string, fallback: number, min: number, max: number) => number,
): AuthConfig {
  const secret = env['LEDGER_SECRET'] || undefined;
  if (secret !== undefined && secret.length < 32) problems.push('LEDGER_SECRET must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  if (checksCredentials && secret === undefined) {
    if (env['NODE_ENV'] === 'production') problems.push('NODE_ENV=production needs LEDGER_SECRET: the API keys\' digests must not depend on a file in the data folder');
    // Every process that checks keys must key the digests alike: a file per data folder would not be shared.
    else if (databaseUrl) problems.push('DATABASE_URL needs LEDGER_SECRET: every ledger process on one database must check API keys with the same secret');
  }
  const adminKey = env['LEDGER_ADMIN_KEY'] || undefined;
  if (adminKey !== undefined && !isApiKey(adminKey))
    problems.push('LEDGER_ADMIN_KEY must be an API key as `npm run ledgerctl -- keys generate` prints it (ldg_, 12 characters, _, 43 characters)');

  const auth: AuthConfig = {
    ...(secret !== undefined ? { secret } : {}),
    secretFile: join(dataDir, 'ledger-secret'),
    ...(adminKey !== undefined ? { adminKey } : {}),
    rateLimit: { requests: integer('RATE_LIMIT_REQUESTS', 6_000, 0, 10_000_000), windowMs: integer('RATE_LIMIT_WINDOW_MS', 60_000, 1_000, 3_600_000) },
  };
  const redisUrl = env['REDIS_URL'] || undefined;
  if (redisUrl !== undefined) {
    if (!/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must be a redis:// or rediss:// URL');
    auth.rateLimit.redisUrl = redisUrl;
  }

  const issuer = env['JWT_ISSUER'] || undefined;
  const audience = env['JWT_AUDIENCE'] || undefined;
  const jwksUrl = env['JWT_JWKS_URL'] || undefined;
  const given = [issuer, audience, jwksUrl].filter((v) => v !== undefined).length;
  if (given > 0 && given < 3) problems.push('JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URL go together: set all three to accept bearer tokens, or none');
  if (issuer !== undefined && audience !== undefined && jwksUrl !== undefined) {
    // The actor `jwt:<issuer>#<subject>` (subject up to 200) must fit the store's 500 characters.
    if (!/^[\x21-\x7e]{1,250}$/.test(issuer)) problems.push('JWT_ISSUER must be 1 to 250 printable ASCII characters without spaces');
    let url: URL | undefined;
    try {
      url = new URL(jwksUrl);
    } catch {
      problems.push('JWT_JWKS_URL must be a URL');
    }
    // Keys fetched in the clear could be swapped by anyone on the path; plain http only to this machine (tests).
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)))
      problems.push('JWT_JWKS_URL must be https (http only for localhost)');
    const claim = (name: string, fallback: string) => {
      const value = env[name] || fallback;
      if (!/^[A-Za-z0-9_.:/-]{1,100}$/.test(value)) problems.push(`${name} must be a claim name, got ${JSON.stringify(value)}`);
      return value;
    };
    auth.jwt = {
      issuer,
      audience,
      jwksUrl,
      clockToleranceSeconds: integer('JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
      roleClaim: claim('JWT_ROLE_CLAIM', 'ledger_role'),
      accountClaim: claim('JWT_ACCOUNT_CLAIM', 'ledger_account'),
    };
  }
  return auth;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
