import { Injectable } from '@nestjs/common';
import type { AccessFound } from '@ledger/application';
import type { AccessLookups } from './access-lookups';
import { apiKeyId, digestApiKey, digestsEqual, looksLikeApiKey } from './credentials';
import type { JwtVerifier } from './jwt-verifier';
import { AuthenticationError, type Principal } from './principal';

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * Turns the Authorization header into a principal: `Bearer ldg_…` is an API
 * key, any other bearer token a JWT. The key's row is read on every request
 * (with the request's other access reads, in one statement): a revocation
 * holds from the next request on, in every process, with no cache to expire.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly lookups: AccessLookups,
    private readonly secret: Buffer,
    private readonly jwt: JwtVerifier | null,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `prefetched`: the key's row, when the caller already asked for it with other reads (AccessGuard). */
  async authenticate(authorization: string | undefined, prefetched?: Promise<AccessFound>): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '')
      throw new AuthenticationError('CREDENTIALS_REQUIRED', 'this route needs credentials: send Authorization: Bearer <API key or token>');
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) throw new AuthenticationError('CREDENTIALS_INVALID', 'the Authorization header must be "Bearer <API key or token>"');
    if (looksLikeApiKey(token)) return this.apiKey(token, prefetched);
    if (this.jwt === null) throw new AuthenticationError('CREDENTIALS_INVALID', 'the bearer token is not an API key, and this ledger accepts no other tokens (JWT_* settings unset)');
    return this.jwt.verify(token);
  }

  private async apiKey(key: string, prefetched?: Promise<AccessFound>): Promise<Principal> {
    const keyId = apiKeyId(key);
    if (keyId === null) throw new AuthenticationError('CREDENTIALS_INVALID', 'the API key is malformed');
    const digest = digestApiKey(this.secret, key);
    const { key: record } = await (prefetched ?? this.lookups.lookup({ keyId }));
    // An unknown id and a wrong secret answer alike: nobody learns which key ids exist.
    if (record === null || record.keyId !== keyId || !digestsEqual(record.digest, digest)) throw new AuthenticationError('CREDENTIALS_INVALID', 'the API key is not valid');
    // Said plainly only to a caller who proved it holds the key.
    if (record.revokedAt !== null) throw new AuthenticationError('CREDENTIALS_INVALID', 'the API key was revoked');
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= this.clock()) throw new AuthenticationError('CREDENTIALS_INVALID', 'the API key has expired');
    return {
      id: `key:${keyId}`,
      role: record.role,
      accountId: record.accountId,
      ...(record.deviceId !== null ? { deviceId: record.deviceId } : {}),
      ...(record.serverId !== null ? { serverId: record.serverId } : {}),
      via: 'api-key',
    };
  }
}
