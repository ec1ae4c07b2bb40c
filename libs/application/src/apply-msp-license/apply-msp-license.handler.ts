import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type ApplyMspLicense, type ApplyMspLicenseResult, applyMspLicense } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class ApplyMspLicenseCommand extends Command<CommandOutcome<ApplyMspLicenseResult>> {
  constructor(
    readonly input: ApplyMspLicense,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(ApplyMspLicenseCommand)
export class ApplyMspLicenseHandler implements ICommandHandler<ApplyMspLicenseCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: ApplyMspLicenseCommand) {
    return this.executor.execute(applyMspLicense, input, envelope);
  }
}
