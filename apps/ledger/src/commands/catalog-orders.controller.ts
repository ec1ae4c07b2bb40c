import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CodeParam } from './id-param';
import { ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from './command-sender';
import type { z } from 'zod';
import { ClaimKeyCommand, type CommandEnvelope, DefineLicenseModelCommand, FulfilPurchaseOrderCommand, PlacePurchaseOrderCommand } from '@ledger/application';
import { CommandContext } from '../http/command-context';
import { ApiZodBody, ZodBody, parseBody } from '../http/zod-body';
import { CommandSender, freshKeyCodes, newId, now } from './command-sender';
import { ApiCommandResponses } from './responses';
import { ClaimKeyBody, DefineLicenseModelBody, FulfilPurchaseOrderBody, MAX_ORDER_LINES, PlacePurchaseOrderBody } from './schemas';
import { account, body, PARTNER_WRITERS, Policy, PORTAL_WRITERS, VENDOR_WRITERS } from '../auth/policy';

@ApiTags('catalog and orders')
@Controller('v1')
export class CatalogOrdersController {
  constructor(private readonly commands: CommandSender) {}

  @Post('license-models')
  @Policy({ roles: VENDOR_WRITERS, vendorOnly: true })
  @ApiCommandResponses('DefineLicenseModel: a SKU; never changes once defined')
  define(@ZodBody(DefineLicenseModelBody) body: z.infer<typeof DefineLicenseModelBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new DefineLicenseModelCommand({ now: now(), ...body }, envelope), res);
  }

  @Post('purchase-orders')
  @Policy({ roles: PARTNER_WRITERS, targets: [account(body('buyerId'))] })
  @ApiCommandResponses('PlacePurchaseOrder: PO number (unique), buyer, delivery e-mails (at least one), order lines')
  place(@ZodBody(PlacePurchaseOrderBody) body: z.infer<typeof PlacePurchaseOrderBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new PlacePurchaseOrderCommand({ now: now(), ...body }, envelope), res);
  }

  @Post('purchase-orders/:poNumber/fulfilment')
  @Policy({ roles: VENDOR_WRITERS, vendorOnly: true })
  @ApiZodBody(FulfilPurchaseOrderBody)
  @ApiCommandResponses('FulfilPurchaseOrder: one license key per order line (the body is optional)')
  fulfil(@CodeParam('poNumber') poNumber: string, @Body() raw: unknown, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    // An empty body is allowed here: express leaves {} for a body-less POST.
    const body = parseBody(FulfilPurchaseOrderBody, raw ?? {});
    return this.commands.send(new FulfilPurchaseOrderCommand({ now: now(), poNumber, keyCodes: freshKeyCodes(MAX_ORDER_LINES), validUntil: body.validUntil }, envelope), res);
  }

  @Post('keys/:keyCode/claim')
  // The key code itself is the secret that entitles its holder to claim it, into an account of the caller's scope.
  @Policy({ roles: PORTAL_WRITERS, targets: [account(body('accountId'))] })
  @ApiCommandResponses('ClaimKey: once, into one account; unzips into as many licenses as the key\'s quantity')
  claim(@Param('keyCode') keyCode: string, @ZodBody(ClaimKeyBody) body: z.infer<typeof ClaimKeyBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new ClaimKeyCommand({ now: now(), keyCode, ...body, licenseIdSeed: newId() }, envelope), res);
  }
}
