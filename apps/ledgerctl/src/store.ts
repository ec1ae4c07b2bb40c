import { isAbsolute, resolve } from 'node:path';
import { SCHEMA_NAME, openEventStore } from '@ledger/event-store';
import { UsageError } from './cli';

/** The ledger's store settings, read as the ledger reads them. */
export interface StoreSettings {
  databaseUrl?: string;
  dataDir: string;
  schema: string;
  poolSize: number;
}

export function storeSettings(env: NodeJS.ProcessEnv): StoreSettings {
  const databaseUrl = env['DATABASE_URL'] || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new UsageError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  const schema = env['DATABASE_SCHEMA'] || 'public';
  if (!SCHEMA_NAME.test(schema)) throw new UsageError(`DATABASE_SCHEMA must be a lower-case identifier, got ${JSON.stringify(schema)}`);
  const pool = env['DATABASE_POOL_SIZE'] || '4';
  if (!/^\d+$/.test(pool) || Number(pool) < 1) throw new UsageError(`DATABASE_POOL_SIZE must be a positive integer, got ${JSON.stringify(pool)}`);
  const dir = env['LEDGER_DATA_DIR'] || './data';
  return { ...(databaseUrl ? { databaseUrl } : {}), dataDir: isAbsolute(dir) ? dir : resolve(process.cwd(), dir), schema, poolSize: Number(pool) };
}

export async function openStore(settings: StoreSettings, migrate: boolean) {
  try {
    return await openEventStore({
      ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl, poolSize: settings.poolSize } : { dataDir: settings.dataDir }),
      schema: settings.schema,
      migrate,
    });
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e?.code === 'DATA_DIR_LOCKED')
      throw Object.assign(
        new Error(
          `${e.message}. A PGlite data folder can be opened by one process only: stop the ledger (or the other ledgerctl) using it, then run this again; ` +
            'or point ledgerctl at the PostgreSQL server (DATABASE_URL) when the ledger runs on one.',
        ),
        { code: e.code },
      );
    throw error;
  }
}
