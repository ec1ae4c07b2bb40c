/**
 * Two ledger processes on one PostgreSQL database (two apps here, each with
 * its own pool, caches and guard): a key revoked through one is refused by
 * the other on its very next request, and with REDIS_URL they share one rate
 * budget per principal. Runs with DATABASE_URL (CI sets it; the Redis of
 * this machine listens on 127.0.0.1:6379).
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../apps/ledger/src/app.module';
import type { LedgerConfig } from '../apps/ledger/src/config/ledger.config';
import { configureHttp } from '../apps/ledger/src/http';
import { type TestLedger, startTestLedger } from './app';
import { BACKENDS } from './backends';
import { PortalKit, VENDOR } from './portal-kit';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

async function secondProcess(config: LedgerConfig): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ ...config, logLevel: 'silent', logDestination: undefined })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false, bodyParser: false });
  configureHttp(app, config.http);
  await app.init();
  return app;
}

describe('two ledger processes on one PostgreSQL database', () => {
  const postgres = BACKENDS.find((b) => b.name === 'PostgreSQL')!;
  let first: TestLedger;
  let second: INestApplication;
  const kit = new PortalKit(() => first);

  beforeAll(async () => {
    first = await startTestLedger(postgres, {}, { rateLimit: { requests: 4, windowMs: 60_000, redisUrl: REDIS_URL } });
    second = await secondProcess(first.config);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const on = (app: INestApplication, key: string) => request(app.getHttpServer()).get(`/v1/accounts/${VENDOR}`).set('Authorization', `Bearer ${key}`);

  it('refuses a key revoked through one process on the next request to the other', async () => {
    const { key, keyId } = await kit.apiKey('auditor', VENDOR);
    expect((await on(second, key)).status).toBe(200);
    expect((await first.http().delete(`/v1/api-keys/${keyId}`)).status).toBe(200);
    const refused = await on(second, key);
    expect([refused.status, refused.body.code, refused.body.detail]).toEqual([401, 'CREDENTIALS_INVALID', 'the API key was revoked']);
  });

  it('counts one budget per principal across both processes through Redis', async () => {
    const { key } = await kit.apiKey('auditor', VENDOR);
    const statuses = [];
    for (const app of [first.app, second, first.app, second, second]) statuses.push((await on(app, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});
