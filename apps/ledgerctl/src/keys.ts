/**
 * `ledgerctl keys`: API keys from the operator's seat. Whoever runs ledgerctl
 * reaches the database directly, so keys are granted as an admin would grant
 * them, and through the ledger's one write path (CreateApiKeyHandler,
 * RevokeApiKeyHandler): the same rules, events and key table as the API.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventStore } from '@ledger/event-store';
import { type CreateApiKey, DomainError, ROLES, UUID, isRole } from '@ledger/licensing';
import { KEY_ID, SecretError, digestApiKey, generateApiKey, loadLedgerSecret } from '../../ledger/src/auth/credentials';
import { EXIT, UsageError, err, out } from './cli';
import { type StoreSettings, openStore, storeSettings } from './store';

const PAGE = 500;

type Values = Record<string, string | boolean | undefined>;

const SPECS = {
  create: {
    options: {
      account: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      device: { type: 'string' },
      server: { type: 'string' },
      expires: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    positionals: false,
  },
  list: { options: { account: { type: 'string' }, limit: { type: 'string' } }, positionals: false },
  revoke: { options: { reason: { type: 'string' } }, positionals: true },
  generate: { options: {}, positionals: false },
} as const;

type Subcommand = keyof typeof SPECS;

export async function keys(argv: string[], env: NodeJS.ProcessEnv, usage: string): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out(usage);
    return EXIT.usage;
  }
  if (!(sub in SPECS)) throw new UsageError(`unknown keys command ${JSON.stringify(sub)}; one of: ${Object.keys(SPECS).join(', ')}`);
  const name = sub as Subcommand;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...SPECS[name].options, help: { type: 'boolean', short: 'h' } }, allowPositionals: SPECS[name].positionals, strict: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError(`keys ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed.values['help']) {
    out(usage);
    return EXIT.usage;
  }
  switch (name) {
    case 'generate':
      // Touches no store and needs no setting: the key is recorded where it is used (LEDGER_ADMIN_KEY).
      out(generateApiKey().key);
      return EXIT.ok;
    case 'create':
      return create(createInput(parsed.values), Boolean(parsed.values['quiet']), env);
    case 'list':
      return list(listInput(parsed.values), env);
    case 'revoke':
      return revoke(revokeInput(parsed.values, parsed.positionals), env);
  }
}

// ------------------------------------------------------------------ flags (exit 2 when wrong)

const text = (values: Values, flag: string): string | undefined => {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
};

function required(values: Values, flag: string, what: string): string {
  const v = text(values, flag);
  if (v === undefined || v.trim() === '') throw new UsageError(`keys create needs --${flag} ${what}`);
  return v;
}

function uuid(flag: string, value: string): string {
  const id = value.toLowerCase();
  if (!UUID.test(id)) throw new UsageError(`--${flag} must be a UUID, got ${JSON.stringify(value)}`);
  return id;
}

/** What `keys create` records, from its flags. */
type CreateInput = Required<Pick<CreateApiKey, 'accountId' | 'role' | 'name' | 'deviceId' | 'serverId' | 'expiresAt'>>;

function createInput(values: Values): CreateInput {
  const accountId = uuid('account', required(values, 'account', 'ID (the account that holds the key)'));
  const role = required(values, 'role', `ROLE (one of ${ROLES.join(', ')})`);
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  const name = required(values, 'name', 'NAME (what the key is for, e.g. "billing export")');
  const device = text(values, 'device');
  const expires = text(values, 'expires');
  let expiresAt: string | null = null;
  if (expires !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(expires) || Number.isNaN(Date.parse(expires)))
      throw new UsageError(`--expires must be an ISO-8601 instant with an offset (2027-01-31T00:00:00Z), got ${JSON.stringify(expires)}`);
    expiresAt = new Date(expires).toISOString();
  }
  // Whether the role calls for a device or a server is the ledger's rule (INVALID_COMMAND, exit 3), checked once, there.
  return { accountId, role, name, deviceId: device === undefined ? null : uuid('device', device), serverId: text(values, 'server') ?? null, expiresAt };
}

