import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, type ProjectionRunner, type ProjectionStatus, projectionStatus } from '@ledger/read-models';
import { PROJECTION_RUNNER } from './read-models.tokens';
import { GLOBAL_READERS, Policy } from '../auth/policy';

@ApiTags('read models')
@Controller('v1/projections')
export class ProjectionsController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner | null,
  ) {}

  @Get()
  @Policy({ roles: GLOBAL_READERS })
  @ApiOperation({
    summary: "Each projector's position and lag",
    description:
      'position: global position of the last event applied; lagEvents: committed events not applied yet; lagSeconds: how long the oldest of them has waited; rebuilding: a rebuild in progress. feedHead: the highest position drawn.',
  })
  @ApiOkResponse({ description: 'One entry per read model' })
  async list(): Promise<{ feedHead: number; projections: ProjectionStatus[] }> {
    const [feedHead, projections] = await Promise.all([
      this.store.headPosition(),
      this.runner ? this.runner.status() : projectionStatus(this.store, LEDGER_READ_MODELS),
    ]);
    return { feedHead, projections };
  }
}
