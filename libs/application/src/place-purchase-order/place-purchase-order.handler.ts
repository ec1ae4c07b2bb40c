import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type PlacePurchaseOrder, placePurchaseOrder } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class PlacePurchaseOrderCommand extends Command<CommandOutcome<{ poNumber: string }>> {
  constructor(
    readonly input: PlacePurchaseOrder,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(PlacePurchaseOrderCommand)
export class PlacePurchaseOrderHandler implements ICommandHandler<PlacePurchaseOrderCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: PlacePurchaseOrderCommand) {
    return this.executor.execute(placePurchaseOrder, input, envelope);
  }
}
