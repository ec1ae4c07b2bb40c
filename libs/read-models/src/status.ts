import type { EventStore } from '@ledger/event-store';
import { readGenerations } from './generations';
import type { ReadModel } from './read-model';

export interface ProjectionStatus {
  projector: string;
  generation: number | null;
  modelVersion: number | null;
  /** Global position of the last event applied (0: none yet). */
  position: number;
  /** Committed events not applied yet (counted up to LAG_COUNT_CAP). */
  lagEvents: number;
  /** How long the oldest event not applied yet has waited, in seconds (0 when caught up). */
  lagSeconds: number;
  eventsApplied: number;
  lastEventAt: string | null;
  updatedAt: string | null;
  /** A rebuild in progress: the generation being built and how far it got. */
  rebuilding: { generation: number; position: number; eventsApplied: number } | null;
  /** Set by a runner in this process: whether it is the active instance, and its last error. */
  activeHere?: boolean;
  error?: string | null;
}

export const LAG_COUNT_CAP = 1_000_000;

/**
 * Lag is measured from the feed (what is committed past the checkpoint),
 * not from counters in the projector, so it is true whichever process runs it.
 */
export async function projectionStatus(store: EventStore, models: readonly ReadModel[]): Promise<ProjectionStatus[]> {
  const generations = await readGenerations(store.sql);
  const lags = await store.sql.query<{ projector: string; lag_events: string | number; waited: string | number | null }>(
    `SELECT g.projector,
            (SELECT count(*) FROM (SELECT 1 FROM ledger_events e
               WHERE (e.epoch, e.tx_id, e.global_position) > (g.epoch, g.tx_id, g.position) LIMIT ${LAG_COUNT_CAP}) pending) AS lag_events,
            extract(epoch FROM clock_timestamp() - (SELECT e.recorded_at FROM ledger_events e
               WHERE (e.epoch, e.tx_id, e.global_position) > (g.epoch, g.tx_id, g.position)
               ORDER BY e.epoch, e.tx_id, e.global_position LIMIT 1))::float8 AS waited
     FROM read_model_generations g WHERE g.status = 'live'`,
  );
  const lagOf = new Map(lags.map((l) => [l.projector, l]));
  return models.map((model) => {
    const live = generations.find((g) => g.projector === model.name && g.status === 'live');
    const building = generations.find((g) => g.projector === model.name && g.status === 'building');
    const lag = lagOf.get(model.name);
    const waited = lag?.waited == null ? 0 : Math.max(0, Number(lag.waited));
    return {
      projector: model.name,
      generation: live?.generation ?? null,
      modelVersion: live?.modelVersion ?? null,
      position: live?.checkpoint.position ?? 0,
      lagEvents: live ? Number(lag?.lag_events ?? 0) : 0,
      lagSeconds: Math.round(waited * 1_000) / 1_000,
      eventsApplied: live?.eventsApplied ?? 0,
      lastEventAt: live?.lastEventAt ?? null,
      updatedAt: live?.updatedAt ?? null,
      rebuilding: building ? { generation: building.generation, position: building.checkpoint.position, eventsApplied: building.eventsApplied } : null,
    };
  });
}

/**
 * Whether every live read model has applied the event at `position` (a
 * position a command answered with, so committed): true when no event at or
 * below it is still past any live checkpoint. Positions are not commit
 * order, so comparing numbers alone would be wrong. Only committed events
 * are visible to that check, so a position not drawn yet (beyond the head)
 * is not reached either.
 */
export async function readModelsReached(store: EventStore, models: readonly ReadModel[], position: number): Promise<boolean> {
  const [row] = await store.sql.query<{ live: string | number; behind: string | number }>(
    `SELECT count(*) FILTER (WHERE coalesce(pg_sequence_last_value(pg_get_serial_sequence('ledger_events', 'global_position')::regclass), 0) >= $2) AS live,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ledger_events e
               WHERE (e.epoch, e.tx_id, e.global_position) > (g.epoch, g.tx_id, g.position) AND e.global_position <= $2)) AS behind
     FROM read_model_generations g WHERE g.status = 'live' AND g.projector = ANY(SELECT jsonb_array_elements_text($1::text::jsonb))`,
    [JSON.stringify(models.map((m) => m.name)), position],
  );
  return Number(row?.live ?? 0) === models.length && Number(row?.behind ?? 0) === 0;
}
