import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Gauge } from 'prom-client';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, projectionStatus } from '@ledger/read-models';
import { LedgerMetrics } from './ledger-metrics';
import { Public } from '../auth/policy';

/** Prometheus text format. Feed and projector gauges are read from the database at scrape time, so they are true whichever process runs the projectors. */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: LedgerMetrics,
    @Inject(EVENT_STORE) store: EventStore,
  ) {
    const registers = [metrics.registry];
    new Gauge({
      name: 'ledger_feed_head_position',
      help: 'Highest global position drawn by the event store',
      registers,
      collect: async function (this: Gauge) {
        this.set(await store.headPosition());
      },
    });
    const status = () => projectionStatus(store, LEDGER_READ_MODELS);
    let pending: ReturnType<typeof status> | null = null;
    // One status query per scrape serves the three projector gauges.
    const once = () => (pending ??= status().finally(() => setTimeout(() => (pending = null), 0)));
    const projectorGauge = (name: string, help: string, value: (s: Awaited<ReturnType<typeof status>>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['projector'],
        registers,
        collect: async function (this: Gauge) {
          for (const s of await once()) this.set({ projector: s.projector }, value(s));
        },
      });
    projectorGauge('ledger_projector_position', 'Global position of the last event a read model applied', (s) => s.position);
    projectorGauge('ledger_projector_lag_events', 'Committed events a read model has not applied yet', (s) => s.lagEvents);
    projectorGauge('ledger_projector_lag_seconds', 'How long the oldest event a read model has not applied yet has waited', (s) => s.lagSeconds);
  }

  @Get()
  @Public('Prometheus scrapes it; counts only, no tenant data (keep it on the internal network)')
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Commands by type with latency and outcome, appends, feed head, projector positions and lag.' })
  @ApiOkResponse({ description: 'text/plain; version=0.0.4' })
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: { setHeader(n: string, v: string): void; end(body: string): void }): Promise<void> {
    const body = await this.metrics.registry.metrics();
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.end(body);
  }
}
