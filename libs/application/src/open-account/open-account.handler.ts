import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type OpenAccount, openAccount } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class OpenAccountCommand extends Command<CommandOutcome<{ accountId: string }>> {
  constructor(
    readonly input: OpenAccount,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(OpenAccountCommand)
export class OpenAccountHandler implements ICommandHandler<OpenAccountCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: OpenAccountCommand) {
    return this.executor.execute(openAccount, input, envelope);
  }
}
