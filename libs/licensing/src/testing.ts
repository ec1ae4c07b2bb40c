import type { Decider, Emitted } from './decision';
import { DomainError, type DomainErrorCode } from './errors';
import { KnownFacts } from './facts';

/**
 * Given/when/then for deciders: given the events already in the ledger, when
 * a command is decided, then these events (or this refusal). The facts are
 * complete: a stream not given does not exist.
 */
export function given(events: readonly Emitted[] = []) {
  return {
    when<C, R>(decider: Decider<C, R>, command: C) {
      const decide = () => decider.decide(command, KnownFacts.given(events));
      return {
        /** The decision itself, for assertions on its result. */
        decision: () => decide(),
        then(expected: readonly Emitted[]) {
          expect(decide().events).toEqual(expected);
        },
        thenNothing() {
          expect(decide().events).toEqual([]);
        },
        thenRefused(code: DomainErrorCode, details?: Record<string, unknown>) {
          let caught: unknown;
          try {
            decide();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DomainError);
          expect((caught as DomainError).code).toBe(code);
          if (details) expect((caught as DomainError).details).toMatchObject(details);
          return caught as DomainError;
        },
      };
    },
  };
}
