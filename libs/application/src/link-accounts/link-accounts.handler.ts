import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type LinkAccounts, linkAccounts } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class LinkAccountsCommand extends Command<CommandOutcome<{ accountId: string; linkedAccountId: string }>> {
  constructor(
    readonly input: LinkAccounts,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(LinkAccountsCommand)
export class LinkAccountsHandler implements ICommandHandler<LinkAccountsCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: LinkAccountsCommand) {
    return this.executor.execute(linkAccounts, input, envelope);
  }
}
