import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type ClaimKey, type ClaimKeyResult, claimKey } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class ClaimKeyCommand extends Command<CommandOutcome<ClaimKeyResult>> {
  constructor(
    readonly input: ClaimKey,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(ClaimKeyCommand)
export class ClaimKeyHandler implements ICommandHandler<ClaimKeyCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: ClaimKeyCommand) {
    return this.executor.execute(claimKey, input, envelope);
  }
}
