import type { IncomingHttpHeaders } from 'node:http';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { VENDOR_ACCOUNT } from '@ledger/application';
import { DomainError, type DomainErrorCode, VENDOR_ROLES } from '@ledger/licensing';
import { AccessLookups } from './access-lookups';
import { Authenticator } from './authenticator';
import { apiKeyId } from './credentials';
import { POLICY, type RoutePolicy, type Source, type Target, type TargetKind } from './policy';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import { AuthenticationError, ForbiddenError, PRINCIPAL, type Principal } from './principal';
import { RateLimitedError } from './rate-limit';
import { MALFORMED, ScopeResolver } from './scope.resolver';

/** The account a request acts for, when it is not the principal's own (event metadata `onBehalfOf`). */
export const ON_BEHALF_OF = Symbol('onBehalfOf');

export interface GuardedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  route?: { path?: string };
  [PRINCIPAL]?: Principal;
  [ON_BEHALF_OF]?: string;
}

/** Rate limiting, run once the caller is known (PrincipalThrottlerGuard). */
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export interface RateLimiter {
  canActivate(context: ExecutionContext): Promise<boolean>;
}

const NOT_FOUND: Record<TargetKind, { code: DomainErrorCode; noun: string; key: string }> = {
  account: { code: 'ACCOUNT_NOT_FOUND', noun: 'account', key: 'accountId' },
  license: { code: 'LICENSE_NOT_FOUND', noun: 'license', key: 'licenseId' },
  device: { code: 'DEVICE_NOT_FOUND', noun: 'device', key: 'deviceId' },
  deployment: { code: 'DEPLOYMENT_NOT_FOUND', noun: 'deployment', key: 'deploymentId' },
  purchaseOrder: { code: 'PURCHASE_ORDER_NOT_FOUND', noun: 'purchase order', key: 'poNumber' },
  apiKey: { code: 'API_KEY_NOT_FOUND', noun: 'API key', key: 'keyId' },
};

/**
 * One guard, in a fixed order: who is asking (401), how often (429), whether
 * the role may use the route (403), and whether every thing the request names
 * lies within the caller's account or below it. What lies outside answers as
 * missing (404), the same answer a caller gets for an id that exists nowhere,
 * and nothing runs.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly scope: ScopeResolver,
    private readonly lookups: AccessLookups,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RateLimiter,
    @Inject(VENDOR_ACCOUNT) private readonly vendor: { accountId: string },
    private readonly metrics: LedgerMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      return await this.check(context);
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) this.metrics.recordAccessRefusal(refusal.status, refusal.code);
      throw error;
    }
  }

  private async check(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.get<RoutePolicy | undefined>(POLICY, context.getHandler());
    // RoutePolicies refuses to start without one; this is the second lock on the door.
    if (policy === undefined) throw new ForbiddenError('this route declares no access policy');
    const req = context.switchToHttp().getRequest<GuardedRequest>();
    if (policy.public) return this.rateLimiter.canActivate(context);

    // The key and the owners of what the request names are read together, in one statement: one round
    // trip of latency for the whole check. A request without any credential reads nothing.
    const named = namedTargets(policy.targets ?? [], req, this.scope);
    const asked = {
      keyId: apiKeyIdIn(req.headers.authorization),
      licenseId: named?.find((n) => n.target.kind === 'license')?.id,
      deviceId: named?.find((n) => n.target.kind === 'device')?.id,
    };
    const found = req.headers.authorization ? this.lookups.lookup(asked) : null;
    found?.catch(() => undefined); // awaited below, unless authentication fails first
    const prefetched = found?.then((f) => ({ asked, found: f }));
    prefetched?.catch(() => undefined);

    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(req.headers.authorization, found ?? undefined);
    } catch (error) {
      // Failed attempts count against the client address: guessing costs budget like anything else.
      await this.rateLimiter.canActivate(context);
      throw error;
    }
    req[PRINCIPAL] = principal;
    await this.rateLimiter.canActivate(context);

    // Keys can only be made so (CreateApiKey); a token from an identity provider is held to the same rule here.
    if (VENDOR_ROLES.includes(principal.role) && principal.accountId !== this.vendor.accountId)
      throw new ForbiddenError(`${principal.role} credentials belong to the vendor's account`);

    if (!policy.roles.includes(principal.role))
      throw new ForbiddenError(`${principal.role} credentials cannot use ${req.method} ${req.route?.path ?? 'this route'}`);
    if (policy.vendorOnly && principal.accountId !== this.vendor.accountId)
      throw new ForbiddenError(`${req.method} ${req.route?.path ?? 'this route'} is for the vendor's own credentials`);

    // A malformed id fails the route's validation (400) before anything runs: that answer, the same for every caller, comes first.
    if (named === null || prefetched === undefined) return true;
    const known = await prefetched;
    const owners = await Promise.all(named.map((n) => this.scope.ownerOf(n.target.kind, n.id, known)));
    let onBehalfOf: string | undefined;
    // Everything lies within the vendor's scope: what does not exist is the route's own to answer, after its validation.
    const everywhere = principal.accountId === this.vendor.accountId;
    for (const [i, { target, id, index }] of named.entries()) {
      const owner = await this.within(principal, target, id, owners[i] ?? null);
      if (owner === null && everywhere) continue;
      if (owner === null) throw notFound(target, id);
      // The first target is the account acted for; the others are what it acts with or on.
      if (index === 0 && owner !== principal.accountId) onBehalfOf = owner;
    }
    if (onBehalfOf !== undefined) req[ON_BEHALF_OF] = onBehalfOf;
    return true;
  }

  /** The owner of the target when the principal may see it; null when it may not, or when there is no such thing. */
  private async within(principal: Principal, target: Target, id: string, owner: string | null): Promise<string | null> {
    // Machines see their own device and nothing else.
    if (principal.role === 'device') return target.kind === 'device' && id === principal.deviceId?.toLowerCase() ? principal.accountId : null;
    if (principal.role === 'license-server' || owner === null) return null;
    return (await this.scope.isWithin(principal.accountId, owner)) ? owner : null;
  }
}

