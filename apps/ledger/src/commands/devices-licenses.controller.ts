import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from './command-sender';
import type { z } from 'zod';
import { ExtendMspPortalCommand, BindDeviceCommand, type CommandEnvelope, MoveLicenseCommand, RegisterDeviceCommand, RevokeLicenseCommand } from '@ledger/application';
import { CommandContext } from '../http/command-context';
import { ZodBody, parseBody } from '../http/zod-body';
import { CommandSender, newId, now } from './command-sender';
import { IdParam } from './id-param';
import { ApiCommandResponses } from './responses';
import { BindDeviceBody, MoveLicenseBody, NoBody, RegisterDeviceBody, RevokeLicenseBody } from './schemas';
import { account, body, device, license, param, PARTNER_WRITERS, Policy, PORTAL_WRITERS, VENDOR_WRITERS } from '../auth/policy';

@ApiTags('devices and licenses')
@Controller('v1')
export class DevicesLicensesController {
  constructor(private readonly commands: CommandSender) {}

  @Post('devices')
  @Policy({ roles: PORTAL_WRITERS, targets: [account(body('ownerId'))] })
  @ApiCommandResponses('RegisterDevice: serial numbers are unique (case and spaces ignored)')
  register(@ZodBody(RegisterDeviceBody) body: z.infer<typeof RegisterDeviceBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new RegisterDeviceCommand({ now: now(), deviceId: newId(), ...body }, envelope), res);
  }

  @Post('devices/:id/bindings')
  @Policy({ roles: PORTAL_WRITERS, targets: [device(param()), account(body('fromAccountId')), license(body('licenseId'))] })
  @ApiCommandResponses('BindDevice: one license by ID, or a quantity of a model from an account; a partner binding its own licenses to its customer\'s device hands them on in the same step')
  bind(@IdParam() id: string, @ZodBody(BindDeviceBody) body: z.infer<typeof BindDeviceBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    const source = 'licenseId' in body ? { licenseId: body.licenseId } : { fromAccountId: body.fromAccountId, modelCode: body.modelCode, quantity: body.quantity };
    return this.commands.send(new BindDeviceCommand({ now: now(), deviceId: id, source, channels: body.channels ?? [], successorSeed: newId() }, envelope), res);
  }

  @Post('licenses/:id/move')
  @Policy({ roles: PARTNER_WRITERS, targets: [license(param()), account(body('toAccountId'))] })
  @ApiCommandResponses('MoveLicense: to another organization of the same partner (superseded, successor issued)')
  move(@IdParam() id: string, @ZodBody(MoveLicenseBody) body: z.infer<typeof MoveLicenseBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new MoveLicenseCommand({ now: now(), licenseId: id, toAccountId: body.toAccountId, successorId: newId() }, envelope), res);
  }

  @Post('licenses/:id/revocation')
  @Policy({ roles: VENDOR_WRITERS, vendorOnly: true, targets: [license(param())] })
  @ApiCommandResponses('RevokeLicense: withdrawn wherever it is; revoking again records nothing')
  revoke(@IdParam() id: string, @ZodBody(RevokeLicenseBody) body: z.infer<typeof RevokeLicenseBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new RevokeLicenseCommand({ now: now(), licenseId: id, reason: body.reason }, envelope), res);
  }

  @Post('licenses/:id/msp-portal')
  @Policy({ roles: PORTAL_WRITERS, targets: [license(param())] })
  @ApiCommandResponses('ExtendMspPortal: an msp-portal license extends its owner\'s portal by its term, stacking')
  applyToPortal(@IdParam() id: string, @Body() raw: unknown, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    parseBody(NoBody, raw ?? {});
    return this.commands.send(new ExtendMspPortalCommand({ now: now(), licenseId: id }, envelope), res);
  }
}