function listInput(values: Values): { accountId: string | null; limit: number | null } {
  const account = text(values, 'account');
  const limit = text(values, 'limit');
  if (limit !== undefined && (!/^\d{1,9}$/.test(limit) || Number(limit) < 1)) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(limit)}`);
  return { accountId: account === undefined ? null : uuid('account', account), limit: limit === undefined ? null : Number(limit) };
}

function revokeInput(values: Values, positionals: string[]): { keyId: string; reason: string | null } {
  if (positionals.length !== 1) throw new UsageError('keys revoke takes one KEYID (the 12 characters after ldg_, as keys list prints it)');
  const given = positionals[0]!;
  // Never echoed when it could be a whole key: the secret would end up in a log.
  if (/^ldg_[^_]+_/.test(given)) throw new UsageError('keys revoke takes the key id (ldg_ and 12 characters), not the whole key');
  const keyId = given.startsWith('ldg_') ? given.slice(4) : given;
  if (!KEY_ID.test(keyId)) throw new UsageError(`${JSON.stringify(given)} is not a key id (12 characters of 0-9 a-z without i, l, o, u, optionally after ldg_)`);
  return { keyId, reason: text(values, 'reason') ?? null };
}

// ------------------------------------------------------------------ the secret

/**
 * The rule of the API (loadConfig): LEDGER_SECRET, at least 32 characters;
 * unset, the data folder's file, but only on the embedded store: every
 * process on one database must key the digests alike. Checked before the
 * store is opened; the file is read once it is.
 */
function secretSetting(env: NodeJS.ProcessEnv, settings: StoreSettings): string | undefined {
  const secret = env['LEDGER_SECRET'] || undefined;
  if (secret !== undefined && secret.length < 32) throw new UsageError('LEDGER_SECRET must be at least 32 characters (the ledger\'s own: keys digested with another secret are refused)');
  if (secret !== undefined) return secret;
  if (settings.databaseUrl)
    throw new UsageError('DATABASE_URL needs LEDGER_SECRET: set it to the secret the ledger processes on this database use, or the key will not be accepted');
  if (env['NODE_ENV'] === 'production') throw new UsageError('NODE_ENV=production needs LEDGER_SECRET (the ledger\'s own): the ledger does not use a secret file there');
  return undefined;
}

async function fileSecret(store: EventStore, settings: StoreSettings): Promise<Buffer> {
  const { ApiKeyDirectory } = await application();
  const file = join(settings.dataDir, 'ledger-secret');
  // No file, yet keys: the ledger ran with LEDGER_SECRET. A fresh file would key digests no ledger process checks.
  if (!existsSync(file) && (await new ApiKeyDirectory(store.sql).any()))
    throw new UsageError(`${file} does not exist, yet this store holds API keys: the ledger uses LEDGER_SECRET; set it for ledgerctl too`);
  return loadLedgerSecret(undefined, file);
}

// ------------------------------------------------------------------ commands

async function application() {
  // Loaded on demand only: the application lib brings the Nest decorators of its handlers with it.
  await import('reflect-metadata');
  return import('@ledger/application');
}

/** The store, migrated as far as the write path and the key table need (a fresh store works too). */
async function withStore<T>(settings: StoreSettings, fn: (store: EventStore) => Promise<T>): Promise<T> {
  const { migrateAccess, migrateLicenseIndex } = await application();
  const { store } = await openStore(settings, true);
  try {
    await migrateLicenseIndex(store);
    await migrateAccess(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}

function operator(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
  }
  name ||= process.env['USER'] || process.env['LOGNAME'] || `uid-${process.getuid?.() ?? 'unknown'}`;
  return `ledgerctl:${name}`;
}

function envelope() {
  const id = randomUUID();
  return { commandId: id, actor: operator(), correlationId: id };
}

/** A refusal of the ledger (a rule, a missing account or key): one JSON line on stderr, exit 3. */
async function refused(error: unknown): Promise<number> {
  const { ApplicationError } = await application();
  if (!(error instanceof DomainError || error instanceof ApplicationError)) throw error;
  err(JSON.stringify({ error: error.code, message: error.message }));
  return EXIT.failed;
}

async function create(input: CreateInput, quiet: boolean, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = storeSettings(env);
  const given = secretSetting(env, settings);
  const { CommandExecutor, CreateApiKeyCommand, CreateApiKeyHandler } = await application();
  return withStore(settings, async (store) => {
    let secret: Buffer;
    try {
      secret = given !== undefined ? Buffer.from(given, 'utf8') : await fileSecret(store, settings);
    } catch (error) {
      if (error instanceof SecretError) throw Object.assign(new Error(error.message), { code: error.code });
      throw error;
    }
    const fresh = generateApiKey();
    const handler = new CreateApiKeyHandler(new CommandExecutor(store));
    try {
      await handler.execute(
        new CreateApiKeyCommand(
          { now: new Date().toISOString(), keyId: fresh.keyId, prefix: fresh.prefix, ...input, grantorRole: 'admin', digest: digestApiKey(secret, fresh.key) },
          envelope(),
        ),
      );
    } catch (error) {
      return refused(error);
    }
    if (quiet) out(fresh.key);
    else {
      out(JSON.stringify({ keyId: fresh.keyId, prefix: fresh.prefix, key: fresh.key, accountId: input.accountId, role: input.role, name: input.name, expiresAt: input.expiresAt }));
      err(`ledgerctl: API key ${fresh.prefix} created; the key is shown this once only: keep it in a password manager`);
    }
    return EXIT.ok;
  });
}

async function list(input: { accountId: string | null; limit: number | null }, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = storeSettings(env);
  const { ApiKeyDirectory } = await application();
  return withStore(settings, async (store) => {
    const directory = new ApiKeyDirectory(store.sql);
    let left = input.limit ?? Number.POSITIVE_INFINITY;
    let after: string | undefined;
    while (left > 0) {
      const page = Math.min(PAGE, left);
      // ApiKeyRecord: the key table without its digest column.
      const rows = await directory.list(input.accountId === null ? null : [input.accountId], page, after);
      if (rows.length > 0) out(rows.map((r) => JSON.stringify(r)).join('\n'));
      left -= rows.length;
      if (rows.length < page) break;
      after = rows.at(-1)!.keyId;
    }
    return EXIT.ok;
  });
}

async function revoke(input: { keyId: string; reason: string | null }, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = storeSettings(env);
  const { CommandExecutor, RevokeApiKeyCommand, RevokeApiKeyHandler } = await application();
  return withStore(settings, async (store) => {
    const handler = new RevokeApiKeyHandler(new CommandExecutor(store));
    try {
      const outcome = await handler.execute(new RevokeApiKeyCommand({ now: new Date().toISOString(), keyId: input.keyId, reason: input.reason }, envelope()));
      out(JSON.stringify({ keyId: outcome.result.keyId, revokedAt: outcome.result.revokedAt }));
      return EXIT.ok;
    } catch (error) {
      return refused(error);
    }
  });
}
