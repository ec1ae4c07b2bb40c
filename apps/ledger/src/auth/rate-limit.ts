import { type DynamicModule, type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { PRINCIPAL, type WithPrincipal } from './principal';
import { RedisThrottlerStorage } from './redis-throttler.storage';

export interface RateLimitSettings {
  /** Requests a principal (or, unauthenticated, a client address) may make per window; 0 = no limit. */
  requests: number;
  windowMs: number;
  /** Counters shared by all instances in this Redis; in each process's memory without it. */
  redisUrl?: string;
  /** Prefix of the Redis keys (default `ledger:throttle:`). */
  redisKeyPrefix?: string;
}

/** 429: too many requests; the caller may try again after `retryAfterSeconds`. */
export class RateLimitedError extends Error {
  readonly code = 'RATE_LIMITED';

  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests: retry in ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}

export function rateLimitModule(settings: RateLimitSettings): DynamicModule {
  const { requests, windowMs, redisUrl, redisKeyPrefix } = settings;
  if (!Number.isInteger(requests) || requests < 0 || !(windowMs > 0)) {
    throw new Error(`rate limit: requests must be an integer ≥ 0 and windowMs > 0, got ${requests} per ${windowMs} ms`);
  }
  const throttlers = [{ name: 'default', ttl: windowMs, limit: requests }];
  // No limit needs no Redis connection.
  if (!redisUrl || requests === 0) return ThrottlerModule.forRoot({ throttlers });
  return ThrottlerModule.forRootAsync({
    useFactory: async (): Promise<ThrottlerModuleOptions> => {
      const storage = new RedisThrottlerStorage(redisUrl, redisKeyPrefix);
      await storage.whenReady();
      return { throttlers, storage };
    },
  });
}

/**
 * Limits each principal, whatever route it calls; requests without one are
 * limited per client address. Runs after authentication, which sets the principal.
 */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(): Promise<boolean> {
    return this.throttlers.every((throttler) => throttler.limit === 0);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const id = (req as WithPrincipal)[PRINCIPAL]?.id;
    // Prefixed so that no principal id can ever share a counter with an address.
    return id ? `p:${id}` : `ip:${await super.getTracker(req)}`;
  }

  /** One budget per principal for the whole API, not one per route (the throttler's default). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfterSeconds = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire));
    // The base guard has already set Retry-After, possibly to 0; whole seconds ≥ 1 are what clients can act on.
    this.setResponseHeader(this.getRequestResponse(context).res, 'Retry-After', retryAfterSeconds);
    throw new RateLimitedError(retryAfterSeconds);
  }
}
