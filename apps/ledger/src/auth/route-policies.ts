import { Injectable, type OnModuleInit, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { POLICY, type RoutePolicy } from './policy';

export interface RouteEntry {
  /** `POST /v1/accounts/:id/allocations` */
  route: string;
  controller: string;
  handler: string;
  policy: RoutePolicy | undefined;
}

export class MissingPolicyError extends Error {
  readonly code = 'ROUTE_WITHOUT_POLICY';

  constructor(readonly routes: string[]) {
    super(`every route must declare an access policy (@Policy or @Public); these do not: ${routes.join(', ')}`);
    this.name = 'MissingPolicyError';
  }
}

const join = (...parts: string[]) => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

/**
 * The route table as Nest will serve it, with each route's policy. At start a
 * route without a policy stops the application: a forgotten decorator must
 * never mean "open to anyone".
 */
@Injectable()
export class RoutePolicies implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const missing = this.table().filter((r) => r.policy === undefined);
    if (missing.length > 0) throw new MissingPolicyError(missing.map((r) => r.route));
  }

  table(): RouteEntry[] {
    const entries: RouteEntry[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const base = Reflect.getMetadata(PATH_METADATA, metatype) as string | string[] | undefined;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        const policy = Reflect.getMetadata(POLICY, handler) as RoutePolicy | undefined;
        for (const b of [base ?? ''].flat())
          for (const p of [path].flat()) entries.push({ route: `${RequestMethod[method]} ${join(b, p)}`, controller: metatype.name, handler: name, policy });
      }
    }
    return entries.sort((a, b) => a.route.localeCompare(b.route));
  }
}
