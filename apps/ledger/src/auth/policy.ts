import { SetMetadata } from '@nestjs/common';
import type { Role } from '@ledger/licensing';

/**
 * Every route says who may call it and what it acts on; the application
 * refuses to start when one does not (RoutePolicies.check).
 *
 * Targets are the things a request names that belong to an account. The
 * caller must see each of them (its own account or one below it); otherwise
 * the answer is the route's own "not found", so a caller learns nothing of
 * what lies outside its scope.
 */
export type Source = { param: string } | { body: string } | { query: string };

export type TargetKind = 'account' | 'license' | 'device' | 'deployment' | 'purchaseOrder' | 'apiKey';

export interface Target {
  kind: TargetKind;
  from: Source;
}

export type RoutePolicy =
  | { public: true; why: string }
  | {
      public?: false;
      roles: readonly Role[];
      targets?: readonly Target[];
      /** Only callers of the vendor's own account (vendor staff and services): catalog and vendor-side actions. */
      vendorOnly?: boolean;
      /** A list that the handler itself narrows to the caller's scope (search, expiring, key lists). */
      scopedList?: boolean;
    };

export const POLICY = 'ledger:policy';

export const Policy = (policy: RoutePolicy) => SetMetadata(POLICY, policy);

/** Reachable without credentials; `why` is for the reader of the route table. */
export const Public = (why: string) => Policy({ public: true, why });

export const param = (name = 'id'): Source => ({ param: name });
export const body = (field: string): Source => ({ body: field });
export const query = (name: string): Source => ({ query: name });

export const account = (from: Source): Target => ({ kind: 'account', from });
export const license = (from: Source): Target => ({ kind: 'license', from });
export const device = (from: Source): Target => ({ kind: 'device', from });
export const deployment = (from: Source): Target => ({ kind: 'deployment', from });
export const purchaseOrder = (from: Source): Target => ({ kind: 'purchaseOrder', from });
export const apiKey = (from: Source): Target => ({ kind: 'apiKey', from });

/** Who reads: everyone but machines (device credentials read their own device only). */
export const READERS: readonly Role[] = ['admin', 'auditor', 'backoffice', 'partner', 'customer', 'dashboard'];
/** Vendor staff and global reviewers only. */
export const GLOBAL_READERS: readonly Role[] = ['admin', 'auditor'];
/** What the partner portal does for itself and its customers. */
export const PARTNER_WRITERS: readonly Role[] = ['admin', 'backoffice', 'partner'];
/** What a customer may also do for itself. */
export const PORTAL_WRITERS: readonly Role[] = ['admin', 'backoffice', 'partner', 'customer'];
/** Vendor-side actions: the catalog, fulfilment, revocation. */
export const VENDOR_WRITERS: readonly Role[] = ['admin', 'backoffice'];
/** Who manages API keys: admins everywhere, partners within their own scope. */
export const KEY_MANAGERS: readonly Role[] = ['admin', 'partner'];
