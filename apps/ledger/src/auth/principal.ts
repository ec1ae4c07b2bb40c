import type { Role } from '@ledger/licensing';

export type { Role } from '@ledger/licensing';

/**
 * Who is asking: established from the request's credential (an API key or a
 * bearer token), never from anything else the caller says about itself.
 */
export interface Principal {
  /** Stable id, recorded as the actor of every event: `key:<keyId>` or `jwt:<issuer>#<subject>`. */
  id: string;
  role: Role;
  /** The account it belongs to: it sees and acts on this account and the accounts below it. */
  accountId: string;
  /** Device credentials: the one device they may act for. */
  deviceId?: string;
  /** License-server credentials: the one server (hardware fingerprint) they may act for. */
  serverId?: string;
  via: 'api-key' | 'jwt';
}

/** 401: no credential, or one that does not verify. The code says which; the message never echoes the credential. */
export class AuthenticationError extends Error {
  constructor(
    readonly code: 'CREDENTIALS_REQUIRED' | 'CREDENTIALS_INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** 403: authenticated, but this role may not use this route (or may not act beyond its own account). */
export class ForbiddenError extends Error {
  readonly code = 'FORBIDDEN';

  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** The principal the authentication guard put on the request. */
export const PRINCIPAL = Symbol('principal');
export type WithPrincipal = { [PRINCIPAL]?: Principal };
