import { Controller, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from './command-sender';
import type { z } from 'zod';
import { AllocateSeatCommand, type CommandEnvelope, LinkAccountsCommand, OpenAccountCommand, SellToEnduserCommand, TransferFromLinkedAccountCommand } from '@ledger/application';
import { CommandContext } from '../http/command-context';
import { ZodBody } from '../http/zod-body';
import { CommandSender, newId, now } from './command-sender';
import { IdParam } from './id-param';
import { AllocateSeatBody, LinkAccountsBody, OpenAccountBody, SellToEnduserBody, TransferBody } from './schemas';
import { ApiCommandResponses } from './responses';
import { account, body, param, PARTNER_WRITERS, Policy, PORTAL_WRITERS } from '../auth/policy';

@ApiTags('accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly commands: CommandSender) {}

  @Post()
  @Policy({ roles: PARTNER_WRITERS, targets: [account(body('parentId'))] })
  @ApiCommandResponses('OpenAccount: a partner or customer account under the vendor or a partner')
  open(@ZodBody(OpenAccountBody) body: z.infer<typeof OpenAccountBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new OpenAccountCommand({ now: now(), accountId: newId(), ...body }, envelope), res);
  }

  @Post(':id/links')
  @Policy({ roles: PARTNER_WRITERS, targets: [account(param()), account(body('accountId'))] })
  @ApiCommandResponses('LinkAccounts: two accounts of the same party (both sides record it)')
  link(@IdParam() id: string, @ZodBody(LinkAccountsBody) body: z.infer<typeof LinkAccountsBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new LinkAccountsCommand({ now: now(), accountId: id, linkedAccountId: body.accountId }, envelope), res);
  }

  @Post(':id/allocations')
  @Policy({ roles: PARTNER_WRITERS, targets: [account(param()), account(body('toAccountId'))] })
  @ApiCommandResponses('AllocateSeat: licenses of one model to one of the account\'s customers (superseded, successors issued)')
  allocate(@IdParam() id: string, @ZodBody(AllocateSeatBody) body: z.infer<typeof AllocateSeatBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new AllocateSeatCommand({ now: now(), fromAccountId: id, ...body, successorSeed: newId() }, envelope), res);
  }

  @Post(':id/sales')
  @Policy({ roles: PARTNER_WRITERS, targets: [account(param()), account(body('buyerId'))] })
  @ApiCommandResponses('SellToEnduser: to one of the seller\'s own customers, never bound or deployed licenses')
  sell(@IdParam() id: string, @ZodBody(SellToEnduserBody) body: z.infer<typeof SellToEnduserBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new SellToEnduserCommand({ now: now(), sellerId: id, ...body, successorSeed: newId() }, envelope), res);
  }

  @Post(':id/transfers')
  // The linked account given may lie outside the scope: only accounts in one scope can be linked (LinkAccounts).
  @Policy({ roles: PORTAL_WRITERS, targets: [account(param())] })
  @ApiCommandResponses('TransferFromLinkedAccount: pulled by this account from a linked one')
  transfer(@IdParam() id: string, @ZodBody(TransferBody) body: z.infer<typeof TransferBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new TransferFromLinkedAccountCommand({ now: now(), accountId: id, ...body, successorSeed: newId() }, envelope), res);
  }
}
