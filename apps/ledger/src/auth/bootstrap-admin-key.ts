import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeyDirectory, CommandExecutor, type CommandOutcome, CreateApiKeyCommand, CreateApiKeyHandler, VENDOR_ACCOUNT } from '@ledger/application';
import { type CreateApiKeyResult, openAccount } from '@ledger/licensing';
import { LEDGER_SECRET } from './auth.tokens';
import { apiKeyId, digestApiKey, digestsEqual, generateApiKey } from './credentials';

export const BOOTSTRAP_OPTIONS = Symbol('BOOTSTRAP_OPTIONS');
export interface BootstrapOptions {
  /** LEDGER_ADMIN_KEY */
  adminKey?: string;
  /** Where the first admin key is shown, once (the terminal; tests capture it). */
  print: (text: string) => void;
  port?: number;
}

/**
 * The first admin key. LEDGER_ADMIN_KEY, when set, is recorded (once) as an
 * admin key of the vendor account; otherwise a ledger with no key at all
 * creates one and prints it once. Both go through the one write path, under
 * fixed command ids: a second start, or a second process starting at the
 * same moment, records nothing new.
 */
@Injectable()
export class BootstrapAdminKey implements OnApplicationBootstrap {
  private readonly logger = new Logger('Access');

  constructor(
    private readonly executor: CommandExecutor,
    private readonly createKey: CreateApiKeyHandler,
    private readonly keys: ApiKeyDirectory,
    @Inject(LEDGER_SECRET) private readonly secret: Buffer,
    @Inject(VENDOR_ACCOUNT) private readonly vendor: { accountId: string; name: string },
    @Inject(BOOTSTRAP_OPTIONS) private readonly options: BootstrapOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The vendor account may not be opened yet (hooks of other modules run in no promised order); the same command id makes this harmless.
    await this.executor.execute(
      openAccount,
      { now: new Date().toISOString(), accountId: this.vendor.accountId, kind: 'vendor', name: this.vendor.name, parentId: null, emails: [] },
      { commandId: `install:vendor-account:${this.vendor.accountId}`, actor: 'system', correlationId: 'install' },
    );
    if (this.options.adminKey !== undefined) return this.fromSetting(this.options.adminKey);
    if (await this.keys.any()) return;
    const fresh = generateApiKey();
    const outcome = await this.create(fresh.keyId, fresh.prefix, digestApiKey(this.secret, fresh.key), 'first admin key', 'install:first-admin-key');
    // Another process won the race: its key is the first one, and it printed it.
    if (outcome.replayed || outcome.result.keyId !== fresh.keyId) return;
    this.logger.log({ msg: 'first admin API key created', keyId: fresh.keyId });
    this.options.print(firstKeyBanner(fresh.key, this.vendor.accountId, this.options.port));
  }

  private async fromSetting(key: string): Promise<void> {
    const keyId = apiKeyId(key);
    if (keyId === null) throw new Error('LEDGER_ADMIN_KEY is not an API key'); // loadConfig checks it first
    const digest = digestApiKey(this.secret, key);
    const existing = await this.keys.find(keyId);
    if (existing === null) {
      await this.create(keyId, `ldg_${keyId}`, digest, 'bootstrap admin key (LEDGER_ADMIN_KEY)', `install:admin-key:${keyId}`);
      this.logger.log({ msg: 'bootstrap admin API key recorded from LEDGER_ADMIN_KEY', keyId });
      return;
    }
    if (!digestsEqual(existing.digest, digest))
      this.logger.error({ msg: 'LEDGER_ADMIN_KEY does not match the key recorded under its id: was LEDGER_SECRET changed? It will be refused', keyId });
    else if (existing.revokedAt !== null) this.logger.warn({ msg: 'LEDGER_ADMIN_KEY was revoked and stays revoked; set a new one', keyId });
  }

  private create(keyId: string, prefix: string, digest: string, name: string, commandId: string): Promise<CommandOutcome<CreateApiKeyResult>> {
    const command = { now: new Date().toISOString(), keyId, prefix, accountId: this.vendor.accountId, role: 'admin' as const, name, grantorRole: 'admin' as const, digest };
    return this.createKey.execute(new CreateApiKeyCommand(command, { commandId, actor: 'system', correlationId: 'install' }));
  }
}

function firstKeyBanner(key: string, vendorId: string, port = 3000): string {
  const line = '-'.repeat(78);
  return [
    line,
    'The ledger created its first admin API key. It is shown this once only:',
    '',
    `    ${key}`,
    '',
    'Keep it in a password manager. Call the API with it:',
    `    curl -H "Authorization: Bearer ${key}" http://localhost:${port}/v1/accounts/${vendorId}`,
    'Create more keys with POST /v1/api-keys or `npm run ledgerctl -- keys create`.',
    line,
    '',
  ].join('\n');
}
