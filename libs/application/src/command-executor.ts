import { type AppendResult, type EventStore, type SqlExecutor, type EventStoreSession, type JsonObject, type JsonValue, type StreamAppend, WrongExpectedVersionError } from '@ledger/event-store';
import { type Decider, type Decision, type Emitted, KnownFacts, type LedgerEvent, NeedsData, StalePick, streamKind } from '@ledger/licensing';
import { ApplicationError } from './errors';
import { loadPick, updateIndex } from './license-index';

/** Who asks, and under which idempotency key; every event records it. */
export interface CommandEnvelope {
  /** The Idempotency-Key: a second command with it returns the first outcome and writes nothing. */
  commandId: string;
  /** The authenticated principal (e.g. `key:ab12cd34ef56`), or `system` for the ledger's own commands. */
  actor: string;
  /** The account acted for, when the principal acts for an account below its own (a partner for its customer). */
  onBehalfOf?: string;
  correlationId: string;
  causationId?: string;
  /**
   * What the caller asked, in a stable form (e.g. a digest of method, path
   * and body): an idempotency key reused for a different request is refused
   * instead of silently answering the other request's outcome.
   */
  fingerprint?: string;
}

/**
 * Rows the application keeps beside the events and must commit or roll back
 * with them, though they are not facts for the ledger to publish (a
 * credential's digest). Runs in the command's transaction, only when the
 * decision writes events.
 */
export type AlsoWrite<Result> = (sql: SqlExecutor, decision: Decision<Result>) => Promise<void>;

export interface CommandOutcome<Result> {
  result: Result;
  /** Global position of the last event written (null when the outcome already held and nothing was written). */
  position: number | null;
  /** True when this is the stored outcome of an earlier command with the same id. */
  replayed: boolean;
  commandId: string;
}

export interface CommandExecutorOptions {
  /** Attempts on a version conflict before giving up (decide is pure, so re-running it is safe). */
  maxAttempts?: number;
  /** Rounds of lazy loading one decision may take (each is one round trip). */
  maxLoadRounds?: number;
}

interface StoredOutcome {
  fingerprint: string | null;
  result: JsonValue;
}

/**
 * The one write path: read the streams a decider asks for, fold them, decide,
 * append every event with the versions read (streams read but not written
 * are version-checked too), and update the write-side index in the same
 * transaction. Handlers call this and nothing else.
 */
export class CommandExecutor {
  private readonly maxAttempts: number;
  private readonly maxLoadRounds: number;

  constructor(
    private readonly store: EventStore,
    options: CommandExecutorOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.maxLoadRounds = options.maxLoadRounds ?? 16;
  }

