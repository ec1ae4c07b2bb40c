import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type Command, CommandBus } from '@nestjs/cqrs';
import { ApplicationError, type CommandOutcome } from '@ledger/application';
import { uuidv7 } from '@ledger/event-store';
import { DomainError, KEY_ALPHABET, KEY_PAYLOAD_LENGTH, formatKeyCode } from '@ledger/licensing';
import { LedgerMetrics } from '../metrics/ledger-metrics';

/** The time a command is decided at: it enters the domain as data, so a replay decides the same. */
export function now(): string {
  return new Date().toISOString();
}

/** A new id for something a command creates (UUIDv7: sorts by creation time). */
export function newId(): string {
  return uuidv7();
}

/**
 * Fresh key codes: 19 symbols from a secure random source (a byte modulo 32
 * is uniform) and a check symbol. Key codes are secrets a customer types.
 */
export function freshKeyCodes(count: number): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(KEY_PAYLOAD_LENGTH);
    return formatKeyCode([...bytes].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join(''));
  });
}

/** The part of the HTTP response a command route touches. */
export interface HttpResponse {
  setHeader(name: string, value: string): unknown;
}

@Injectable()
export class CommandSender {
  constructor(
    private readonly bus: CommandBus,
    private readonly metrics: LedgerMetrics,
  ) {}

  /**
   * Dispatches a command and shapes its answer: the result, plus the global
   * position of the last event written (for read-your-writes). A replay of
   * an earlier command says so in the Idempotent-Replayed header.
   */
  async send<R extends object>(command: Command<CommandOutcome<R>>, res: HttpResponse): Promise<R & { position: number | null }> {
    const name = command.constructor.name.replace(/Command$/, '');
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1_000;
    let outcome: CommandOutcome<R>;
    try {
      outcome = await this.bus.execute(command);
    } catch (error) {
      // A refusal has a stable code (domain or application); anything else is a failure.
      const code = error instanceof DomainError || error instanceof ApplicationError ? error.code : '';
      this.metrics.recordCommand(name, code ? 'refused' : 'error', seconds(), code);
      throw error;
    }
    this.metrics.recordCommand(name, outcome.replayed ? 'replayed' : 'ok', seconds());
    if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return { ...outcome.result, position: outcome.position };
  }
}
