/**
 * The ledger exactly as apps/ledger/src/main.ts starts it, except that its
 * access guard admits every request as the vendor's admin: no key lookup, no
 * rate limit, no role or scope check. bench:commands runs it beside the real
 * ledger to measure what authentication and authorization cost. It lives in
 * bench/ only: nothing in apps/ can start it.
 */
import { AccessGuard, type GuardedRequest } from '../apps/ledger/src/auth/access.guard';
import { PRINCIPAL } from '../apps/ledger/src/auth/principal';

const vendor = process.env['LEDGER_VENDOR_ACCOUNT_ID'];
if (!vendor) throw new Error('LEDGER_VENDOR_ACCOUNT_ID must be set');
const principal = { id: 'key:unauthenticated', role: 'admin' as const, accountId: vendor, via: 'api-key' as const };

AccessGuard.prototype.canActivate = async function admitEveryone(context) {
  context.switchToHttp().getRequest<GuardedRequest>()[PRINCIPAL] = principal;
  return true;
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../apps/ledger/src/main');
