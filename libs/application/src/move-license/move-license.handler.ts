import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type HandOffResult, type MoveLicense, moveLicense } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class MoveLicenseCommand extends Command<CommandOutcome<HandOffResult>> {
  constructor(
    readonly input: MoveLicense,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(MoveLicenseCommand)
export class MoveLicenseHandler implements ICommandHandler<MoveLicenseCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: MoveLicenseCommand) {
    return this.executor.execute(moveLicense, input, envelope);
  }
}
