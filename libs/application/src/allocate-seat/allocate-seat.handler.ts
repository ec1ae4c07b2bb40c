import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AllocateSeat, type HandOffResult, allocateSeat } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class AllocateSeatCommand extends Command<CommandOutcome<HandOffResult>> {
  constructor(
    readonly input: AllocateSeat,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(AllocateSeatCommand)
export class AllocateSeatHandler implements ICommandHandler<AllocateSeatCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: AllocateSeatCommand) {
    return this.executor.execute(allocateSeat, input, envelope);
  }
}
