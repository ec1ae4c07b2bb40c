import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from './command-sender';
import type { z } from 'zod';
import { type CommandEnvelope, CreateDeploymentCommand, InstallDeploymentCommand, RenewMaintenanceCommand, UninstallPermanentCommand } from '@ledger/application';
import type { JsonObject } from '@ledger/event-store';
import type { LicenseFileContent } from '@ledger/licensing';
import { CommandContext } from '../http/command-context';
import { ZodBody, parseBody } from '../http/zod-body';
import { LicenseSigner } from '../signing/license-signer';
import { CommandSender, newId, now } from './command-sender';
import { IdParam } from './id-param';
import { ApiCommandResponses } from './responses';
import { CreateDeploymentBody, NoBody, RenewMaintenanceBody } from './schemas';
import { account, body, deployment, param, Policy, PORTAL_WRITERS } from '../auth/policy';

@ApiTags('deployments')
@Controller('v1/deployments')
export class DeploymentsController {
  constructor(
    private readonly commands: CommandSender,
    private readonly signer: LicenseSigner,
  ) {}

  @Post()
  @Policy({ roles: PORTAL_WRITERS, targets: [account(body('creatorId')), account(body('ownerId'))] })
  @ApiCommandResponses('CreateDeployment: licenses for one server; an owner who is the creator\'s end user buys them')
  create(@ZodBody(CreateDeploymentBody) body: z.infer<typeof CreateDeploymentBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.commands.send(new CreateDeploymentCommand({ now: now(), deploymentId: newId(), ...body, successorSeed: newId() }, envelope), res);
  }

  @Post(':id/installation')
  @Policy({ roles: PORTAL_WRITERS, targets: [deployment(param())] })
  @ApiCommandResponses('InstallDeployment: the license file, signed with Ed25519 (public key at GET /v1/signing-key)')
  async install(@IdParam() id: string, @Body() raw: unknown, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    parseBody(NoBody, raw ?? {});
    return this.signed(await this.commands.send(new InstallDeploymentCommand({ now: now(), deploymentId: id }, envelope), res));
  }

  @Post(':id/maintenance')
  @Policy({ roles: PORTAL_WRITERS, targets: [deployment(param())] })
  @ApiCommandResponses('RenewMaintenance: a new license file with the new maintenance date')
  async renew(@IdParam() id: string, @ZodBody(RenewMaintenanceBody) body: z.infer<typeof RenewMaintenanceBody>, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    return this.signed(await this.commands.send(new RenewMaintenanceCommand({ now: now(), deploymentId: id, until: body.until }, envelope), res));
  }

  @Post(':id/uninstallation')
  @Policy({ roles: PORTAL_WRITERS, targets: [deployment(param())] })
  @ApiCommandResponses('UninstallPermanent: for good; its licenses can never be installed again')
  uninstall(@IdParam() id: string, @Body() raw: unknown, @CommandContext() envelope: CommandEnvelope, @Res({ passthrough: true }) res: Response) {
    parseBody(NoBody, raw ?? {});
    return this.commands.send(new UninstallPermanentCommand({ now: now(), deploymentId: id }, envelope), res);
  }

  // Ed25519 signatures are deterministic: signing the same content again (a replay) gives the same file.
  private signed({ position, ...content }: LicenseFileContent & { position: number | null }) {
    return { deploymentId: content.deploymentId, maintenanceUntil: content.maintenanceUntil, fileNo: content.fileNo, file: this.signer.sign(content as unknown as JsonObject), position };
  }
}