  async execute<C, R>(decider: Decider<C, R>, command: C, envelope: CommandEnvelope, alsoWrite?: AlsoWrite<R>): Promise<CommandOutcome<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(decider, command, envelope, alsoWrite);
      } catch (error) {
        if (error instanceof AlreadyDone) return replay<R>(error.earlier, envelope);
        const lostRace = error instanceof WrongExpectedVersionError || error instanceof StalePick || isDeadlock(error);
        if (!lostRace) throw error;
        if (attempt >= this.maxAttempts)
          throw new ApplicationError('CONCURRENCY_RETRIES_EXHAUSTED', 'conflict', `${decider.name} lost ${attempt} races for the same licenses or devices; retry later`, { attempts: attempt });
        // Jittered, growing pause so that racers do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt));
      }
    }
  }

  /**
   * Reads need no transaction: the append expects every stream at the version
   * read, so anything that changed in between fails it and the command runs
   * again. Only picks from the index lock rows (FOR UPDATE SKIP LOCKED) and so
   * must run in the transaction that writes; a decider that picks is run
   * again inside one. The append and the index update go out together
   * (pipelined) in one short transaction.
   */
  private async attempt<C, R>(decider: Decider<C, R>, command: C, envelope: CommandEnvelope, alsoWrite?: AlsoWrite<R>): Promise<CommandOutcome<R>> {
    const facts = KnownFacts.lazy();
    let decision: Decision<R>;
    try {
      decision = await this.decide(this.store, decider, command, facts, false);
    } catch (error) {
      if (error instanceof PicksNeedTransaction)
        return this.store.transaction(async (session) => {
          const inTransaction = KnownFacts.lazy();
          return this.write(session, inTransaction, await this.decideOrReplay(session, decider, command, inTransaction, envelope), envelope, alsoWrite);
        });
      throw await this.refusalOrReplay(this.store, error, envelope);
    }
    return this.store.transaction((session) => this.write(session, facts, decision, envelope, alsoWrite));
  }

  private async decideOrReplay<C, R>(session: EventStoreSession, decider: Decider<C, R>, command: C, facts: KnownFacts, envelope: CommandEnvelope): Promise<Decision<R>> {
    try {
      return await this.decide(session, decider, command, facts, true);
    } catch (error) {
      throw await this.refusalOrReplay(session, error, envelope);
    }
  }

  /**
   * The command id is only looked up when needed: a retry of a command that
   * went through may now be refused (the key is claimed), yet must get the
   * first answer. A new command pays nothing; a successful retry is caught by
   * the append itself (duplicate).
   */
  private async refusalOrReplay(session: EventStoreSession, error: unknown, envelope: CommandEnvelope): Promise<unknown> {
    if (error instanceof WrongExpectedVersionError || error instanceof StalePick) return error;
    const earlier = await session.findCommand(envelope.commandId);
    return earlier ? new AlreadyDone(earlier) : error;
  }

  private async write<R>(session: EventStoreSession, facts: KnownFacts, decision: Decision<R>, envelope: CommandEnvelope, alsoWrite?: AlsoWrite<R>): Promise<CommandOutcome<R>> {
    const stored: StoredOutcome = { fingerprint: envelope.fingerprint ?? null, result: decision.result as JsonValue };
    // Sent together (pipelined), the index rows first: a writer that picked licenses
    // holds their index rows, then locks their streams; taking the index rows first
    // here too keeps one lock order for all, so two commands never deadlock.
    const [indexed, appended, also] = await Promise.allSettled([
      updateIndex(session.sql, facts.statesBefore(decision.events), facts.statesAfter(decision.events)),
      session.append(appendsFor(facts, decision.events), {
        commandId: envelope.commandId,
        actor: envelope.actor,
        correlationId: envelope.correlationId,
        ...(envelope.causationId ? { causationId: envelope.causationId } : {}),
        ...(envelope.onBehalfOf ? { onBehalfOf: envelope.onBehalfOf } : {}),
        result: stored as unknown as JsonObject,
      }),
      alsoWrite && decision.events.length > 0 ? alsoWrite(session.sql, decision) : Promise.resolve(),
    ]);
    // Whichever failed first is the cause: the later one then fails only because the transaction did.
    if (indexed.status === 'rejected') throw indexed.reason;
    if (appended.status === 'rejected') throw appended.reason;
    if (also.status === 'rejected') throw also.reason;
    // Thrown, not returned: the index update must roll back with the append that wrote nothing.
    if (appended.value.duplicate) throw new AlreadyDone(appended.value);
    return { result: decision.result, position: appended.value.lastPosition, replayed: false, commandId: envelope.commandId };
  }

  private async decide<C, R>(session: EventStoreSession, decider: Decider<C, R>, command: C, facts: KnownFacts, inTransaction: boolean): Promise<Decision<R>> {
    for (let round = 0; ; round++) {
      try {
        return decider.decide(command, facts);
      } catch (error) {
        if (!(error instanceof NeedsData)) throw error;
        if (!inTransaction && error.refs.some((ref) => ref.kind === 'available')) throw new PicksNeedTransaction();
        if (round >= this.maxLoadRounds) throw new Error(`${decider.name} asked for data more than ${this.maxLoadRounds} times`);
        await Promise.all(
          error.refs.map(async (ref) => {
            if (ref.kind !== 'stream') return loadPick(session.sql, facts, ref);
            const read = await session.readStream(ref.streamId);
            facts.loadStream(ref.streamId, read.version, read.events as unknown as LedgerEvent[]);
          }),
        );
      }
    }
  }
}

/**
 * PostgreSQL broke a lock cycle by failing this transaction (40P01). The lock
 * order above should prevent it; should another path close a cycle anyway,
 * the victim starts over like any loser of a race.
 */
function isDeadlock(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '40P01';
}

/** The command id was used before: its stored outcome is the answer. */
class AlreadyDone {
  constructor(readonly earlier: AppendResult) {}
}

class PicksNeedTransaction {}

/** Every stream read is appended to with the version read (no events: only checked); new streams must not exist. */
function appendsFor(facts: KnownFacts, events: readonly Emitted[]): StreamAppend[] {
  const byStream = new Map<string, StreamAppend & { events: { type: string; data: JsonObject }[] }>();
  for (const { streamId, version } of facts.versions())
    byStream.set(streamId, { streamId, streamType: streamKind(streamId), expectedVersion: version === 0 ? 'no_stream' : version, events: [] });
  for (const [streamId, event] of events) {
    let target = byStream.get(streamId);
    if (!target) {
      target = { streamId, streamType: streamKind(streamId), expectedVersion: 'no_stream', events: [] };
      byStream.set(streamId, target);
    }
    target.events.push({ type: event.type, data: event.data as unknown as JsonObject });
  }
  return [...byStream.values()];
}

function replay<R>(earlier: AppendResult, envelope: CommandEnvelope): CommandOutcome<R> {
  const stored = earlier.result as unknown as StoredOutcome | null;
  if (envelope.fingerprint && stored?.fingerprint && stored.fingerprint !== envelope.fingerprint)
    throw new ApplicationError('IDEMPOTENCY_KEY_REUSED', 'rule', `idempotency key ${envelope.commandId} was already used for a different request`, { commandId: envelope.commandId });
  return { result: (stored?.result ?? null) as R, position: earlier.lastPosition, replayed: true, commandId: envelope.commandId };
}
