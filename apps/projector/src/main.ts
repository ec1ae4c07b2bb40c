/**
 * The projectors as a process of their own, for deployments on a real
 * PostgreSQL: the API runs with LEDGER_PROJECTORS=off and any number of these
 * run beside it (one instance per projector is active, the others stand by).
 * Same settings as the ledger (docs/configuration.md). PGlite is one process:
 * the embedded default runs the projectors inside the ledger instead.
 */
import pino from 'pino';
import { type EventStore, openEventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, ProjectionRunner, migrateReadModels } from '@ledger/read-models';
import { type LedgerConfig, loadConfig, redactUrl } from '../../ledger/src/config/ledger.config';

const logger = pino({ base: { service: 'projector' }, level: 'info' });

async function main(config: LedgerConfig): Promise<void> {
  logger.level = config.logLevel;
  const databaseUrl = config.store.databaseUrl;
  if (!databaseUrl) {
    throw Object.assign(
      new Error('DATABASE_URL is not set: the projector process needs a PostgreSQL server. PGlite (the embedded default) is single-process: the ledger runs the projectors itself'),
      { code: 'DATABASE_URL_REQUIRED' },
    );
  }
  const { store, migration } = await openEventStore({ databaseUrl, schema: config.store.schema, poolSize: config.store.poolSize });
  logger.info({ msg: 'event store open', where: redactUrl(databaseUrl), schema: config.store.schema, migrationsApplied: migration?.applied ?? [] });
  let runner: ProjectionRunner | null = null;
  try {
    await migrateReadModels(store);
    runner = new ProjectionRunner(store, LEDGER_READ_MODELS, {
      batchSize: config.readModels.batchSize,
      pollMs: config.readModels.pollMs,
      log: ({ level, msg, error, ...rest }) => logger[level]({ msg, ...rest, ...(error ? { error: String(error) } : {}) }),
      onBatch: (projector, events) => logger.debug({ msg: 'batch applied', projector, events }),
    });
    await runner.start();
  } catch (error) {
    await runner?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
  logger.info({
    msg: 'projector running',
    projectors: LEDGER_READ_MODELS.map((m) => m.name),
    batchSize: config.readModels.batchSize,
    pollMs: config.readModels.pollMs,
  });
  installShutdown(runner, store, config.shutdownTimeoutMs);
}

function installShutdown(runner: ProjectionRunner, store: EventStore, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ msg: 'shutting down', signal });
    setTimeout(() => {
      logger.error({ msg: 'shutdown did not finish in time', timeoutMs });
      process.exit(1);
    }, timeoutMs).unref();
    // A batch in flight commits or rolls back before the store closes.
    runner
      .stop()
      .then(() => store.close())
      .then(
        () => {
          logger.info({ msg: 'stopped' });
          process.exitCode = 0;
        },
        (error: unknown) => {
          logger.error({ msg: 'shutdown failed', error: String(error) });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function fail(error: unknown): void {
  const e = error as { message?: string; code?: string; problems?: string[] };
  logger.fatal({ msg: 'projector failed to start', error: e?.message ?? String(error), code: e?.code, problems: e?.problems });
  logger.flush?.();
  process.exit(1);
}

try {
  main(loadConfig(process.env)).catch(fail);
} catch (error) {
  fail(error);
}
