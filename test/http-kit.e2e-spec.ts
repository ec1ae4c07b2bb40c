/**
 * The HTTP kit of apps/ledger (problem details, body validation, command
 * headers, body limits, signing key) on a test-only controller beside the
 * whole app (its access guard included), through the same configureHttp as
 * the deployed app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Logger,
  Param,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataDirLockedError, WrongExpectedVersionError } from '@ledger/event-store';
import { DomainError } from '@ledger/licensing';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { z } from 'zod';
import { AppModule } from '../apps/ledger/src/app.module';
import { generateApiKey } from '../apps/ledger/src/auth/credentials';
import { Policy, Public } from '../apps/ledger/src/auth/policy';
import type { LedgerConfig } from '../apps/ledger/src/config/ledger.config';
import { configureHttp } from '../apps/ledger/src/http';
import { CommandContext } from '../apps/ledger/src/http/command-context';
import { ZodBody } from '../apps/ledger/src/http/zod-body';
import { LicenseSigner } from '../apps/ledger/src/signing/license-signer';
import { verifySignedDocument } from '../apps/ledger/src/signing/signed-document';
import { TEST_SECRET } from './app';
import { BACKENDS } from './backends';
import { testLogSink } from './log-capture';

const OrderBody = z.strictObject({
  customer: z.string().min(1),
  lines: z.array(z.strictObject({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
  note: z.string().optional(),
});
const EchoBody = z.strictObject({ text: z.string() });

const DOMAIN_ERRORS: Record<string, () => DomainError> = {
  invalid: () => new DomainError('QUANTITY_NOT_POSITIVE', 'quantity must be at least 1', { quantity: 0 }, '/lines/0/quantity'),
  not_found: () => new DomainError('LICENSE_NOT_FOUND', 'license L-404 does not exist', { licenseId: 'L-404' }),
  conflict: () => new DomainError('LICENSE_ALREADY_BOUND', 'license L-1 is already bound to device D-7', { licenseId: 'L-1', deviceId: 'D-7' }),
  rule: () => new DomainError('INSUFFICIENT_LICENSES', 'only 2 licenses are available', { available: 2, requested: 5 }),
};

const TEST_ROUTE = 'test-only route of test/http-kit.e2e-spec.ts';

// Every route declares its access policy, or the app refuses to start (RoutePolicies).
@Controller('kit')
class KitController {
  @Post('orders')
  @HttpCode(201)
  // A command route: only an authenticated caller has a command context.
  @Policy({ roles: ['admin', 'backoffice', 'partner', 'customer'] })
  order(@ZodBody(OrderBody) body: z.infer<typeof OrderBody>, @CommandContext() context: CommandContext) {
    return { body, context };
  }

  @Post('echo')
  @HttpCode(200)
  @Public(TEST_ROUTE)
  echo(@ZodBody(EchoBody) body: z.infer<typeof EchoBody>) {
    return { length: body.text.length };
  }

  @Get('domain/:kind')
  @Public(TEST_ROUTE)
  domain(@Param('kind') kind: string): never {
    throw DOMAIN_ERRORS[kind]!();
  }

  @Get('store/conflict')
  @Public(TEST_ROUTE)
  storeConflict(): never {
    throw new WrongExpectedVersionError('license-L-1', 3, 4);
  }

  @Get('store/unavailable')
  @Public(TEST_ROUTE)
  storeUnavailable(): never {
    throw new DataDirLockedError('/srv/secret/folder', 4242);
  }

  @Get('boom')
  @Public(TEST_ROUTE)
  boom(): never {
    throw new Error('connection to postgres://ledger:hunter2@db failed: SELECT * FROM secrets');
  }

  @Get('refused')
  @Public(TEST_ROUTE)
  refused(): never {
    throw new BadRequestException('nope');
  }

  @Get('report')
  @Public(TEST_ROUTE)
  report(): never {
    throw new ServiceUnavailableException({ status: 'unavailable', store: { reachable: false } });
  }
}

const PROBLEM_JSON = /^application\/problem\+json; charset=utf-8$/;
const BODY_LIMIT = 200_000;

describe('HTTP kit', () => {
  let app: INestApplication;
  let keyDir: string;
  const store = BACKENDS[0]!.store();
  const logs = testLogSink('http-kit');
  /** The bootstrap admin key (LEDGER_ADMIN_KEY) of this app. */
  const admin = generateApiKey();
  /** Without credentials: the public test routes. */
  let http: () => ReturnType<typeof request>;
  /** With the admin key: the command route. */
  let authed: () => TestAgent;

  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'ledger-kit-'));
    const config: LedgerConfig = {
      port: 0,
      host: '127.0.0.1',
      logLevel: logs ? 'info' : 'silent',
      ...(logs ? { logDestination: logs } : {}),
      shutdownTimeoutMs: 5_000,
      store: store.config,
      http: { bodyLimit: BODY_LIMIT, corsOrigins: [], requestTimeoutMs: 30_000 },
      signing: { keyFile: join(keyDir, 'signing-key.pem') },
      readModels: { projectors: true, batchSize: 500, pollMs: 100, readWaitTimeoutMs: 1_000 },
      auth: { secret: TEST_SECRET, secretFile: join(keyDir, 'ledger-secret'), adminKey: admin.key, rateLimit: { requests: 0, windowMs: 60_000 } },
    };
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(config)], controllers: [KitController] }).compile();
    // Deliberately without { bodyParser: false }: configureHttp's limit must win over Nest's 100 kB default anyway.
    app = moduleRef.createNestApplication({ logger: false });
    configureHttp(app, { bodyLimit: BODY_LIMIT });
    await app.init();
    http = () => request(app.getHttpServer());
    authed = () => request.agent(app.getHttpServer()).set('Authorization', `Bearer ${admin.key}`);
  });

  afterAll(async () => {
    try {
      await app?.close();
    } finally {
      await store.dispose();
      await logs?.end();
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  describe('problem details', () => {
    it.each([
      ['invalid', 400, 'QUANTITY_NOT_POSITIVE', 'Quantity not positive'],
      ['not_found', 404, 'LICENSE_NOT_FOUND', 'License not found'],
      ['conflict', 409, 'LICENSE_ALREADY_BOUND', 'License already bound'],
      ['rule', 422, 'INSUFFICIENT_LICENSES', 'Insufficient licenses'],
    ])('a DomainError of kind %s answers %i %s', async (kind, status, code, title) => {
      const res = await http().get(`/kit/domain/${kind}?token=secret`).expect(status);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      const error = DOMAIN_ERRORS[kind]!();
      expect(res.body).toEqual({
        type: `urn:ledger:problem:${code.toLowerCase().replaceAll('_', '-')}`,
        title,
        status,
        detail: error.message,
        instance: `/kit/domain/${kind}`, // never the query
        code,
        details: error.details,
        ...(error.pointer ? { errors: [{ pointer: error.pointer, detail: error.message }] } : {}),
      });
    });

    it('maps event-store errors by kind, and hides the details of an unavailable store', async () => {
      const conflict = await http().get('/kit/store/conflict').expect(409);
      expect(conflict.body).toMatchObject({ code: 'STREAM_VERSION_CONFLICT', type: 'urn:ledger:problem:stream-version-conflict', detail: expect.stringContaining('license-L-1') });
      const unavailable = await http().get('/kit/store/unavailable').expect(503);
      expect(unavailable.body).toMatchObject({ code: 'DATA_DIR_LOCKED', status: 503 });
      expect(unavailable.text).not.toContain('/srv/secret');
    });

    it('answers an unexpected error with 500 and a request id, never its message, and logs it', async () => {
      const log = jest.spyOn(Logger.prototype, 'error');
      try {
        const res = await http().get('/kit/boom').expect(500);
        expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
        const requestId = res.headers['x-request-id'];
        expect(res.body).toEqual({
          type: 'urn:ledger:problem:internal-error',
          title: 'Internal error',
          status: 500,
          detail: `internal error, see the logs with request id ${requestId}`,
          instance: '/kit/boom',
          code: 'INTERNAL_ERROR',
        });
        expect(res.text).not.toMatch(/hunter2|SELECT|postgres|at .*\.ts/);
        expect(log).toHaveBeenCalledWith(expect.objectContaining({ requestId, err: expect.objectContaining({ message: expect.stringContaining('hunter2') }) }));
      } finally {
        log.mockRestore();
      }
    });

    it('gives Nest HTTP exceptions a code from their status', async () => {
      expect((await http().get('/kit/refused').expect(400)).body).toMatchObject({ code: 'BAD_REQUEST', title: 'Bad request', detail: 'nope' });
      const missing = await http().get('/nowhere').expect(404);
      expect(missing.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(missing.body).toMatchObject({ code: 'NOT_FOUND', type: 'urn:ledger:problem:not-found', instance: '/nowhere' });
    });

    it('sends a body a controller chose on purpose unchanged (the 503 health report)', async () => {
      const res = await http().get('/kit/report').expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ status: 'unavailable', store: { reachable: false } });
    });
  });

  describe('ZodBody', () => {
    const order = { customer: 'ACME', lines: [{ sku: 'RTR-1', quantity: 2 }] };

    it('passes a valid body through', async () => {
      const res = await authed().post('/kit/orders').send(order).expect(201);
      expect(res.body.body).toEqual(order);
    });

    it('refuses unknown fields, each with its own pointer', async () => {
      const res = await authed()
        .post('/kit/orders')
        .send({ ...order, lines: [{ sku: 'RTR-1', quantity: 2, colour: 'red' }], extra: true })
        .expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', type: 'urn:ledger:problem:validation-failed', status: 400, instance: '/kit/orders' });
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          { pointer: '/lines/0/colour', detail: 'unknown field' },
          { pointer: '/extra', detail: 'unknown field' },
        ]),
      );
    });

    it('points at every field of the wrong type', async () => {
      const res = await authed()
        .post('/kit/orders')
        .send({ customer: 7, lines: [{ sku: 'RTR-1', quantity: 'two' }] })
        .expect(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/customer', '/lines/0/quantity']);
      expect(res.body.errors[1].detail).toMatch(/expected number/);
    });

    it('reports a missing body at pointer ""', async () => {
      const res = await authed().post('/kit/orders').expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '', detail: 'a JSON request body is required' }] });
    });

    it('accepts +json media types', async () => {
      await http().post('/kit/echo').set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ text: 'hi' })).expect(200, { length: 2 });
    });
  });

  describe('the body parser', () => {
    it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
      const res = await http().post('/kit/echo').set('Content-Type', 'application/json').send('{"text": "unterminated').expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ code: 'MALFORMED_JSON', status: 400, instance: '/kit/echo' });
    });

    it('takes bodies up to the configured limit, past the 100 kB Nest would allow', async () => {
      await http().post('/kit/echo').send({ text: 'x'.repeat(150_000) }).expect(200, { length: 150_000 });
    });

    it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE, naming the limit', async () => {
      const res = await http().post('/kit/echo').set('X-Request-Id', 'req-413').send({ text: 'x'.repeat(BODY_LIMIT) }).expect(413);
      // Refused before the request logger runs, yet still answered with its request id.
      expect(res.headers['x-request-id']).toBe('req-413');
      expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: `the request body is larger than the limit of ${BODY_LIMIT} bytes`, details: { limitBytes: BODY_LIMIT } });
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml']])('answers a %s body with 415', async (type) => {
      const res = await http().post('/kit/echo').set('Content-Type', type).send('text=hello').expect(415);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, detail: expect.stringContaining(type) });
    });
  });

  describe('CommandContext', () => {
    const order = { customer: 'ACME', lines: [{ sku: 'RTR-1', quantity: 1 }] };
    /** The actor the admin key's commands are recorded with: `key:` and the 12 characters after `ldg_`. */
    const actor = () => `key:${admin.key.slice(4, 16)}`;

    it('takes the command id and correlation id from the headers, the actor from the credential', async () => {
      const res = await authed()
        .post('/kit/orders')
        .set('Idempotency-Key', 'order-2024.05:17_a')
        .set('X-Correlation-Id', 'flow-9')
        .send(order)
        .expect(201);
      expect(actor()).toBe(`key:${admin.keyId}`);
      expect(res.body.context).toEqual({ commandId: 'order-2024.05:17_a', actor: actor(), correlationId: 'flow-9', idempotencyKeyGiven: true, fingerprint: expect.any(String) });
    });

    it('ignores X-Actor: a caller cannot name itself, well-formed or not', async () => {
      for (const claimed of ['user:alice@example.com', 'a'.repeat(501), 'andré']) {
        const res = await authed().post('/kit/orders').set('X-Actor', claimed).send(order).expect(201);
        expect(res.body.context.actor).toBe(actor());
        expect(JSON.stringify(res.body.context)).not.toContain(claimed);
      }
    });

    it('makes up what is missing, and ignores a malformed correlation id', async () => {
      const res = await authed().post('/kit/orders').set('X-Correlation-Id', 'not valid!').send(order).expect(201);
      expect(res.body.context).toEqual({ commandId: expect.stringMatching(/^[0-9a-f-]{36}$/), actor: actor(), correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/), idempotencyKeyGiven: false, fingerprint: expect.any(String) });
      expect(res.body.context.correlationId).not.toBe(res.body.context.commandId);
    });

    it.each([
      ['Idempotency-Key', 'has spaces in it', '/headers/idempotency-key'],
      ['Idempotency-Key', 'k'.repeat(201), '/headers/idempotency-key'],
    ])('refuses a malformed %s with 400 INVALID_HEADER', async (name, value, pointer) => {
      const res = await authed().post('/kit/orders').set(name, value).send(order).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ code: 'INVALID_HEADER', type: 'urn:ledger:problem:invalid-header', errors: [{ pointer, detail: expect.any(String) }] });
    });

    it('has no context without credentials: 401 before the handler runs, whatever X-Actor says', async () => {
      const res = await http().post('/kit/orders').set('X-Actor', 'user:alice@example.com').send(order).expect(401);
      expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="ledger"');
      expect(res.body).toMatchObject({ code: 'CREDENTIALS_REQUIRED', status: 401, instance: '/kit/orders' });
      expect(res.body.context).toBeUndefined();
    });
  });

  describe('signing key', () => {
    it('GET /v1/signing-key serves a PEM that verifies what LicenseSigner signs', async () => {
      const res = await http().get('/v1/signing-key').expect(200);
      const signer = app.get(LicenseSigner);
      expect(res.body).toEqual({ keyId: signer.keyId, algorithm: 'Ed25519', publicKeyPem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/), jwk: expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: signer.keyId }) });

      const doc = signer.sign({ licenseId: 'L-1', seats: 5 });
      // What a customer's license server does: a JSON round trip, then an offline check.
      const received = JSON.parse(JSON.stringify(doc));
      expect(verifySignedDocument(received, res.body.publicKeyPem)).toBe(true);
      expect(verifySignedDocument({ ...received, payload: { licenseId: 'L-1', seats: 6 } }, res.body.publicKeyPem)).toBe(false);
    });
  });

  describe('OpenAPI', () => {
    it('documents zod bodies, command headers, problem details and the signing key', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      const post = doc.paths['/kit/orders'].post;
      expect(post.requestBody.content['application/json'].schema).toMatchObject({
        type: 'object',
        required: ['customer', 'lines'],
        additionalProperties: false,
        properties: { lines: { type: 'array', items: { additionalProperties: false } } },
      });
      expect(post.responses['400'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/ProblemDetails' });
      const headers = post.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
      expect(headers).toEqual(expect.arrayContaining(['header:Idempotency-Key', 'header:X-Correlation-Id']));
      // The actor comes from the credential: no header for it is documented.
      expect(headers).not.toContain('header:X-Actor');
      expect(doc.components.schemas.ProblemDetails.required).toContain('code');
      expect(doc.paths['/v1/signing-key'].get.responses['200']).toBeDefined();
    });
  });
});
