import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type RegisterDevice, registerDevice } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class RegisterDeviceCommand extends Command<CommandOutcome<{ deviceId: string; serial: string }>> {
  constructor(
    readonly input: RegisterDevice,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(RegisterDeviceCommand)
export class RegisterDeviceHandler implements ICommandHandler<RegisterDeviceCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: RegisterDeviceCommand) {
    return this.executor.execute(registerDevice, input, envelope);
  }
}
