/**
 * Security headers (helmet), the CORS allow-list and request timeouts, as
 * configureHttp sets them for the deployed app (PGlite: nothing here depends
 * on the store).
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { startTestLedger, type TestLedger } from './app';
import { BACKENDS } from './backends';

const ALLOWED = 'https://portal.example.com'; // test/app.ts allows this origin

describe('hardened HTTP', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger(BACKENDS[0]!);
  });
  afterAll(() => ledger?.close());
  const http = () => request(ledger.app.getHttpServer());

  it('answers with security headers and a CSP that lets an API answer load nothing', async () => {
    // A public route, an API answer, and a refusal for want of credentials.
    for (const res of [await http().get('/health').expect(200), await ledger.http().get('/v1/licenses/not-a-uuid').expect(400), await http().get('/v1/licenses/not-a-uuid').expect(401)]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('still serves the OpenAPI page, whose script and styles are inline', async () => {
    const res = await http().get('/docs/').redirects(1).expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect(res.text).toContain('swagger');
  });

  it('lets only the listed browser origins call it (CORS)', async () => {
    const allowed = await http().options('/v1/accounts').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,idempotency-key');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(allowed.headers['access-control-allow-headers']).toContain('Idempotency-Key');
    // A browser portal sends its credential in Authorization.
    expect(allowed.headers['access-control-allow-headers']).toContain('Authorization');
    const other = await http().options('/v1/accounts').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await http().get('/health').set('Origin', ALLOWED).expect(200);
    expect(simple.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(simple.headers['access-control-expose-headers']).toContain('Idempotent-Replayed');
  });

  it('gives a client a bounded time to send its request', () => {
    const server = ledger.app.getHttpServer() as Server;
    expect(server.requestTimeout).toBe(ledger.config.http.requestTimeoutMs);
    expect(server.headersTimeout).toBeLessThanOrEqual(server.requestTimeout);
  });
});
