import { createRemoteJWKSet, errors, jwtVerify, type JWSAlgorithm, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isRole } from '@ledger/licensing';
import { AuthenticationError, type Principal } from './principal';

export interface JwtSettings {
  /** JWT_ISSUER: the only `iss` accepted; also part of every principal id. */
  issuer: string;
  /** JWT_AUDIENCE: the `aud` a token must name. */
  audience: string;
  /** JWT_JWKS_URL: where the issuer publishes its public keys. */
  jwksUrl: string;
  /** JWT_CLOCK_SKEW_SECONDS (default 30): leeway for exp / nbf between our clock and the issuer's. */
  clockToleranceSeconds: number;
  /** JWT_ROLE_CLAIM (default 'ledger_role'). */
  roleClaim: string;
  /** JWT_ACCOUNT_CLAIM (default 'ledger_account'). */
  accountClaim: string;
}

/**
 * Public-key algorithms only. HMAC would let anyone holding the "key" we fetch
 * (a public JWKS) mint tokens, and `none` needs no key at all.
 */
const ALGORITHMS: JWSAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** sub (and the device / server ids) end up in event metadata and logs: printable ASCII, bounded well below the store's 500-char actor. */
const PRINTABLE_ID = /^[\x20-\x7e]{1,200}$/;

/** Marks a failure to obtain the keys, as opposed to a token the keys reject. */
class KeysUnavailable extends Error {}

/** Turns a bearer token from our identity provider into a Principal, or says (without echoing it) why not. */
export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly settings: JwtSettings,
    options: { jwks?: JWTVerifyGetKey } = {},
  ) {
    const jwks =
      options.jwks ??
      // Cached 10 min; a token with an unknown kid refetches at most every 30 s
      // (key rotation), so a flood of junk kids cannot hammer the issuer.
      createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: 5_000 });
    // Anything the key source throws, except "no such key", means we could not
    // get usable keys: that is our (or the issuer's) problem, not the token's.
    this.keys = async (header, token) => {
      try {
        return await jwks(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new KeysUnavailable('key source failed', { cause: error });
      }
    };
  }

  async verify(token: string): Promise<Principal> {
    const { issuer, audience, clockToleranceSeconds, roleClaim, accountClaim } = this.settings;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer,
        audience,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
        algorithms: ALGORITHMS,
      }));
    } catch (error) {
      throw joseFailure(error);
    }

    const { sub } = payload;
    if (typeof sub !== 'string' || !PRINTABLE_ID.test(sub))
      throw invalid('the bearer token\'s "sub" claim must be 1 to 200 printable ASCII characters');
    const role = payload[roleClaim];
    if (!isRole(role)) throw invalid(`the token has no ${roleClaim} claim naming a role`);
    const account = payload[accountClaim];
    if (typeof account !== 'string' || !UUID.test(account)) throw invalid(`the token has no ${accountClaim} claim holding an account id (a UUID)`);

    const principal: Principal = { id: `jwt:${issuer}#${sub}`, role, accountId: account.toLowerCase(), via: 'jwt' };
    // Device and server credentials are only ever scoped: without the scope the
    // token would act for every device / server of the account, so refuse it.
    // On other roles the claims are ignored rather than half-honoured.
    if (role === 'device') principal.deviceId = scopeClaim(payload, 'ledger_device', role);
    if (role === 'license-server') principal.serverId = scopeClaim(payload, 'ledger_server', role);
    return principal;
  }
}

function scopeClaim(payload: JWTPayload, claim: string, role: string): string {
  const value = payload[claim];
  if (typeof value !== 'string' || !PRINTABLE_ID.test(value))
    throw invalid(`a ${role} token needs a ${claim} claim of 1 to 200 printable ASCII characters`);
  return value;
}

function invalid(message: string): AuthenticationError {
  return new AuthenticationError('CREDENTIALS_INVALID', message);
}

/**
 * jose's own messages are fine but its errors carry the claims (error.payload,
 * error.cause): only our fixed sentences leave here, and only a key-fetch
 * failure keeps its cause, for the caller to log.
 */
function joseFailure(error: unknown): AuthenticationError {
  if (error instanceof KeysUnavailable) {
    const failure = invalid(
      error.cause instanceof errors.JWKSTimeout
        ? "the issuer's signing keys could not be fetched (timed out)"
        : "the issuer's signing keys could not be fetched",
    );
    failure.cause = error.cause;
    return failure;
  }
  if (error instanceof errors.JWTExpired) return invalid('the bearer token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const missing = error.reason === 'missing';
    switch (error.claim) {
      case 'iss':
        return invalid(missing ? 'the bearer token names no issuer' : 'unexpected issuer');
      case 'aud':
        return invalid(missing ? 'the bearer token names no audience' : 'the bearer token is for another audience');
      case 'nbf':
        return invalid('the bearer token is not valid yet');
      case 'exp':
        return invalid(missing ? 'the bearer token has no expiry ("exp")' : 'the bearer token\'s "exp" claim is not a number');
      case 'sub':
        return invalid('the bearer token has no subject ("sub")');
      default:
        return invalid('the bearer token\'s claims are invalid');
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("the bearer token's signature does not verify");
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("the bearer token is not signed by any of the issuer's keys");
  if (error instanceof errors.JWKSMultipleMatchingKeys) return invalid("the bearer token does not say which of the issuer's keys signed it");
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('the bearer token is signed with an algorithm that is not accepted');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return invalid('the bearer token is not a well-formed JWT');
  // Whatever else (an unsupported key, a crypto failure): still no entry, never the details.
  return invalid('the bearer token could not be verified');
}
