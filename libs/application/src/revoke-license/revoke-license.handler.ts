import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type RevokeLicense, revokeLicense } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class RevokeLicenseCommand extends Command<CommandOutcome<{ licenseId: string; status: 'revoked' }>> {
  constructor(
    readonly input: RevokeLicense,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(RevokeLicenseCommand)
export class RevokeLicenseHandler implements ICommandHandler<RevokeLicenseCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: RevokeLicenseCommand) {
    return this.executor.execute(revokeLicense, input, envelope);
  }
}
