import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE } from '@ledger/application';
import type { EventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, type ProjectionRunner, projectionStatus, readModelsReached } from '@ledger/read-models';
import type { LedgerConfig } from '../config/ledger.config';
import { ReadModelsBehindError } from '../http/request-errors';
import { PROJECTION_RUNNER, READ_MODELS_CONFIG } from './read-models.tokens';

/**
 * Read-your-writes: a query given the position a command answered with waits
 * until every read model has applied that event, up to READ_WAIT_TIMEOUT_MS,
 * then answers 503 with where the read models are.
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner | null,
    @Inject(READ_MODELS_CONFIG) private readonly config: LedgerConfig['readModels'],
  ) {}

  async waitFor(minPosition: number | undefined): Promise<void> {
    if (minPosition === undefined || minPosition <= 0) return;
    const deadline = Date.now() + this.config.readWaitTimeoutMs;
    let pause = 5;
    for (;;) {
      if (await readModelsReached(this.store, LEDGER_READ_MODELS, minPosition)) return;
      const left = deadline - Date.now();
      if (left <= 0) break;
      // Re-check as soon as a projector here commits a batch, or after a short pause (projectors in another process).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(pause, left));
        const off = this.runner?.onProgress(done);
        function done() {
          clearTimeout(timer);
          off?.();
          resolve();
        }
      });
      pause = Math.min(pause * 2, 100);
    }
    const status = await projectionStatus(this.store, LEDGER_READ_MODELS);
    throw new ReadModelsBehindError(minPosition, this.config.readWaitTimeoutMs, Object.fromEntries(status.map((s) => [s.projector, s.position])));
  }
}
