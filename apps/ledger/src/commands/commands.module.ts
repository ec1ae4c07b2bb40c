import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { CatalogOrdersController } from './catalog-orders.controller';
import { CommandSender } from './command-sender';
import { DeploymentsController } from './deployments.controller';
import { DevicesLicensesController } from './devices-licenses.controller';

/** The command routes under /v1 (ApplicationModule provides the bus and handlers). */
@Module({
  controllers: [AccountsController, CatalogOrdersController, DevicesLicensesController, DeploymentsController],
  providers: [CommandSender],
})
export class CommandsModule {}
