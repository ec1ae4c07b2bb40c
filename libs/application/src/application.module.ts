import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { EventStore } from '@ledger/event-store';
import { openAccount } from '@ledger/licensing';
import { CommandExecutor } from './command-executor';
import { CreateApiKeyHandler } from './create-api-key/create-api-key.handler';
import { COMMAND_HANDLERS } from './handlers';
import { migrateAccess } from './access/api-key-table';
import { migrateLicenseIndex } from './license-index';
import { EVENT_STORE } from './tokens';

export interface ApplicationOptions {
  /** The vendor account that exists from the first start on (the root of every partner). */
  vendor: { accountId: string; name: string };
}

/** Injection token of the vendor account's id and name. */
export const VENDOR_ACCOUNT = Symbol('VENDOR_ACCOUNT');

@Injectable()
class Installation implements OnApplicationBootstrap {
  private readonly logger = new Logger('Application');

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(VENDOR_ACCOUNT) private readonly vendor: ApplicationOptions['vendor'],
  ) {}

  // Idempotent: opening the vendor account again records nothing.
  async onApplicationBootstrap(): Promise<void> {
    const outcome = await this.executor.execute(
      openAccount,
      { now: new Date().toISOString(), accountId: this.vendor.accountId, kind: 'vendor', name: this.vendor.name, parentId: null, emails: [] },
      { commandId: `install:vendor-account:${this.vendor.accountId}`, actor: 'system', correlationId: 'install' },
    );
    if (!outcome.replayed) this.logger.log({ msg: 'vendor account ready', accountId: this.vendor.accountId, position: outcome.position });
  }
}

/**
 * Wires the domain's deciders to @nestjs/cqrs: one handler per command, all
 * through the one CommandExecutor. Needs the EVENT_STORE provider (global).
 */
@Module({})
export class ApplicationModule {
  static forRoot(options: ApplicationOptions): DynamicModule {
    return {
      module: ApplicationModule,
      global: true,
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: VENDOR_ACCOUNT, useValue: options.vendor },
        {
          provide: CommandExecutor,
          inject: [EVENT_STORE],
          useFactory: async (store: EventStore) => {
            await migrateLicenseIndex(store);
            await migrateAccess(store);
            return new CommandExecutor(store);
          },
        },
        ...COMMAND_HANDLERS,
        Installation,
      ],
      // CreateApiKeyHandler: the first admin key is created at start, before the bus has its handlers.
      exports: [CommandExecutor, VENDOR_ACCOUNT, CqrsModule, CreateApiKeyHandler],
    };
  }
}
