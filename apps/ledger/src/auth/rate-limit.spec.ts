import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  type ArgumentsHost,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  type INestApplication,
  Injectable,
  Logger,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import request from 'supertest';
import { redactUrl } from '../config/ledger.config';
import { PRINCIPAL, type Principal } from './principal';
import { PrincipalThrottlerGuard, RateLimitedError, type RateLimitSettings, rateLimitModule } from './rate-limit';

const WINDOW_MS = 60_000;

@Controller()
class PingController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }

  @Get('pong')
  pong(): { ok: true } {
    return { ok: true };
  }
}

/** Stands in for the authentication guard: the principal is whoever x-test-principal names. */
@Injectable()
class TestAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; [PRINCIPAL]?: Principal }>();
    const id = req.headers['x-test-principal'];
    if (typeof id === 'string') req[PRINCIPAL] = { id, role: 'customer', accountId: randomUUID(), via: 'api-key' } as Principal;
    return true;
  }
}

/** The app's ProblemDetailsFilter does this mapping for real. */
@Catch(RateLimitedError)
class RateLimitedFilter implements ExceptionFilter {
  catch(error: RateLimitedError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    res.statusCode = 429;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ code: error.code }));
  }
}

const apps: INestApplication[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

async function startApp(settings: RateLimitSettings): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [rateLimitModule(settings)],
    controllers: [PingController],
    providers: [
      { provide: APP_GUARD, useClass: TestAuthGuard },
      { provide: APP_GUARD, useClass: PrincipalThrottlerGuard },
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new RateLimitedFilter());
  await app.init();
  apps.push(app);
  return app;
}

const get = (app: INestApplication, principal?: string, path = '/ping') => {
  const req = request(app.getHttpServer()).get(path);
  return principal === undefined ? req : req.set('x-test-principal', principal);
};

function expectRetryAfter(res: request.Response): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ code: 'RATE_LIMITED' });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  const seconds = Number(res.headers['retry-after']);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(WINDOW_MS / 1000);
}

describe('rate limits in memory', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startApp({ requests: 3, windowMs: WINDOW_MS });
  });

  it('answers the 4th request of a principal in a window with 429 and Retry-After, on any route', async () => {
    const first = await get(app, 'key:alice').expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    await get(app, 'key:alice', '/pong').expect(200);
    await get(app, 'key:alice').expect(200);
    expectRetryAfter(await get(app, 'key:alice', '/pong'));
    expectRetryAfter(await get(app, 'key:alice'));
  });

  it('counts every principal on its own, and callers without one by address', async () => {
    for (let i = 0; i < 3; i++) await get(app, 'key:bob').expect(200);
    expectRetryAfter(await get(app, 'key:bob'));
    await get(app, 'key:carol').expect(200);
    // A principal whose id looks like an address shares nothing with that address.
    for (let i = 0; i < 3; i++) await get(app).expect(200);
    expectRetryAfter(await get(app));
    await get(app, '::ffff:127.0.0.1').expect(200);
    await get(app, '127.0.0.1').expect(200);
  });
});

describe('rate limits switched off', () => {
  it('never limits when requests is 0, even with a Redis URL', async () => {
    const app = await startApp({ requests: 0, windowMs: WINDOW_MS, redisUrl: 'redis://127.0.0.1:1' });
    for (let i = 0; i < 20; i++) await get(app, 'key:dave').expect(200);
  });
});

describe('rate limits in Redis', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `ledger:test:${randomUUID()}:`;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    let cause = '';
    redis.on('error', (err: Error) => (cause = err.message));
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      // Failing, not skipping: a green run must mean the shared limits were tested.
      throw new Error(`These tests need a Redis; none reachable at ${redactUrl(redisUrl)} (${cause || (err as Error).message}). Start one or set REDIS_URL.`);
    }
  });

  afterAll(async () => {
    if (redis?.status === 'end') return;
    if (redis?.status !== 'ready') return redis?.disconnect();
    const keys = await allKeys();
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  async function allKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 100 }) as AsyncIterable<string[]>) keys.push(...batch);
    return keys;
  }

  it('counts a principal across instances sharing the Redis', async () => {
    const settings = { requests: 3, windowMs: WINDOW_MS, redisUrl, redisKeyPrefix: prefix };
    const [a, b] = await Promise.all([startApp(settings), startApp(settings)]);
    const principal = `key:${randomUUID()}`;
    await get(a, principal).expect(200);
    await get(a, principal).expect(200);
    await get(b, principal).expect(200);
    expectRetryAfter(await get(b, principal));
    expectRetryAfter(await get(a, principal));
    await get(b, `key:${randomUUID()}`).expect(200);
  });

  it('lets a principal in again once the block has run out', async () => {
    const app = await startApp({ requests: 1, windowMs: 1_000, redisUrl, redisKeyPrefix: prefix });
    const principal = `key:${randomUUID()}`;
    await get(app, principal).expect(200);
    const refused = await get(app, principal).expect(429);
    expect(refused.headers['retry-after']).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await get(app, principal).expect(200);
  });

  it('keeps principal ids out of Redis key names', async () => {
    const app = await startApp({ requests: 1, windowMs: WINDOW_MS, redisUrl, redisKeyPrefix: prefix });
    const secret = `jwt:https://issuer.example#${randomUUID()}`;
    await get(app, secret).expect(200);
    expectRetryAfter(await get(app, secret));
    const keys = await allKeys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^${prefix}\\{[0-9a-f]{64}\\}:(hits|block)$`));
      expect(key).not.toContain(secret.split('#')[1]);
    }
  });
});

describe('rate limits when Redis is down', () => {
  it('still answers, and limits from memory, warning without the password', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const started = Date.now();
      const app = await startApp({ requests: 3, windowMs: WINDOW_MS, redisUrl: 'redis://:hunter2@127.0.0.1:1', redisKeyPrefix: 'unused:' });
      for (let i = 0; i < 3; i++) await get(app, 'key:erin').expect(200);
      expectRetryAfter(await get(app, 'key:erin'));
      await get(app, 'key:frank').expect(200);
      expect(Date.now() - started).toBeLessThan(5_000);
      const messages = warn.mock.calls.map(([message]) => String(message)).filter((m) => m.startsWith('Redis unavailable'));
      expect(messages).toHaveLength(1); // once per 30 s, not once per request
      expect(messages[0]).not.toContain('hunter2');
    } finally {
      warn.mockRestore();
    }
  });
});
