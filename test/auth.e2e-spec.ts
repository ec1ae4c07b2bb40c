/**
 * Credentials end to end: API keys (created, listed, revoked, expired,
 * malformed), bearer tokens from an OpenID Connect provider (the suite serves
 * its own JWKS), rate limits, and the start refused for a route without a
 * policy. The authorization matrix is test/authorization.e2e-spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Controller, Get } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { AppModule } from '../apps/ledger/src/app.module';
import { MissingPolicyError } from '../apps/ledger/src/auth/route-policies';
import { type TestLedger, startTestLedger } from './app';
import { BACKENDS } from './backends';
import { PortalKit, VENDOR, sfx } from './portal-kit';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'licensing-ledger';

describe.each(BACKENDS)('credentials on $name', (backend) => {
  let ledger: TestLedger;
  const kit = new PortalKit(() => ledger);

  beforeAll(async () => {
    ledger = await startTestLedger(backend);
  });
  afterAll(() => ledger?.close());

  const status = async (key: string, path = `/v1/accounts/${VENDOR}`) => {
    const res = await ledger.http(key).get(path);
    return { status: res.status, code: res.body.code as string | undefined, detail: res.body.detail as string | undefined, auth: res.headers['www-authenticate'] };
  };

  it('shows a new key once, lists it without its secret, and a retried create does not show it again', async () => {
    const partner = await kit.openAccount('partner');
    const idempotencyKey = `create-key-${sfx()}`;
    const first = await kit.ok('/v1/api-keys', { accountId: partner, role: 'partner', name: 'portal backend' }, { key: idempotencyKey });
    expect(first).toMatchObject({ keyId: expect.stringMatching(/^[0-9a-z]{12}$/), prefix: `ldg_${first.keyId}`, accountId: partner, role: 'partner', name: 'portal backend', expiresAt: null });
    expect(first.key.startsWith(`${first.prefix}_`)).toBe(true);
    const retried = await kit.post('/v1/api-keys', { accountId: partner, role: 'partner', name: 'portal backend' }, { key: idempotencyKey });
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body.keyId).toBe(first.keyId);
    expect(retried.body.key).toBeUndefined();

    const listed = await kit.get('/v1/api-keys', { accountId: partner });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      { keyId: first.keyId, prefix: first.prefix, accountId: partner, role: 'partner', name: 'portal backend', deviceId: null, serverId: null, expiresAt: null, revokedAt: null, createdAt: expect.any(String), createdBy: `key:${ledger.adminKey.slice(4, 16)}` },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(first.key.slice(17));
    // The ledger records the key as an event, without the secret or its digest.
    const { events } = await ledger.store.readStream(`apikey-${first.keyId}`);
    expect(events.map((e) => e.type)).toEqual(['ApiKeyCreated']);
    expect(JSON.stringify(events)).not.toContain(first.key.slice(17));
    expect(Object.keys(events[0]!.data).sort()).toEqual(['accountId', 'createdAt', 'deviceId', 'expiresAt', 'keyId', 'name', 'prefix', 'role', 'serverId']);
  });

  it('refuses a revoked key on the very next request, and revoking again records nothing', async () => {
    const partner = await kit.openAccount('partner');
    const { key, keyId } = await kit.apiKey('partner', partner);
    expect((await status(key, `/v1/accounts/${partner}`)).status).toBe(200);
    const revoked = await ledger.http().delete(`/v1/api-keys/${keyId}`).send({ reason: 'left the company' });
    expect(revoked.status).toBe(200);
    expect(await status(key, `/v1/accounts/${partner}`)).toEqual({ status: 401, code: 'CREDENTIALS_INVALID', detail: 'the API key was revoked', auth: 'Bearer realm="ledger", error="invalid_token"' });
    const again = await ledger.http().delete(`/v1/api-keys/${keyId}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ keyId, revokedAt: revoked.body.revokedAt, position: null });
    const { events } = await ledger.store.readStream(`apikey-${keyId}`);
    expect(events.map((e) => [e.type, e.data['reason'] ?? null])).toEqual([['ApiKeyCreated', null], ['ApiKeyRevoked', 'left the company']]);
  });

  it('refuses an expired key', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const { key } = await kit.apiKey('auditor', VENDOR, { expiresAt });
    expect((await status(key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 50));
    expect(await status(key)).toMatchObject({ status: 401, code: 'CREDENTIALS_INVALID', detail: 'the API key has expired' });
  });

  it('refuses missing, malformed and wrong credentials alike, without saying which key ids exist', async () => {
    const none = await request(ledger.app.getHttpServer()).get(`/v1/accounts/${VENDOR}`);
    expect([none.status, none.body.code, none.headers['www-authenticate']]).toEqual([401, 'CREDENTIALS_REQUIRED', 'Bearer realm="ledger"']);
    const wrongSecret = `${ledger.adminKey.slice(0, 17)}${'A'.repeat(43)}`;
    const unknownId = `ldg_000000000000_${ledger.adminKey.slice(17)}`;
    expect(await status(wrongSecret)).toMatchObject({ status: 401, code: 'CREDENTIALS_INVALID', detail: 'the API key is not valid' });
    expect(await status(unknownId)).toMatchObject({ status: 401, code: 'CREDENTIALS_INVALID', detail: 'the API key is not valid' });
    for (const malformed of ['ldg_short', `${ledger.adminKey}x`, 'ldg_0000000000OO_' + 'A'.repeat(43)])
      expect(await status(malformed)).toMatchObject({ status: 401, code: 'CREDENTIALS_INVALID', detail: 'the API key is malformed' });
    for (const header of ['Basic YWRtaW46YWRtaW4=', 'Bearer', `Bearer ${ledger.adminKey} extra`]) {
      const res = await request(ledger.app.getHttpServer()).get(`/v1/accounts/${VENDOR}`).set('Authorization', header);
      expect([header, res.status, res.body.code]).toEqual([header, 401, 'CREDENTIALS_INVALID']);
    }
    // No JWT settings on this ledger: a token that is not an API key is refused, not verified against anything.
    expect(await status('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toMatchObject({ status: 401, code: 'CREDENTIALS_INVALID' });
  });

  it('shows a customer only the part of a license lineage within its scope; its partner sees it all', async () => {
    const partner = await kit.openAccount('partner');
    const first = await kit.openAccount('customer', partner);
    const second = await kit.openAccount('customer', partner);
    const model = await kit.defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const [licenseId] = await kit.licensesFor(first, model, 1);
    const moved = await kit.ok(`/v1/licenses/${licenseId}/move`, { toAccountId: second });
    const asFirst = (await kit.apiKey('customer', first)).key;
    const asPartner = (await kit.apiKey('partner', partner)).key;
    const detail = async (key: string) => (await kit.get(`/v1/licenses/${licenseId}`, { minPosition: kit.position }, key)).body;
    expect((await detail(asPartner)).successors.map((l: { ownerId: string }) => l.ownerId)).toEqual([second]);
    expect((await detail(asFirst)).successors).toEqual([]);
    const history = async (key: string) => (await kit.get(`/v1/licenses/${licenseId}/history`, {}, key)).body.streamIds;
    expect(await history(asPartner)).toEqual([`license-${licenseId}`, `license-${moved.licenseIds[0]}`]);
    expect(await history(asFirst)).toEqual([`license-${licenseId}`]);
  });

  it('lets a partner manage keys of its own scope only, and never grant more than it holds', async () => {
    const partner = await kit.openAccount('partner');
    const customer = await kit.openAccount('customer', partner);
    const other = await kit.openAccount('partner');
    const asPartner = (await kit.apiKey('partner', partner)).key;
    const customerKey = await kit.apiKey('customer', customer, {}, asPartner);
    expect((await status(customerKey.key, `/v1/accounts/${customer}`)).status).toBe(200);
    await kit.refused('/v1/api-keys', { accountId: customer, role: 'backoffice', name: 'x' }, 422, 'ROLE_NOT_GRANTABLE', { as: asPartner });
    await kit.refused('/v1/api-keys', { accountId: other, role: 'partner', name: 'x' }, 404, 'ACCOUNT_NOT_FOUND', { as: asPartner });
    const otherKey = await kit.apiKey('partner', other);
    const foreign = await ledger.http(asPartner).delete(`/v1/api-keys/${otherKey.keyId}`);
    expect([foreign.status, foreign.body.code]).toEqual([404, 'API_KEY_NOT_FOUND']);
    expect((await status(otherKey.key, `/v1/accounts/${other}`)).status).toBe(200);
    const own = await ledger.http(asPartner).get('/v1/api-keys');
    expect(own.body.items.map((k: { accountId: string }) => k.accountId)).toEqual([partner]);
  });
});

describe('bearer tokens (JWT) from an OpenID Connect provider', () => {
  let jwks: Server;
  let ledger: TestLedger;
  let signing: CryptoKey;
  let rogue: CryptoKey;
  const kit = new PortalKit(() => ledger);
  let partner: string;
  let other: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signing = pair.privateKey;
    rogue = (await generateKeyPair('ES256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((done) => jwks.listen(0, '127.0.0.1', done));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    ledger = await startTestLedger(BACKENDS[0]!, {}, { jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl, clockToleranceSeconds: 5, roleClaim: 'ledger_role', accountClaim: 'ledger_account' } });
    partner = await kit.openAccount('partner');
    other = await kit.openAccount('partner');
  });
  afterAll(async () => {
    await ledger?.close();
    await new Promise((done) => jwks?.close(done));
  });

  const token = (o: { key?: CryptoKey; iss?: string; aud?: string; exp?: number; role?: string; account?: string } = {}) =>
    new SignJWT({ ledger_role: o.role ?? 'dashboard', ledger_account: o.account ?? partner })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject(`user-${sfx()}`)
      .setIssuer(o.iss ?? ISSUER)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 300)
      .sign(o.key ?? signing);

  it('admits a dashboard user within its account, read-only, and answers outside it as missing', async () => {
    const jwt = await token();
    expect((await ledger.http(jwt).get(`/v1/accounts/${partner}`)).status).toBe(200);
    const outside = await ledger.http(jwt).get(`/v1/accounts/${other}`);
    expect([outside.status, outside.body.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    const write = await ledger.http(jwt).post('/v1/devices').send({ ownerId: partner, serial: `SN-${sfx()}`, model: 'M', channels: 0 });
    expect([write.status, write.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('holds tokens to the rule keys follow: admin and auditor roles belong to the vendor account', async () => {
    const partnerAuditor = await token({ role: 'auditor', account: partner });
    const feed = await ledger.http(partnerAuditor).get('/v1/events');
    expect([feed.status, feed.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await ledger.http(await token({ role: 'auditor', account: VENDOR })).get('/v1/events')).status).toBe(200);
  });

  it('records a token holder as the actor of its commands', async () => {
    const jwt = await token({ role: 'partner' });
    const res = await ledger.http(jwt).post('/v1/devices').send({ ownerId: partner, serial: `SN-${sfx()}`, model: 'M', channels: 0 });
    expect(res.status).toBe(201);
    const { events } = await ledger.store.readStream(`device-${res.body.deviceId}`);
    expect(events[0]!.metadata.actor).toMatch(new RegExp(`^jwt:${ISSUER.replaceAll('.', '\\.')}#user-[0-9a-f]{10}$`));
  });

  it.each([
    ['a bad signature', { key: 'rogue' }, "the bearer token's signature does not verify"],
    ['a wrong issuer', { iss: 'https://evil.example/' }, 'unexpected issuer'],
    ['a wrong audience', { aud: 'another-app' }, 'the bearer token is for another audience'],
    ['an expiry past the allowed skew', { exp: Math.floor(Date.now() / 1000) - 60 }, 'the bearer token has expired'],
    ['an unknown role', { role: 'root' }, 'the token has no ledger_role claim naming a role'],
  ])('refuses a token with %s', async (_what, o, detail) => {
    const jwt = await token({ ...o, key: 'key' in o && o.key === 'rogue' ? rogue : signing } as never);
    const res = await ledger.http(jwt).get(`/v1/accounts/${partner}`);
    expect([res.status, res.body.code, res.body.detail]).toEqual([401, 'CREDENTIALS_INVALID', detail]);
    expect(JSON.stringify(res.body)).not.toContain(jwt);
  });
});

describe('rate limits', () => {
  let ledger: TestLedger;

  beforeAll(async () => {
    ledger = await startTestLedger(BACKENDS[0]!, {}, { rateLimit: { requests: 3, windowMs: 60_000 } });
  });
  afterAll(() => ledger?.close());

  it('answers 429 with Retry-After once a principal used its budget, and counts each principal apart', async () => {
    const kit = new PortalKit(() => ledger);
    // The admin's budget goes on creating the second key; count from a fresh one.
    const { key } = await kit.apiKey('auditor', VENDOR);
    const second = await kit.post('/v1/api-keys', { accountId: VENDOR, role: 'auditor', name: 'second' });
    expect(second.status).toBe(201);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ledger.http(key).get(`/v1/accounts/${VENDOR}`));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]!.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(answers[3]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await ledger.http(second.body.key).get(`/v1/accounts/${VENDOR}`)).status).toBe(200);
  });
});

describe('route policies', () => {
  @Controller('v1/forgotten')
  class ForgottenController {
    @Get()
    open() {
      return { open: true };
    }
  }

  it('refuse to start an application with a route that declares no policy', async () => {
    const { config, close } = await startTestLedger(BACKENDS[0]!);
    await close();
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-policy-'));
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ ...config, logLevel: 'silent', store: { ...config.store, dataDir }, auth: { ...config.auth, secretFile: join(dataDir, 'secret') } })],
      controllers: [ForgottenController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const started = app.init();
    await expect(started).rejects.toBeInstanceOf(MissingPolicyError);
    await expect(started).rejects.toThrow('GET /v1/forgotten');
    await app.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
