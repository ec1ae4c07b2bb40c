/**
 * Every refusal of the domain has a stable `code` (clients match on it; never
 * renamed) and a `kind` that the HTTP layer maps to a status:
 * invalid → 400, not_found → 404, conflict → 409, rule → 422.
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'rule';

export const ERROR_CODES = {
  // invalid: the command itself is wrong, whatever the ledger holds
  INVALID_COMMAND: 'invalid',
  PO_DELIVERY_EMAILS_REQUIRED: 'invalid',
  PO_LINES_REQUIRED: 'invalid',
  QUANTITY_NOT_POSITIVE: 'invalid',
  QUANTITY_TOO_LARGE: 'invalid',
  KEY_CODE_MALFORMED: 'invalid',
  CHANNELS_DO_NOT_MATCH_LICENSES: 'invalid',
  LINK_TO_SELF: 'invalid',
  // not_found: something the command names does not exist
  ACCOUNT_NOT_FOUND: 'not_found',
  LICENSE_MODEL_NOT_FOUND: 'not_found',
  PURCHASE_ORDER_NOT_FOUND: 'not_found',
  KEY_NOT_FOUND: 'not_found',
  LICENSE_NOT_FOUND: 'not_found',
  DEVICE_NOT_FOUND: 'not_found',
  DEPLOYMENT_NOT_FOUND: 'not_found',
  API_KEY_NOT_FOUND: 'not_found',
  // conflict: the ledger already holds something that clashes
  LICENSE_MODEL_EXISTS: 'conflict',
  PO_NUMBER_TAKEN: 'conflict',
  DEVICE_SERIAL_TAKEN: 'conflict',
  KEY_ALREADY_CLAIMED: 'conflict',
  LICENSE_ALREADY_BOUND: 'conflict',
  CHANNEL_ALREADY_COVERED: 'conflict',
  // rule: a business rule refuses the command
  INVALID_PARENT: 'rule',
  NOT_AN_END_USER: 'rule',
  ACCOUNTS_NOT_LINKED: 'rule',
  NOT_SAME_PARTNER: 'rule',
  INSUFFICIENT_LICENSES: 'rule',
  LICENSE_BOUND: 'rule',
  LICENSE_DEPLOYED: 'rule',
  LICENSE_SUPERSEDED: 'rule',
  LICENSE_REVOKED: 'rule',
  LICENSE_UNINSTALLED: 'rule',
  LICENSE_NOT_OWNED: 'rule',
  LICENSE_EXPIRED: 'rule',
  LICENSE_NOT_DEVICE_BINDABLE: 'rule',
  LICENSE_MODEL_DOES_NOT_FIT_DEVICE: 'rule',
  CHANNEL_OUT_OF_RANGE: 'rule',
  LICENSE_NOT_DEPLOYABLE: 'rule',
  LICENSE_NOT_MSP_PORTAL: 'rule',
  KEY_EXPIRED: 'rule',
  DEPLOYMENT_UNINSTALLED: 'rule',
  DEPLOYMENT_NOT_INSTALLED: 'rule',
  MAINTENANCE_NOT_EXTENDED: 'rule',
  ROLE_NOT_GRANTABLE: 'rule',
  ROLE_NOT_FOR_ACCOUNT: 'rule',
} as const satisfies Record<string, DomainErrorKind>;

export type DomainErrorCode = keyof typeof ERROR_CODES;

/** Facts about a refusal a client can act on (e.g. how many licenses are available). */
export type ErrorDetails = Record<string, string | number | boolean | null | readonly string[]>;

export class DomainError extends Error {
  readonly kind: DomainErrorKind;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    /** JSON pointer into the command's input that caused the refusal, when one field did. */
    readonly pointer?: string,
  ) {
    super(message);
    this.name = 'DomainError';
    this.kind = ERROR_CODES[code];
  }
}

export function refuse(code: DomainErrorCode, message: string, details?: ErrorDetails, pointer?: string): never {
  throw new DomainError(code, message, details, pointer);
}
