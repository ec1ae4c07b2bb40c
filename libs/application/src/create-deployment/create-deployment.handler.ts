import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CreateDeployment, type CreateDeploymentResult, createDeployment } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class CreateDeploymentCommand extends Command<CommandOutcome<CreateDeploymentResult>> {
  constructor(
    readonly input: CreateDeployment,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(CreateDeploymentCommand)
export class CreateDeploymentHandler implements ICommandHandler<CreateDeploymentCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: CreateDeploymentCommand) {
    return this.executor.execute(createDeployment, input, envelope);
  }
}
