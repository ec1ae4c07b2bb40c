import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type InstallDeployment, type LicenseFileContent, installDeployment } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class InstallDeploymentCommand extends Command<CommandOutcome<LicenseFileContent>> {
  constructor(
    readonly input: InstallDeployment,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(InstallDeploymentCommand)
export class InstallDeploymentHandler implements ICommandHandler<InstallDeploymentCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: InstallDeploymentCommand) {
    return this.executor.execute(installDeployment, input, envelope);
  }
}
