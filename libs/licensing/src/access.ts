/**
 * Who may hold a credential. Each role is a set of permissions over routes
 * (apps/ledger declares which); here only what the ledger records: the role
 * names (facts in ApiKeyCreated, never renamed) and who may grant which.
 */
export const ROLES = ['admin', 'backoffice', 'partner', 'customer', 'dashboard', 'auditor', 'device', 'license-server'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Roles that see every account: only the vendor's own account holds them. */
export const VENDOR_ROLES: readonly Role[] = ['admin', 'auditor'];

/**
 * The roles a credential may create keys for: never one that could do more
 * than its creator. Admins (vendor staff) grant any; a partner grants what its
 * own portal users and machines need, within its own scope.
 */
export const GRANTABLE: Readonly<Record<Role, readonly Role[]>> = {
  admin: ROLES,
  partner: ['partner', 'customer', 'dashboard', 'device', 'license-server'],
  backoffice: [],
  customer: [],
  dashboard: [],
  auditor: [],
  device: [],
  'license-server': [],
};
