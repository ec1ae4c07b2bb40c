import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type CommandOutcomeLabel = 'ok' | 'replayed' | 'refused' | 'error';

/**
 * The ledger's Prometheus metrics, in a registry of this app instance (tests
 * run several apps in one process; the global default registry would mix them).
 */
@Injectable()
export class LedgerMetrics {
  readonly registry = new Registry();

  readonly commands = new Counter({
    name: 'ledger_commands_total',
    help: 'Commands handled, by command, outcome (ok, replayed, refused, error) and error code',
    labelNames: ['command', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  readonly commandSeconds = new Histogram({
    name: 'ledger_command_duration_seconds',
    help: 'Time to handle a command, from dispatch to answer',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly accessRefusals = new Counter({
    name: 'ledger_access_refusals_total',
    help: 'Requests the access guard refused, by status (401, 403, 404 outside the scope, 429) and code',
    labelNames: ['status', 'code'] as const,
    registers: [this.registry],
  });

  readonly appends = new Counter({
    name: 'ledger_appends_total',
    help: 'Atomic appends to the event store (commands that recorded events)',
    labelNames: ['command'] as const,
    registers: [this.registry],
  });

  readonly projectionDelay = new Histogram({
    name: 'ledger_projection_delay_seconds',
    help: 'Time from an event being recorded to its batch committing in a read model (projectors in this process)',
    labelNames: ['projector'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly projectedEvents = new Counter({
    name: 'ledger_projected_events_total',
    help: 'Events applied by projectors in this process',
    labelNames: ['projector'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  recordCommand(command: string, outcome: CommandOutcomeLabel, seconds: number, code = ''): void {
    this.commands.inc({ command, outcome, code });
    this.commandSeconds.observe({ command, outcome }, seconds);
    if (outcome === 'ok') this.appends.inc({ command });
  }

  /** Refusals never reach a command's own metrics: guessed keys and probing of other tenants show here. */
  recordAccessRefusal(status: number, code: string): void {
    this.accessRefusals.inc({ status: String(status), code });
  }

  recordBatch(projector: string, delaysMs: readonly number[]): void {
    this.projectedEvents.inc({ projector }, delaysMs.length);
    for (const ms of delaysMs) this.projectionDelay.observe({ projector }, Math.max(0, ms) / 1_000);
  }
}
