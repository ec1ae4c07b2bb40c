import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type FulfilPurchaseOrder, type FulfilPurchaseOrderResult, fulfilPurchaseOrder } from '@ledger/licensing';
import { type CommandEnvelope, CommandExecutor, type CommandOutcome } from '../command-executor';

export class FulfilPurchaseOrderCommand extends Command<CommandOutcome<FulfilPurchaseOrderResult>> {
  constructor(
    readonly input: FulfilPurchaseOrder,
    readonly envelope: CommandEnvelope,
  ) {
    super();
  }
}

@CommandHandler(FulfilPurchaseOrderCommand)
export class FulfilPurchaseOrderHandler implements ICommandHandler<FulfilPurchaseOrderCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  execute({ input, envelope }: FulfilPurchaseOrderCommand) {
    return this.executor.execute(fulfilPurchaseOrder, input, envelope);
  }
}
