import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { BACKENDS } from './backends';
import { type TestLedger, startTestLedger } from './app';

describe.each(BACKENDS)('ledger API on $name', (backend) => {
  let app: INestApplication;
  let ledger: TestLedger;

  beforeAll(async () => {
    ledger = await startTestLedger(backend);
    app = ledger.app;
  });

  afterAll(() => ledger?.close());

  it('GET /health reports the store as reachable', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      uptimeSeconds: expect.any(Number),
      store: { backend: backend.name === 'PGlite' ? 'pglite' : 'postgres', reachable: true, latencyMs: expect.any(Number) },
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    expect((await request(app.getHttpServer()).get('/health').set('X-Request-Id', 'req-42')).headers['x-request-id']).toBe('req-42');
    expect((await request(app.getHttpServer()).get('/health').set('X-Request-Id', 'bad id!')).headers['x-request-id']).not.toBe('bad id!');
  });

  it('serves the OpenAPI document and its rendered page', async () => {
    const doc = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/health');
    expect(doc.body.paths['/health'].get.responses).toHaveProperty('503');
    const page = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('answers 404 for an unknown route', async () => {
    const res = await request(app.getHttpServer()).get('/no-such-route').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: '/no-such-route' });
  });

  it('GET /health answers 503 once the store stops answering', async () => {
    await ledger.store.close();
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body).toMatchObject({ status: 'unavailable', store: { reachable: false, error: expect.any(String) } });
  });
});