/** The targets present in the request, normalized; null when one is malformed (validation will refuse the request). */
function namedTargets(targets: readonly Target[], req: GuardedRequest, scope: ScopeResolver): { target: Target; id: string; index: number }[] | null {
  const named: { target: Target; id: string; index: number }[] = [];
  for (const [index, target] of targets.entries()) {
    const raw = valueAt(req, target.from);
    if (typeof raw !== 'string') continue; // absent (optional) or not text: validation answers for it
    const id = scope.normalize(target.kind, raw);
    if (id === MALFORMED) return null;
    named.push({ target, id, index });
  }
  return named;
}

/** The key id of a `Bearer ldg_…` header, to read the key with the request's other access reads. */
function apiKeyIdIn(authorization: string | undefined): string | undefined {
  const token = authorization?.match(/^Bearer +(ldg_\S+) *$/i)?.[1];
  return token === undefined ? undefined : (apiKeyId(token) ?? undefined);
}

/** The status and code of a refusal by this guard; undefined for anything else (a failing store, say). */
function refusalOf(error: unknown): { status: number; code: string } | undefined {
  if (error instanceof AuthenticationError) return { status: 401, code: error.code };
  if (error instanceof ForbiddenError) return { status: 403, code: error.code };
  if (error instanceof RateLimitedError) return { status: 429, code: error.code };
  if (error instanceof DomainError) return { status: 404, code: error.code };
  return undefined;
}

function valueAt(req: GuardedRequest, from: Source): unknown {
  if ('param' in from) return req.params?.[from.param];
  if ('query' in from) return req.query?.[from.query];
  const body = req.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[from.body] : undefined;
}

/** Word for word what the domain says of a missing thing, with the same pointer for a body field. */
function notFound(target: Target, id: string): DomainError {
  const { code, noun, key } = NOT_FOUND[target.kind];
  return new DomainError(code, `${noun} ${id} does not exist`, { [key]: id }, 'body' in target.from ? `/${target.from.body}` : undefined);
}
