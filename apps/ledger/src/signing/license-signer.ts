import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import type { JsonObject } from '@ledger/event-store';
import { keyIdOf, SIGNED_FORMAT, type SignedDocument, type SigningPublicKey, signingInput } from './signed-document';
import { loadOrCreateSigningKey } from './signing-key.file';

/**
 * Signs what the ledger hands out for use offline (license files, sync files),
 * so a customer's license server can trust them without calling back. Also the
 * Nest injection token (SigningModule provides it).
 */
export class LicenseSigner {
  readonly keyId: string;
  private readonly published: SigningPublicKey;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('LicenseSigner needs an Ed25519 private key');
    const publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(publicKey);
    const { x } = publicKey.export({ format: 'jwk' });
    this.published = {
      keyId: this.keyId,
      algorithm: 'Ed25519',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      jwk: { kty: 'OKP', crv: 'Ed25519', x: x!, kid: this.keyId, alg: 'EdDSA', use: 'sig' },
    };
  }

  /** The signer of the key in `keyFile`, created there on first use (see loadOrCreateSigningKey). */
  static async open(keyFile: string): Promise<LicenseSigner> {
    return new LicenseSigner((await loadOrCreateSigningKey(keyFile)).privateKey);
  }

  sign<P extends JsonObject>(payload: P): SignedDocument<P> {
    let input: Buffer;
    try {
      input = signingInput(payload);
    } catch (error) {
      // A payload that is not plain JSON is a bug of the caller, not a bad request: keep it a 500.
      throw new TypeError(`cannot sign a payload that is not plain JSON: ${(error as Error).message}`);
    }
    return {
      format: SIGNED_FORMAT,
      algorithm: 'Ed25519',
      keyId: this.keyId,
      // A copy: a caller changing its object afterwards must not change what was signed.
      payload: JSON.parse(input.toString('utf8')) as P,
      signature: sign(null, input, this.privateKey).toString('base64url'),
    };
  }

  publicKey(): SigningPublicKey {
    return { ...this.published, jwk: { ...this.published.jwk } };
  }
}
