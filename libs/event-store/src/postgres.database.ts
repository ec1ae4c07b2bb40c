import postgres from 'postgres';
import type { Database, ScriptExecutor } from './database';

export interface PostgresOptions {
  url: string;
  /** Schema holding the store's tables; created on migrate. Defaults to `public`. */
  schema?: string;
  /** Connections in the pool; defaults to 10. */
  poolSize?: number;
}

type Sql = postgres.Sql | postgres.TransactionSql;

function executor(sql: Sql): ScriptExecutor {
  return {
    // Prepared statements: the store sends the same few statements over and over.
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as Row[],
    exec: async (script: string) => {
      await sql.unsafe(script);
    },
  };
}

export function openPostgres(options: PostgresOptions): Database {
  const sql = postgres(options.url, {
    max: options.poolSize ?? 10,
    onnotice: () => undefined,
    connection: {
      application_name: 'licensing-ledger',
      ...(options.schema ? { search_path: options.schema } : {}),
    },
  });
  return {
    backend: 'postgres',
    ...executor(sql),
    transaction: async <T>(fn: (tx: ScriptExecutor) => Promise<T>) =>
      (await sql.begin((tx) => fn(executor(tx)))) as T,
    close: () => sql.end({ timeout: 5 }),
  };
}
