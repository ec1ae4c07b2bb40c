import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LicenseSigner } from './license-signer';
import { verifySignedDocument } from './signed-document';
import { loadOrCreateSigningKey, SigningKeyError } from './signing-key.file';

describe('LicenseSigner', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-signing-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const license = { licenseId: 'L-1', product: 'Router Pro', seats: 5, channels: ['1', '2'], expiresAt: null };

  it('creates the key file (0600, in a new folder) once and reuses it afterwards', async () => {
    const keyFile = join(dir, 'nested', 'signing-key.pem');
    const first = await loadOrCreateSigningKey(keyFile);
    expect(first.created).toBe(true);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['signing-key.pem']); // no temporary file left behind

    const second = await loadOrCreateSigningKey(keyFile);
    expect(second.created).toBe(false);
    expect(new LicenseSigner(second.privateKey).keyId).toBe(new LicenseSigner(first.privateKey).keyId);
    expect((await LicenseSigner.open(keyFile)).keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives signers racing to create the file the same key (link, not rename)', async () => {
    const keyFile = join(dir, 'signing-key.pem');
    const signers = await Promise.all(Array.from({ length: 8 }, () => LicenseSigner.open(keyFile)));
    expect(new Set(signers.map((s) => s.keyId)).size).toBe(1);
    expect(readdirSync(dir)).toEqual(['signing-key.pem']);
  });

  it('signs the canonical JSON of the payload, which verifies offline with the published PEM', async () => {
    const signer = await LicenseSigner.open(join(dir, 'signing-key.pem'));
    const doc = signer.sign(license);
    expect(doc).toEqual({ format: 'ledger-signed/1', algorithm: 'Ed25519', keyId: signer.keyId, payload: license, signature: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/) });

    const { publicKeyPem, jwk, keyId } = signer.publicKey();
    expect(keyId).toBe(signer.keyId);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: keyId });
    expect(verifySignedDocument(doc, publicKeyPem)).toBe(true);
    // Transport may re-indent and reorder keys: the signature is over the canonical form.
    const reordered = JSON.parse(JSON.stringify({ signature: doc.signature, payload: { ...license, licenseId: 'L-1' }, keyId, algorithm: 'Ed25519', format: 'ledger-signed/1' }, null, 2));
    expect(verifySignedDocument(reordered, publicKeyPem)).toBe(true);
  });

  it('refuses a changed payload, a wrong key, and malformed documents', async () => {
    const signer = await LicenseSigner.open(join(dir, 'signing-key.pem'));
    const other = await LicenseSigner.open(join(dir, 'other.pem'));
    const doc = signer.sign(license);
    const pem = signer.publicKey().publicKeyPem;

    expect(verifySignedDocument({ ...doc, payload: { ...license, seats: 50 } }, pem)).toBe(false);
    expect(verifySignedDocument(doc, other.publicKey().publicKeyPem)).toBe(false);
    // A document claiming the right key id but signed by another key.
    expect(verifySignedDocument({ ...other.sign(license), keyId: signer.keyId }, pem)).toBe(false);
    expect(verifySignedDocument({ ...doc, signature: doc.signature.slice(0, -2) }, pem)).toBe(false);
    expect(verifySignedDocument({ ...doc, format: 'ledger-signed/2' }, pem)).toBe(false);
    expect(verifySignedDocument('not a document', pem)).toBe(false);
    expect(() => verifySignedDocument(doc, 'not a key')).toThrow();
  });

  it('copies the payload, so changing the object afterwards changes nothing signed', async () => {
    const signer = await LicenseSigner.open(join(dir, 'signing-key.pem'));
    const payload = { licenseId: 'L-2', seats: 1 };
    const doc = signer.sign(payload);
    payload.seats = 99;
    expect(doc.payload.seats).toBe(1);
    expect(verifySignedDocument(doc, signer.publicKey().publicKeyPem)).toBe(true);
    expect(() => signer.sign({ when: new Date() } as never)).toThrow(TypeError);
  });

  describe('refuses to start on a bad key file (SIGNING_KEY_INVALID)', () => {
    const refusal = async (keyFile: string): Promise<SigningKeyError> => {
      const error = await LicenseSigner.open(keyFile).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SigningKeyError);
      expect(error).toMatchObject({ code: 'SIGNING_KEY_INVALID', keyFile });
      return error as SigningKeyError;
    };

    it('not a PEM key', async () => {
      const keyFile = join(dir, 'garbage.pem');
      writeFileSync(keyFile, 'hello\n');
      expect((await refusal(keyFile)).message).toContain('is not an unencrypted PEM private key');
    });

    it('a key of another algorithm', async () => {
      const keyFile = join(dir, 'rsa.pem');
      writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
      expect((await refusal(keyFile)).message).toContain('holds a rsa key');
    });

    it('a folder where the file should be', async () => {
      const keyFile = join(dir, 'folder.pem');
      mkdirSync(keyFile);
      expect((await refusal(keyFile)).message).toContain('cannot be read (EISDIR)');
    });
  });
});
