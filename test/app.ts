import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { AppModule } from '../apps/ledger/src/app.module';
import type { LedgerConfig } from '../apps/ledger/src/config/ledger.config';
import { configureHttp } from '../apps/ledger/src/http';
import type { TestBackend } from './backends';

/** A ledger app for one end-to-end suite, on one backend, and how to throw it away. */
export interface TestLedger {
  app: INestApplication;
  /** The event store the app writes to (EVENT_STORE), for reading streams and the feed directly. */
  store: EventStore;
  config: LedgerConfig;
  close(): Promise<void>;
}

/**
 * Builds the app as main.ts does (the one JSON body parser of configureHttp,
 * with the configured limit, and no Nest default parser beside it), on a store
 * and signing key of its own.
 */
export async function startTestLedger(backend: TestBackend, readModels: Partial<LedgerConfig['readModels']> = {}): Promise<TestLedger> {
  const store = backend.store();
  const keyDir = mkdtempSync(join(tmpdir(), 'ledger-e2e-key-'));
  const config: LedgerConfig = {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    shutdownTimeoutMs: 5_000,
    store: store.config,
    http: { bodyLimit: 1_048_576, corsOrigins: ['https://portal.example.com'], requestTimeoutMs: 30_000 },
    signing: { keyFile: join(keyDir, 'signing-key.pem') },
    // Short poll: a lost notification must not stall a test for long.
    readModels: { projectors: true, batchSize: 500, pollMs: 100, readWaitTimeoutMs: 10_000, ...readModels },
  };
  let app: INestApplication | undefined;
  const close = async () => {
    try {
      await app?.close();
    } finally {
      await store.dispose();
      rmSync(keyDir, { recursive: true, force: true });
    }
  };
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
    app = moduleRef.createNestApplication({ logger: false, bodyParser: false });
    configureHttp(app, config.http);
    app.enableShutdownHooks();
    await app.init();
    return { app, store: app.get<EventStore>(EVENT_STORE), config, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
