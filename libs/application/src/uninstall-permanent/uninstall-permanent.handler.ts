import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type UninstallPermanent, uninstallPermanent } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class UninstallPermanentCommand extends Command<CommandOutcome<{ deploymentId: string; licenseIds: string[] }>> {
  constructor(
    readonly input: UninstallPermanent,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(UninstallPermanentCommand)
export class UninstallPermanentHandler implements ICommandHandler<UninstallPermanentCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: UninstallPermanentCommand) {
    return this.executor.execute(uninstallPermanent, input, envelope);
  }
}
