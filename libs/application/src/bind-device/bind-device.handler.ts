import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type BindDevice, type BindDeviceResult, bindDevice } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class BindDeviceCommand extends Command<CommandOutcome<BindDeviceResult>> {
  constructor(
    readonly input: BindDevice,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(BindDeviceCommand)
export class BindDeviceHandler implements ICommandHandler<BindDeviceCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: BindDeviceCommand) {
    return this.executor.execute(bindDevice, input, envelope);
  }
}
