/**
 * The projectors as a process of their own, for deployments on a real
 * PostgreSQL: the API runs with LEDGER_PROJECTORS=off and any number of these
 * run beside it (one instance per projector is active, the others stand by).
 * Same settings as the ledger (docs/configuration.md). PGlite is one process:
 * the embedded default runs the projectors inside the ledger instead.
 */
import { type Server, createServer } from 'node:http';
import pino from 'pino';
import { type EventStore, openEventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, ProjectionRunner } from '@ledger/read-models';
import { type LedgerConfig, loadConfig, redactUrl } from '../../ledger/src/config/ledger.config';
import { LedgerMetrics } from '../../ledger/src/metrics/ledger-metrics';

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
  const metrics = config.projectorMetricsPort === undefined ? null : new LedgerMetrics();
  let server: Server | null = null;
  try {
    if (metrics) server = await serveMetrics(metrics, config.host, config.projectorMetricsPort!);
    runner = new ProjectionRunner(store, LEDGER_READ_MODELS, {
      batchSize: config.readModels.batchSize,
      pollMs: config.readModels.pollMs,
      log: ({ level, msg, error, ...rest }) => logger[level]({ msg, ...rest, ...(error ? { error: String(error) } : {}) }),
      onBatch: (projector, events, delaysMs) => {
        metrics?.recordBatch(projector, delaysMs);
        logger.debug({ msg: 'batch applied', projector, events });
      },
    });
    await runner.start();
  } catch (error) {
    server?.close();
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
  installShutdown(runner, store, config.shutdownTimeoutMs, server);
}

/**
 * Prometheus text at GET /metrics (PROJECTOR_METRICS_PORT): what this
 * process applied and how long its events waited. Positions and lag are the
 * API's /metrics (read from the database, whoever projects).
 */
function serveMetrics(metrics: LedgerMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      logger.info({ msg: 'metrics listening', port: typeof address === 'object' && address ? address.port : port });
      resolve(server);
    });
  });
}

function installShutdown(runner: ProjectionRunner, store: EventStore, timeoutMs: number, server: Server | null): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ msg: 'shutting down', signal });
    setTimeout(() => {
      logger.error({ msg: 'shutdown did not finish in time', timeoutMs });
      process.exit(1);
    }, timeoutMs).unref();
    server?.close();
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
  main(loadConfig(process.env, process.cwd(), { checksCredentials: false })).catch(fail);
} catch (error) {
  fail(error);
}
