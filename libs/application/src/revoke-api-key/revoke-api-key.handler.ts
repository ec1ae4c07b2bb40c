import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type RevokeApiKey, revokeApiKey } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class RevokeApiKeyCommand extends Command<CommandOutcome<{ keyId: string; revokedAt: string }>> {
  constructor(
    readonly input: RevokeApiKey,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: RevokeApiKeyCommand) {
    return this.executor.execute(revokeApiKey, input, envelope, (sql) =>
      sql.query(`UPDATE access_api_keys SET revoked_at = $2::timestamptz WHERE key_id = $1 AND revoked_at IS NULL`, [input.keyId, input.now]).then(() => undefined),
    );
  }
}
