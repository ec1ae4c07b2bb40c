import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import type { Command } from '@nestjs/cqrs';
import { CommandBus } from '@nestjs/cqrs';

import type { CommandEnvelope, CommandOutcome } from '@ledger/application';
import { canonicalJson, type JsonValue, uuidv7 } from '@ledger/event-store';
import { KEY_ALPHABET, KEY_PAYLOAD_LENGTH, formatKeyCode } from '@ledger/licensing';
import { readCommandContext } from '../http/command-context';

/**
 * The envelope of a command from its request: ids and actor from the headers
 * (see CommandContext), and a fingerprint of what was asked (method, path,
 * body) so that an idempotency key reused for another request is refused.
 */
export const Envelope = createParamDecorator((_data: unknown, ctx: ExecutionContext): CommandEnvelope => {
  const req = ctx.switchToHttp().getRequest<{ headers: IncomingHttpHeaders; id?: unknown; method: string; originalUrl: string; body?: unknown }>();
  const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
  const { commandId, actor, correlationId } = readCommandContext(req.headers, requestId);
  const path = req.originalUrl.split('?')[0];
  const body = req.body === undefined ? '' : stableJson(req.body);
  const fingerprint = createHash('sha256').update(`${req.method} ${path}\n${body}`).digest('base64url');
  return { commandId, actor, correlationId, fingerprint };
});

/**
 * The body in a stable form, for the fingerprint only. A body canonical JSON
 * refuses (a lone surrogate) is the body validation's to refuse, with its
 * pointer: the fingerprint then takes it as it came.
 */
function stableJson(body: unknown): string {
  try {
    return canonicalJson(body as JsonValue);
  } catch {
    return JSON.stringify(body);
  }
}

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
  constructor(private readonly bus: CommandBus) {}

  /**
   * Dispatches a command and shapes its answer: the result, plus the global
   * position of the last event written (for read-your-writes). A replay of
   * an earlier command says so in the Idempotent-Replayed header.
   */
  async send<R extends object>(command: Command<CommandOutcome<R>>, res: HttpResponse): Promise<R & { position: number | null }> {
    const outcome = await this.bus.execute(command);
    if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return { ...outcome.result, position: outcome.position };
  }
}
