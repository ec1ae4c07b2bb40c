import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { EventStore } from '@ledger/event-store';
import { EVENT_STORE } from '../store/event-store.module';
import { Public } from '../auth/policy';

class StoreHealthDto {
  @ApiProperty({ enum: ['postgres', 'pglite'] }) backend!: string;
  @ApiProperty() reachable!: boolean;
  @ApiProperty({ description: 'Round trip of a trivial query, in milliseconds' }) latencyMs!: number;
  @ApiProperty({ required: false, description: 'Why the store did not answer' }) error?: string;
}

class HealthDto {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status!: 'ok' | 'unavailable';
  @ApiProperty({ description: 'Seconds since this process started' }) uptimeSeconds!: number;
  @ApiProperty({ type: StoreHealthDto }) store!: StoreHealthDto;
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @Public('load balancers and orchestrators probe it without credentials; it reveals nothing of the ledger')
  @ApiOperation({ summary: "Liveness and the event store's reachability", description: '503 when the store does not answer within 2 s.' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto })
  async health(): Promise<HealthDto> {
    const h = await this.store.health();
    const body: HealthDto = {
      status: h.ok ? 'ok' : 'unavailable',
      uptimeSeconds: Math.round(process.uptime()),
      store: { backend: h.backend, reachable: h.ok, latencyMs: h.latencyMs, ...(h.error ? { error: h.error } : {}) },
    };
    if (!h.ok) throw new ServiceUnavailableException(body);
    return body;
  }
}
