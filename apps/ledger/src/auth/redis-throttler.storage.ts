import { createHash } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import Redis from 'ioredis';

export const DEFAULT_THROTTLE_KEY_PREFIX = 'ledger:throttle:';

const CONNECT_TIMEOUT_MS = 2_000;
/** A Redis that accepts the connection but never answers must not hold requests either. */
const COMMAND_TIMEOUT_MS = 1_000;
const WARN_EVERY_MS = 30_000;

/**
 * One hit, atomically: a fixed window (the counter expires `ttl` after its
 * first hit) and a block once the counter passes the limit.
 * KEYS: counter, block. ARGV: ttl ms, limit, block ms.
 * Returns { hits, ms until the window (or block) ends, blocked 0/1, ms until the block ends }.
 */
const HIT_SCRIPT = `
local ttl, limit, blockFor = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  -- Hits while blocked are not counted: only the block decides when the caller may come back.
  return {tonumber(redis.call('GET', KEYS[1])) or limit + 1, blockLeft, 1, blockLeft}
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  -- First hit (or a counter that somehow lost its expiry): the window starts now.
  redis.call('PEXPIRE', KEYS[1], ttl)
  left = ttl
end
if hits > limit then
  redis.call('SET', KEYS[2], '1', 'PX', blockFor)
  -- The counter ends with the block, so the caller starts afresh after it (as in memory).
  redis.call('PEXPIRE', KEYS[1], blockFor)
  return {hits, blockFor, 1, blockFor}
end
return {hits, left, 0, 0}
`;

/** Not exported by the package's index. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

type Hit = (counterKey: string, blockKey: string, ttlMs: number, limit: number, blockMs: number) => Promise<[number, number, number, number]>;

/**
 * Throttler counters in Redis, so that every ledger instance counts a principal's
 * requests together. When Redis fails, each hit is counted in this process
 * instead: requests keep being answered and still limited (per instance).
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis & { throttleHit: Hit };
  private readonly fallback = new ThrottlerStorageService();
  private lastWarnAt = -Infinity;
  private degraded = false;

  constructor(
    redisUrl: string,
    private readonly keyPrefix = DEFAULT_THROTTLE_KEY_PREFIX,
  ) {
    const redis = new Redis(redisUrl, {
      lazyConnect: false,
      // Fail fast and count in memory rather than queue requests behind an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      // On shutdown while reconnecting, ioredis waits this long on a socket that has already closed.
      disconnectTimeout: 200,
    });
    // defineCommand runs EVALSHA, and EVAL once if Redis does not know the script yet.
    redis.defineCommand('throttleHit', { numberOfKeys: 2, lua: HIT_SCRIPT });
    // Without a listener ioredis prints every connection error to stderr.
    redis.on('error', (err: Error) => this.warn(err));
    redis.on('ready', () => {
      if (this.degraded) this.logger.log('Redis is reachable again: rate limits are shared across instances');
      this.degraded = false;
    });
    this.redis = redis as Redis & { throttleHit: Hit };
  }

  /** Waits for the first connection (at most the connect timeout), so the first requests are counted in Redis. */
  whenReady(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.redis.off('ready', done).off('error', done);
        resolve();
      };
      const timer = setTimeout(done, CONNECT_TIMEOUT_MS);
      this.redis.once('ready', done).once('error', done);
    });
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const ttlMs = Math.max(1, Math.ceil(ttl));
    const blockMs = blockDuration > 0 ? Math.ceil(blockDuration) : ttlMs;
    // Hashed: principal ids and client addresses never show in Redis key names.
    const digest = createHash('sha256').update(`${throttlerName}\0${key}`).digest('hex');
    // The hash tag keeps both keys in one slot, as a script needs on Redis Cluster.
    const base = `${this.keyPrefix}{${digest}}`;
    try {
      const [totalHits, expireMs, blocked, blockLeftMs] = await this.redis.throttleHit(`${base}:hits`, `${base}:block`, ttlMs, limit, blockMs);
      return {
        totalHits,
        timeToExpire: Math.ceil(expireMs / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockLeftMs / 1000),
      };
    } catch (err) {
      this.warn(err);
      return this.fallback.increment(digest, ttlMs, limit, blockMs, throttlerName);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.fallback.onApplicationShutdown();
    if (this.redis.status === 'end') return;
    // QUIT needs a live connection; otherwise just stop reconnecting.
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private warn(err: unknown): void {
    this.degraded = true;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    // ioredis messages name host and port at most, never the password in REDIS_URL.
    const reason = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
    this.logger.warn(`Redis unavailable (${reason}): rate limits are counted in this instance only until it is back`);
  }
}
