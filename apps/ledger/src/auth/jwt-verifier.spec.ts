import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { type JwtSettings, JwtVerifier } from './jwt-verifier';
import { AuthenticationError } from './principal';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://id.example.test/realms/ledger';
const AUDIENCE = 'ledger-api';
const ACCOUNT = '0190F5A2-7C3B-7D4E-8F00-1234567890AB';

describe('JwtVerifier', () => {
  let server: Server;
  let jwksUrl: string;
  let jwks: JSONWebKeySet;
  let good: PrivateKey; // its public half is in the served JWKS
  let rogue: PrivateKey; // is not
  let verifier: JwtVerifier;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    good = pair.privateKey;
    rogue = (await generateKeyPair('ES256')).privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    verifier = new JwtVerifier(settings()); // the default, remote JWKS
  });
  afterAll(() => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))));

  function settings(overrides: Partial<JwtSettings> = {}): JwtSettings {
    return { issuer: ISSUER, audience: AUDIENCE, jwksUrl, clockToleranceSeconds: 30, roleClaim: 'ledger_role', accountClaim: 'ledger_account', ...overrides };
  }

  const now = () => Math.floor(Date.now() / 1000);

  /** A valid token unless the overrides say otherwise (a claim set to undefined is left out). */
  async function token(claims: JWTPayload = {}, key: PrivateKey = good, kid = 'k1'): Promise<string> {
    const payload: JWTPayload = { iss: ISSUER, aud: AUDIENCE, sub: 'user-42', exp: now() + 300, iat: now(), ledger_role: 'partner', ledger_account: ACCOUNT, ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(key);
  }

  /** Refused with CREDENTIALS_INVALID and a message matching `message` that never echoes the token. */
  async function expectRefused(jwt: string, message: RegExp, by: JwtVerifier = verifier): Promise<AuthenticationError> {
    const error: unknown = await by.verify(jwt).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    const failure = error as AuthenticationError;
    expect(failure.code).toBe('CREDENTIALS_INVALID');
    expect(failure.message).toMatch(message);
    if (jwt.length > 0) expect(failure.message).not.toContain(jwt);
    for (const part of jwt.split('.')) if (part.length > 3) expect(failure.message).not.toContain(part);
    return failure;
  }

  it('turns a valid token into a principal (keys fetched from the JWKS URL)', async () => {
    await expect(verifier.verify(await token())).resolves.toEqual({
      id: `jwt:${ISSUER}#user-42`,
      role: 'partner',
      accountId: ACCOUNT.toLowerCase(),
      via: 'jwt',
    });
  });

  it('fills deviceId for a device token and serverId for a license-server token', async () => {
    await expect(verifier.verify(await token({ ledger_role: 'device', ledger_device: 'dev-1' }))).resolves.toMatchObject({ role: 'device', deviceId: 'dev-1' });
    await expect(verifier.verify(await token({ ledger_role: 'license-server', ledger_server: 'hw:ab:cd' }))).resolves.toMatchObject({
      role: 'license-server',
      serverId: 'hw:ab:cd',
    });
    // On another role the scope claims mean nothing.
    const partner = await verifier.verify(await token({ ledger_device: 'dev-1', ledger_server: 'hw' }));
    expect(partner).not.toHaveProperty('deviceId');
    expect(partner).not.toHaveProperty('serverId');
  });

  it('honours configured claim names', async () => {
    const custom = new JwtVerifier(settings({ roleClaim: 'https://ledger/role', accountClaim: 'https://ledger/account' }), { jwks: createLocalJWKSet(jwks) });
    await expect(custom.verify(await token({ 'https://ledger/role': 'auditor', 'https://ledger/account': ACCOUNT }))).resolves.toMatchObject({ role: 'auditor' });
    await expectRefused(await token(), /no https:\/\/ledger\/role claim naming a role/, custom);
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    await expectRefused(await token({}, rogue), /signature does not verify/); // same kid, other key
    await expectRefused(await token({}, rogue, 'unknown-kid'), /not signed by any of the issuer's keys/);
  });

  it('refuses another issuer', async () => {
    await expectRefused(await token({ iss: 'https://evil.example.test' }), /^unexpected issuer$/);
    await expectRefused(await token({ iss: undefined }), /names no issuer/);
  });

  it('refuses another audience', async () => {
    await expectRefused(await token({ aud: 'some-other-api' }), /is for another audience/);
  });

  it('refuses a token expired beyond the clock tolerance, accepts one within it', async () => {
    await expectRefused(await token({ exp: now() - 60 }), /has expired/);
    await expect(verifier.verify(await token({ exp: now() - 10 }))).resolves.toMatchObject({ role: 'partner' });
  });

  it('refuses a token without exp', async () => {
    await expectRefused(await token({ exp: undefined }), /no expiry/);
  });

  it('refuses a token that is not valid yet (nbf beyond the tolerance)', async () => {
    await expectRefused(await token({ nbf: now() + 120 }), /not valid yet/);
  });

  it('refuses a token without a usable sub', async () => {
    await expectRefused(await token({ sub: undefined }), /no subject/);
    await expectRefused(await token({ sub: 'x'.repeat(201) }), /"sub" claim must be 1 to 200 printable ASCII/);
    await expectRefused(await token({ sub: 'line\nbreak' }), /"sub" claim must be/);
  });

  it('refuses an unknown or missing role', async () => {
    const failure = await expectRefused(await token({ ledger_role: 'superuser' }), /^the token has no ledger_role claim naming a role$/);
    expect(failure.message).not.toContain('superuser');
    await expectRefused(await token({ ledger_role: undefined }), /no ledger_role claim/);
    await expectRefused(await token({ ledger_role: ['admin'] }), /no ledger_role claim/);
  });

  it('refuses an account claim that is not a UUID', async () => {
    await expectRefused(await token({ ledger_account: 'acme-corp' }), /no ledger_account claim holding an account id/);
    await expectRefused(await token({ ledger_account: `${ACCOUNT}0` }), /no ledger_account claim/);
    await expectRefused(await token({ ledger_account: undefined }), /no ledger_account claim/);
  });

  it('refuses a device token without ledger_device and a license-server token without ledger_server', async () => {
    await expectRefused(await token({ ledger_role: 'device' }), /a device token needs a ledger_device claim/);
    await expectRefused(await token({ ledger_role: 'license-server', ledger_device: 'dev-1' }), /a license-server token needs a ledger_server claim/);
  });

  it('refuses HMAC-signed and unsigned tokens', async () => {
    const secret = new TextEncoder().encode('a shared secret that is at least 32 bytes long!!');
    const hs256 = await new SignJWT({ sub: 'user-42', ledger_role: 'admin', ledger_account: ACCOUNT })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(secret);
    await expectRefused(hs256, /algorithm that is not accepted/);

    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'user-42', exp: now() + 300, ledger_role: 'admin', ledger_account: ACCOUNT })}.`;
    await expectRefused(none, /algorithm that is not accepted/);
  });

  it('refuses malformed strings', async () => {
    for (const junk of ['abc', 'a.b.c', '', 'a.b.c.d.e']) await expectRefused(junk, /not a well-formed JWT/);
  });

  it('says so, keeping the cause, when the keys cannot be fetched', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve())); // nothing listens there now
    const unreachable = new JwtVerifier(settings({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` }));
    const failure = await expectRefused(await token(), /signing keys could not be fetched/, unreachable);
    expect(failure.cause).toBeDefined();
  });

  it('never puts the token or claim values in its messages', async () => {
    const secretish = 'S3CR3T-looking-subject';
    const cases = [
      await token({ sub: secretish, exp: now() - 3600 }),
      await token({ sub: secretish, ledger_role: 'device' }),
      await token({ sub: secretish, aud: secretish }),
      await token({ sub: secretish, iss: secretish }),
      await token({ sub: secretish }, rogue),
    ];
    for (const jwt of cases) {
      const failure = await expectRefused(jwt, /./);
      expect(failure.message).not.toContain(secretish);
      expect(JSON.stringify(failure)).not.toContain(secretish);
    }
  });
});
