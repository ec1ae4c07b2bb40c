import { isAbsolute, resolve } from 'node:path';
import { SCHEMA_NAME } from '@ledger/event-store';

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
}

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
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LedgerConfig {
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

  const dataDir = env['LEDGER_DATA_DIR'] || './data';

  const config: LedgerConfig = {
    port: integer('PORT', 3000, 0, 65_535),
    host: env['HOST'] || '0.0.0.0',
    logLevel,
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    store: {
      ...(databaseUrl ? { databaseUrl } : {}),
      dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
      schema,
      poolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1_000),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
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
