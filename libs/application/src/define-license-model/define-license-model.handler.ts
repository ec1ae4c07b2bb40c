import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type DefineLicenseModel, defineLicenseModel } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class DefineLicenseModelCommand extends Command<CommandOutcome<{ code: string }>> {
  constructor(
    readonly input: DefineLicenseModel,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(DefineLicenseModelCommand)
export class DefineLicenseModelHandler implements ICommandHandler<DefineLicenseModelCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: DefineLicenseModelCommand) {
    return this.executor.execute(defineLicenseModel, input, envelope);
  }
}
