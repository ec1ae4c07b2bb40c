import { randomUUID } from 'node:crypto';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { ApplicationModule } from '@ledger/application';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CommandsModule } from './commands/commands.module';
import { DEFAULT_VENDOR, type LedgerConfig } from './config/ledger.config';
import { HealthController } from './health/health.controller';
import { MetricsModule } from './metrics/metrics.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { QueriesModule } from './queries/queries.module';
import { SigningModule } from './signing/signing.module';
import { EventStoreModule } from './store/event-store.module';

const API_KEY_IN_TEXT = /(ldg_[0-9a-z]{12}_)[A-Za-z0-9_-]+/g;

function scrubbed(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value).replace(API_KEY_IN_TEXT, '$1[redacted]'));
}

/** pino-http's options, and where its lines go when not to stdout (an embedding application, the tests' capture). */
function withDestination(destination: DestinationStream | undefined, options: Options): Options | [Options, DestinationStream] {
  return destination ? [options, destination] : options;
}

@Module({})
export class AppModule {
  static register(config: LedgerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: withDestination(config.logDestination, {
            level: config.logLevel,
            // Never write credentials to logs, whatever scheme brings them.
            redact: {
              paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]', 'key', '*.key', 'token', '*.token', 'secret', '*.secret'],
              censor: '[redacted]',
            },
            genReqId: (req, res) => {
              const given = req.headers['x-request-id'];
              const id = typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            // A key pasted into a URL would otherwise be logged with it.
            // Anywhere in the request line: the URL, its query and its path parameters.
            serializers: { req: (req: object) => scrubbed(req) },
            customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
            // Health probes every few seconds would drown the log.
            autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
          }),
        }),
        EventStoreModule.forRoot(config.store),
        MetricsModule,
        SigningModule.register(config.signing),
        ApplicationModule.forRoot({ vendor: config.vendor ?? DEFAULT_VENDOR }),
        AuthModule.register(config.auth, { print: (text) => process.stdout.write(text), port: config.port }),
        CommandsModule,
        ReadModelsModule.register(config.readModels),
        QueriesModule,
        AuditModule,
      ],
      controllers: [HealthController],
    };
  }
}
