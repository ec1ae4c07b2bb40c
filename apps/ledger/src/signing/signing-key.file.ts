import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The key file cannot be read, created or used: the ledger does not start without its signing key. */
export class SigningKeyError extends Error {
  readonly code = 'SIGNING_KEY_INVALID';

  constructor(
    readonly keyFile: string,
    problem: string,
  ) {
    // Not "delete it": a new key would not verify the files already signed with the old one.
    super(`signing key ${keyFile}: ${problem}; restore it from its backup or point LEDGER_SIGNING_KEY_FILE at the right file`);
    this.name = 'SigningKeyError';
  }
}

export interface LoadedSigningKey {
  privateKey: KeyObject;
  /** True when this process wrote the file. */
  created: boolean;
  /** Permission bits of the file, to warn about a key others can read. */
  mode: number;
}

/**
 * Loads the Ed25519 private key (PKCS#8 PEM) from `keyFile`, or creates it.
 *
 * Creation is safe against a second process starting at the same moment: the
 * key is written to a temporary file, then hard-linked into place, which fails
 * if the name is taken. Unlike rename, link never replaces a key another
 * process has already started signing with. Whoever wins, every process then
 * reads the key back from the file, so all of them sign with the same one.
 */
export async function loadOrCreateSigningKey(keyFile: string): Promise<LoadedSigningKey> {
  const existing = await readKey(keyFile);
  if (existing) return existing;
  const created = await writeNewKey(keyFile);
  const loaded = await readKey(keyFile);
  if (!loaded) throw new SigningKeyError(keyFile, 'was created but has disappeared');
  return { ...loaded, created };
}

async function readKey(keyFile: string): Promise<LoadedSigningKey | undefined> {
  let pem: string;
  let mode: number;
  try {
    pem = await readFile(keyFile, 'utf8');
    mode = (await stat(keyFile)).mode & 0o777;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw new SigningKeyError(keyFile, `cannot be read (${codeOf(error) ?? String(error)})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SigningKeyError(keyFile, `is not an unencrypted PEM private key (${(error as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(keyFile, `holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key, but license files are signed with Ed25519`);
  }
  return { privateKey, created: false, mode };
}

/** True if this call put the key in place, false if another process got there first. */
async function writeNewKey(keyFile: string): Promise<boolean> {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const temp = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
    // 0600 from the first byte: no window in which others could read the key.
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(pem, 'utf8');
      await handle.sync(); // on disk before it has its name, so a crash never leaves a half key
    } finally {
      await handle.close();
    }
    return await placeKey(temp, keyFile);
  } catch (error) {
    if (error instanceof SigningKeyError) throw error;
    throw new SigningKeyError(keyFile, `cannot be created (${codeOf(error) ?? String(error)})`);
  } finally {
    await rm(temp, { force: true });
  }
}

async function placeKey(temp: string, keyFile: string): Promise<boolean> {
  try {
    await link(temp, keyFile);
    return true;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') return false;
    // Some file systems (FAT, some network shares) have no hard links: fall back to a
    // rename, which only risks the race of two first starts within the same instant.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
    if ((await readKey(keyFile)) !== undefined) return false;
    await rename(temp, keyFile);
    return true;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
