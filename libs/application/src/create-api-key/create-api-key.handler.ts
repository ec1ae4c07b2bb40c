import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CreateApiKey, type CreateApiKeyResult, createApiKey } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class CreateApiKeyCommand extends Command<CommandOutcome<CreateApiKeyResult>> {
  constructor(
    /** digest: HMAC-SHA-256 of the key, hex; the key itself never enters a command. */
    readonly input: CreateApiKey & { digest: string },
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: CreateApiKeyCommand) {
    const { digest, ...command } = input;
    return this.executor.execute(createApiKey, command, envelope, (sql) =>
      sql.query(
        `INSERT INTO access_api_keys (key_id, prefix, account_id, role, name, device_id, server_id, expires_at, created_at, created_by, digest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10, $11)`,
        [command.keyId, command.prefix, command.accountId, command.role, command.name, command.deviceId ?? null, command.serverId ?? null, command.expiresAt ?? null, command.now, envelope.actor, digest],
      ).then(() => undefined),
    );
  }
}

