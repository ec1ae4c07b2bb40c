import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type LicenseFileContent, type RenewMaintenance, renewMaintenance } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class RenewMaintenanceCommand extends Command<CommandOutcome<LicenseFileContent>> {
  constructor(
    readonly input: RenewMaintenance,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(RenewMaintenanceCommand)
export class RenewMaintenanceHandler implements ICommandHandler<RenewMaintenanceCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: RenewMaintenanceCommand) {
    return this.executor.execute(renewMaintenance, input, envelope);
  }
}
