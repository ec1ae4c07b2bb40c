import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ApiKeyDirectory, EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { CommandSender } from '../commands/command-sender';
import { MetricsModule } from '../metrics/metrics.module';
import type { AuthConfig } from '../config/ledger.config';
import { AccessGuard, RATE_LIMITER } from './access.guard';
import { AccessLookups } from './access-lookups';
import { ApiKeysController } from './api-keys.controller';
import { LEDGER_SECRET } from './auth.tokens';
import { Authenticator } from './authenticator';
import { BOOTSTRAP_OPTIONS, BootstrapAdminKey, type BootstrapOptions } from './bootstrap-admin-key';
import { loadLedgerSecret } from './credentials';
import { JwtVerifier } from './jwt-verifier';
import { PrincipalThrottlerGuard, rateLimitModule } from './rate-limit';
import { RoutePolicies } from './route-policies';
import { ScopeResolver } from './scope.resolver';

/**
 * Who may do what: API keys and bearer tokens become principals, one global
 * guard applies every route's policy, and the key routes manage keys.
 */
@Module({})
export class AuthModule {
  static register(config: AuthConfig, bootstrap: Omit<BootstrapOptions, 'adminKey'>): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [DiscoveryModule, MetricsModule, rateLimitModule(config.rateLimit)],
      controllers: [ApiKeysController],
      providers: [
        { provide: LEDGER_SECRET, useFactory: () => loadLedgerSecret(config.secret, config.secretFile) },
        { provide: ApiKeyDirectory, inject: [EVENT_STORE], useFactory: (store: EventStore) => new ApiKeyDirectory(store.sql) },
        AccessLookups,
        {
          provide: Authenticator,
          inject: [AccessLookups, LEDGER_SECRET],
          useFactory: (lookups: AccessLookups, secret: Buffer) => new Authenticator(lookups, secret, config.jwt ? new JwtVerifier(config.jwt) : null),
        },
        { provide: BOOTSTRAP_OPTIONS, useValue: { ...bootstrap, ...(config.adminKey !== undefined ? { adminKey: config.adminKey } : {}) } },
        ScopeResolver,
        RoutePolicies,
        PrincipalThrottlerGuard,
        { provide: RATE_LIMITER, useExisting: PrincipalThrottlerGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        CommandSender,
        BootstrapAdminKey,
      ],
      exports: [ApiKeyDirectory, LEDGER_SECRET, ScopeResolver, RoutePolicies, Authenticator],
    };
  }
}
