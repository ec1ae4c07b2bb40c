import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, ProjectionRunner, ensureLiveGenerations } from '@ledger/read-models';
import type { LedgerConfig } from '../config/ledger.config';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import { ProjectionsController } from './projections.controller';
import { PROJECTION_RUNNER, READ_MODELS_CONFIG } from './read-models.tokens';
import { ReadYourWrites } from './read-your-writes';

@Injectable()
class ProjectionLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The tables must exist before the first query, whoever runs the projectors (a runner sees to it as it starts).
    if (this.runner) await this.runner.start();
    else await ensureLiveGenerations(this.store, LEDGER_READ_MODELS);
  }

  // Before the store closes (onApplicationShutdown): a batch in flight finishes or rolls back.
  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
  }
}

/** The read side in the API process: the projectors (unless LEDGER_PROJECTORS=off), their status and read-your-writes. */
@Module({})
export class ReadModelsModule {
  static register(config: LedgerConfig['readModels']): DynamicModule {
    const logger = new Logger('Projector');
    return {
      module: ReadModelsModule,
      global: true,
      controllers: [ProjectionsController],
      providers: [
        { provide: READ_MODELS_CONFIG, useValue: config },
        {
          provide: PROJECTION_RUNNER,
          inject: [EVENT_STORE, LedgerMetrics],
          useFactory: (store: EventStore, metrics: LedgerMetrics) =>
            config.projectors
              ? new ProjectionRunner(store, LEDGER_READ_MODELS, {
                  batchSize: config.batchSize,
                  pollMs: config.pollMs,
                  onBatch: (projector, _events, delaysMs) => metrics.recordBatch(projector, delaysMs),
                  log: ({ level, msg, error, ...rest }) =>
                    logger[level === 'info' ? 'log' : level]({ msg, ...rest, ...(error ? { error: String(error) } : {}) }),
                })
              : null,
        },
        ProjectionLifecycle,
        ReadYourWrites,
      ],
      exports: [PROJECTION_RUNNER, READ_MODELS_CONFIG, ReadYourWrites],
    };
  }
}
