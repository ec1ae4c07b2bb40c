import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type HandOffResult, type SellToEnduser, sellToEnduser } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class SellToEnduserCommand extends Command<CommandOutcome<HandOffResult>> {
  constructor(
    readonly input: SellToEnduser,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(SellToEnduserCommand)
export class SellToEnduserHandler implements ICommandHandler<SellToEnduserCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: SellToEnduserCommand) {
    return this.executor.execute(sellToEnduser, input, envelope);
  }
}
