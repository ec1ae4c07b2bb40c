import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * API keys look like `ldg_k7m2q9x4c8vb_<43 characters>`: `ldg_` and a key id
 * (60 random bits, the visible prefix that names the key in lists and logs),
 * then 256 random bits of secret. Only HMAC-SHA-256(server secret, key) is kept.
 */
export const KEY_PREFIX = 'ldg_';
const KEY_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford's base32, lower case
const KEY_ID_LENGTH = 12;
const API_KEY = /^ldg_([0-9a-hjkmnp-tv-z]{12})_([A-Za-z0-9_-]{43})$/;
/** A key id alone (what lists, paths and events name a key by). */
export const KEY_ID = /^[0-9a-hjkmnp-tv-z]{12}$/;
/** A whole key, as LEDGER_ADMIN_KEY must be. */
export const isApiKey = (text: string): boolean => API_KEY.test(text);

export interface NewApiKey {
  keyId: string;
  /** What lists show: `ldg_<keyId>`. */
  prefix: string;
  /** The whole key, shown once. */
  key: string;
}

export function generateApiKey(): NewApiKey {
  // A byte modulo 32 is uniform, so every id symbol carries 5 bits.
  const keyId = [...randomBytes(KEY_ID_LENGTH)].map((b) => KEY_ID_ALPHABET[b % 32]).join('');
  const prefix = `${KEY_PREFIX}${keyId}`;
  return { keyId, prefix, key: `${prefix}_${randomBytes(32).toString('base64url')}` };
}

/** The key id of a well-formed key; null for anything else (never a reason: it could leak through timing or logs). */
export function apiKeyId(key: string): string | null {
  return API_KEY.exec(key)?.[1] ?? null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX);
}

export function digestApiKey(secret: Buffer, key: string): string {
  return createHmac('sha256', secret).update(key).digest('hex');
}

/** Constant time whatever the input: both sides are 64 hex characters by construction, and checked to be. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

export class SecretError extends Error {
  readonly code = 'INVALID_CONFIGURATION';

  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'SecretError';
  }
}

/**
 * The server secret the digests are keyed with: LEDGER_SECRET, or on the
 * embedded default a random one written once to the data folder (0600).
 * Losing it invalidates every API key; loadConfig decides when a file is allowed.
 */
export function loadLedgerSecret(given: string | undefined, file: string): Buffer {
  if (given !== undefined) return Buffer.from(given, 'utf8');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (!/^[A-Za-z0-9_-]{43,}$/.test(text)) throw new SecretError([`${file} does not hold a ledger secret (43 or more base64url characters); restore it from a backup or set LEDGER_SECRET`]);
    return Buffer.from(text, 'utf8');
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    // wx: of two processes starting at once, one writes and the other reads what it wrote.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadLedgerSecret(undefined, file);
    throw error;
  }
  chmodSync(file, 0o600);
  return Buffer.from(secret, 'utf8');
}
