import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { type LedgerConfig, loadConfig } from './config/ledger.config';
import { configureHttp } from './http';

async function bootstrap(config: LedgerConfig): Promise<void> {
  const app = await NestFactory.create(AppModule.register(config), {
    bufferLogs: true,
    // Until pino takes over (and if the start fails before it does), logs are still JSON lines.
    logger: new ConsoleLogger({ json: true, colors: false }),
    // Let us report a failed start (and exit non-zero) instead of Nest aborting the process.
    abortOnError: false,
    // On shutdown, close idle keep-alive connections instead of waiting for clients to drop them.
    forceCloseConnections: true,
    // configureHttp installs the one body parser (JSON, HTTP_BODY_LIMIT); no urlencoded one beside it.
    bodyParser: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  configureHttp(app, config.http);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal }, 'Main');
    // unref: fires only if something still holds the process after close().
    setTimeout(() => {
      logger.error({ msg: 'shutdown did not finish in time', timeoutMs: config.shutdownTimeoutMs }, 'Main');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    // close() stops the HTTP server first, then runs the shutdown hooks (the store closes last).
    app.close().then(
      () => {
        logger.log({ msg: 'stopped' }, 'Main');
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ msg: 'shutdown failed', error: String(error) }, 'Main');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number } | string;
  logger.log({ msg: 'ledger listening', port: typeof address === 'string' ? address : address.port, docs: '/docs' }, 'Main');
}

function fail(error: unknown): void {
  // Never a bare stack trace: one JSON line saying what stopped the start.
  const e = error as { message?: string; code?: string; problems?: string[] };
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', time: Date.now(), msg: 'ledger failed to start', error: e?.message ?? String(error), code: e?.code, problems: e?.problems })}\n`,
  );
  process.exit(1);
}

try {
  bootstrap(loadConfig(process.env)).catch(fail);
} catch (error) {
  fail(error);
}
