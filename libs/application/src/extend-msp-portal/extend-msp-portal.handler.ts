import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type ExtendMspPortal, type ExtendMspPortalResult, extendMspPortal } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class ExtendMspPortalCommand extends Command<CommandOutcome<ExtendMspPortalResult>> {
  constructor(
    readonly input: ExtendMspPortal,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(ExtendMspPortalCommand)
export class ExtendMspPortalHandler implements ICommandHandler<ExtendMspPortalCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: ExtendMspPortalCommand) {
    return this.executor.execute(extendMspPortal, input, envelope);
  }
}
