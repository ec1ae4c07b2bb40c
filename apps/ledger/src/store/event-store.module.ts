import { type DynamicModule, Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE } from '@ledger/application';
import { type EventStore, openEventStore } from '@ledger/event-store';
import { type LedgerConfig, redactUrl } from '../config/ledger.config';

/** Injection token of the EventStore port (defined by the application lib, which needs it). */
export { EVENT_STORE };

@Injectable()
class EventStoreLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('EventStore');

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  // Runs after the HTTP server has stopped taking requests, so no request loses its store.
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.logger.log('event store closed');
  }
}

@Global()
@Module({})
export class EventStoreModule {
  static forRoot(config: LedgerConfig['store']): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [
        {
          provide: EVENT_STORE,
          useFactory: async (): Promise<EventStore> => {
            const logger = new Logger('EventStore');
            const { store, migration } = await openEventStore({
              ...(config.databaseUrl ? { databaseUrl: config.databaseUrl, poolSize: config.poolSize } : { dataDir: config.dataDir }),
              schema: config.schema,
            });
            logger.log({
              msg: 'event store open',
              backend: store.backend,
              where: config.databaseUrl ? redactUrl(config.databaseUrl) : config.dataDir,
              schema: config.schema,
              migrationsApplied: migration?.applied ?? [],
              schemaVersion: migration?.schemaVersion,
              ...(migration?.newEpoch ? { newEpoch: migration.newEpoch } : {}),
            });
            return closeOnce(store);
          },
        },
        EventStoreLifecycle,
      ],
      exports: [EVENT_STORE],
    };
  }
}

/** Shutdown may reach close() more than once (a failed start, then the hooks). */
function closeOnce(store: EventStore): EventStore {
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= store.close());
  return new Proxy(store, {
    get: (target, key, receiver) => (key === 'close' ? close : Reflect.get(target, key, receiver)),
  });
}
