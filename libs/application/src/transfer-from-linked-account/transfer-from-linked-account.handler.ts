import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type HandOffResult, type TransferFromLinkedAccount, transferFromLinkedAccount } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class TransferFromLinkedAccountCommand extends Command<CommandOutcome<HandOffResult>> {
  constructor(
    readonly input: TransferFromLinkedAccount,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(TransferFromLinkedAccountCommand)
export class TransferFromLinkedAccountHandler implements ICommandHandler<TransferFromLinkedAccountCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: TransferFromLinkedAccountCommand) {
    return this.executor.execute(transferFromLinkedAccount, input, envelope);
  }
}
