import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { canonicalJson, isJsonObject, type JsonObject } from '@ledger/event-store';

export const SIGNED_FORMAT = 'ledger-signed/1';

/**
 * A payload (a license file, a sync file) with the ledger's signature. The
 * signature covers the canonical JSON (RFC 8785) of the payload, so the document
 * may be re-indented or its keys reordered in transit and still verify.
 */
export interface SignedDocument<P extends JsonObject = JsonObject> {
  format: typeof SIGNED_FORMAT;
  algorithm: 'Ed25519';
  /** Names the key that signed; see keyIdOf. */
  keyId: string;
  payload: P;
  /** base64url, no padding: 64 bytes of Ed25519 signature. */
  signature: string;
}

/** The public half of the signing key, as GET /v1/signing-key serves it. */
export interface SigningPublicKey {
  keyId: string;
  algorithm: 'Ed25519';
  /** SPKI PEM, what node:crypto's createPublicKey and OpenSSL read. */
  publicKeyPem: string;
  /** The same key as a JWK (RFC 8037), for JOSE libraries. */
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
}

/** First 16 hex characters of SHA-256 over the key's SPKI DER: stable, and short enough to log. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** The bytes that are signed: the UTF-8 of the payload's canonical JSON. */
export function signingInput(payload: JsonObject): Buffer {
  return Buffer.from(canonicalJson(payload), 'utf8');
}

/**
 * Offline check of a signed document against a public key PEM (from
 * GET /v1/signing-key). False for any document that does not verify, including
 * one signed by another key or malformed; throws only when `publicKeyPem` is not
 * an Ed25519 public key, which is the caller's mistake rather than the document's.
 */
export function verifySignedDocument(doc: unknown, publicKeyPem: string): boolean {
  const publicKey = createPublicKey(publicKeyPem);
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`expected an Ed25519 public key, got ${publicKey.asymmetricKeyType}`);
  if (!isSignedDocument(doc) || doc.keyId !== keyIdOf(publicKey)) return false;
  let input: Buffer;
  try {
    input = signingInput(doc.payload);
  } catch {
    return false; // not canonicalizable, so not something the ledger signed
  }
  const signature = Buffer.from(doc.signature, 'base64url');
  return signature.length === 64 && verify(null, input, publicKey, signature);
}

function isSignedDocument(doc: unknown): doc is SignedDocument {
  if (!isJsonObject(doc)) return false;
  return (
    doc['format'] === SIGNED_FORMAT &&
    doc['algorithm'] === 'Ed25519' &&
    typeof doc['keyId'] === 'string' &&
    isJsonObject(doc['payload']) &&
    typeof doc['signature'] === 'string' &&
    /^[A-Za-z0-9_-]+$/.test(doc['signature'])
  );
}
