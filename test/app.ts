import { randomBytes } from 'node:crypto';
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
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { generateApiKey } from '../apps/ledger/src/auth/credentials';
import type { TestBackend } from './backends';
import { testLogSink } from './log-capture';

/** The LEDGER_SECRET of every test ledger; the log scan looks for its shape too. */
export const TEST_SECRET = `test-secret-${randomBytes(24).toString('base64url')}`;

/** A ledger app for one end-to-end suite, on one backend, and how to throw it away. */
export interface TestLedger {
  app: INestApplication;
  /** The bootstrap admin key (LEDGER_ADMIN_KEY) of this ledger. */
  adminKey: string;
  /** Requests with `Authorization: Bearer <key>`, the admin key by default. */
  http(key?: string): TestAgent;
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
export async function startTestLedger(
  backend: TestBackend,
  readModels: Partial<LedgerConfig['readModels']> = {},
  auth: Partial<LedgerConfig['auth']> = {},
): Promise<TestLedger> {
  const store = backend.store();
  const keyDir = mkdtempSync(join(tmpdir(), 'ledger-e2e-key-'));
  const adminKey = auth.adminKey ?? generateApiKey().key;
  const logs = testLogSink(backend.name);
  const config: LedgerConfig = {
    port: 0,
    host: '127.0.0.1',
    // Logged in full and kept: the run's end scans every line for secrets (test/log-scan.js).
    logLevel: logs ? 'info' : 'silent',
    ...(logs ? { logDestination: logs } : {}),
    shutdownTimeoutMs: 5_000,
    store: store.config,
    http: { bodyLimit: 1_048_576, corsOrigins: ['https://portal.example.com'], requestTimeoutMs: 30_000 },
    signing: { keyFile: join(keyDir, 'signing-key.pem') },
    // Short poll: a lost notification must not stall a test for long.
    readModels: { projectors: true, batchSize: 500, pollMs: 100, readWaitTimeoutMs: 10_000, ...readModels },
    // No rate limit unless a suite sets one: suites send bursts on purpose.
    auth: { secret: TEST_SECRET, secretFile: join(keyDir, 'ledger-secret'), rateLimit: { requests: 0, windowMs: 60_000 }, ...auth, adminKey },
  };
  let app: INestApplication | undefined;
  const close = async () => {
    try {
      await app?.close();
    } finally {
      await store.dispose();
      await logs?.end();
      rmSync(keyDir, { recursive: true, force: true });
    }
  };
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)] }).compile();
    app = moduleRef.createNestApplication({ logger: false, bodyParser: false });
    configureHttp(app, config.http);
    app.enableShutdownHooks();
    await app.init();
    const server = app.getHttpServer();
    const http = (key = adminKey) => request.agent(server).set('Authorization', `Bearer ${key}`);
    return { app, adminKey, http, store: app.get<EventStore>(EVENT_STORE), config, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
