/**
 * The portal's commands over HTTP for end-to-end suites: post, expect 201 or
 * a given problem, and the fixtures every flow starts from (accounts, models,
 * orders, claimed licenses, devices). Every answer is kept, so a suite can
 * check that none was a 5xx; the highest position answered is kept for
 * read-your-writes.
 */
import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { DEFAULT_VENDOR } from '../apps/ledger/src/config/ledger.config';
import type { TestLedger } from './app';

export const VENDOR = DEFAULT_VENDOR.accountId;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A response body: JSON, checked by the assertions. */
export type Json = any;

export interface CommandHeaders {
  /** The API key to send (the ledger's admin key when not given). */
  as?: string;
  /** Idempotency-Key, when given. */
  key?: string;
  /** X-Correlation-Id, when given. */
  correlationId?: string;
}

export interface Answer {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** A random suffix for names, codes and serials: every test has data of its own. */
export function sfx(): string {
  return randomBytes(5).toString('hex');
}

export interface ModelTermsInput {
  bindsTo: string;
  category: string;
  termDays: number | null;
  deviceModels?: string[];
  seats?: number;
}

export interface OrderLineInput {
  modelCode: string;
  quantity: number;
  forcedActivationDate?: string;
}

/** Methods are arrow functions: a suite may take them apart (`const { ok } = kit`). */
export class PortalKit {
  answers: Answer[] = [];
  /** The highest position a command answered with since the last reset. */
  position = 0;

  constructor(private readonly ledger: () => TestLedger) {}

  reset = (): void => {
    this.answers = [];
    this.position = 0;
  };

  http = (key?: string) => this.ledger().http(key);

  /** Keeps an answer sent some other way, for the no-5xx check. */
  record = (answer: Answer): void => {
    this.answers.push(answer);
  };

  post = async (path: string, body?: object, headers: CommandHeaders = {}): Promise<Response> => {
    let req = this.http(headers.as).post(path);
    if (headers.key !== undefined) req = req.set('Idempotency-Key', headers.key);
    if (headers.correlationId !== undefined) req = req.set('X-Correlation-Id', headers.correlationId);
    const res = body === undefined ? await req : await req.send(body);
    this.record({ method: 'POST', path, status: res.status, body: res.body });
    return res;
  };

  /** A command that must succeed: 201, and the result with its position. */
  ok = async (path: string, body?: object, headers: CommandHeaders = {}): Promise<Json> => {
    const res = await this.post(path, body, headers);
    if (res.status !== 201) throw new Error(`POST ${path} ${JSON.stringify(body)}: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.body.position === null || Number.isSafeInteger(res.body.position)).toBe(true);
    if (res.body.position !== null) this.position = Math.max(this.position, res.body.position);
    return res.body;
  };

  /** A command that must be refused with this status and code, as an RFC 9457 problem. */
  refused = async (path: string, body: object | undefined, status: number, code: string, headers: CommandHeaders = {}): Promise<Json> => {
    const res = await this.post(path, body, headers);
    if (res.status !== status || res.body?.code !== code)
      throw new Error(`POST ${path} ${JSON.stringify(body)}: expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: `urn:ledger:problem:${code.toLowerCase().replaceAll('_', '-')}`,
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: path.split('?')[0],
      code,
    });
    return res.body;
  };

  get = async (path: string, query: Record<string, string | number | undefined> = {}, as?: string): Promise<Response> => {
    const params = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const res = await this.http(as).get(path).query(params);
    this.record({ method: 'GET', path, status: res.status, body: res.body });
    return res;
  };

  openAccount = async (kind: 'partner' | 'customer', parentId: string = VENDOR, name = `${kind} ${sfx()}`): Promise<string> => {
    const { accountId } = await this.ok('/v1/accounts', { kind, name, parentId, emails: [`${kind}-${sfx()}@example.com`] });
    expect(accountId).toMatch(UUID);
    return accountId;
  };

  defineModel = async (terms: ModelTermsInput): Promise<string> => {
    const code = `${terms.category.toUpperCase()}-${terms.bindsTo.toUpperCase()}-${sfx()}`;
    await this.ok('/v1/license-models', { code, name: `Model ${code}`, ...terms });
    return code;
  };

  placeOrder = async (buyerId: string, lines: OrderLineInput[]): Promise<{ poNumber: string; keys: Json[] }> => {
    const poNumber = `PO-${sfx()}`;
    await this.ok('/v1/purchase-orders', { poNumber, buyerId, deliveryEmails: ['licensing@example.com'], lines });
    const { keys } = await this.ok(`/v1/purchase-orders/${poNumber}/fulfilment`, {});
    return { poNumber, keys };
  };

  keyFor = async (buyerId: string, modelCode: string, quantity: number, forcedActivationDate?: string): Promise<string> =>
    (await this.placeOrder(buyerId, [{ modelCode, quantity, ...(forcedActivationDate ? { forcedActivationDate } : {}) }])).keys[0].keyCode;

  /** `quantity` fresh licenses of a model in an account: a PO, its key, claimed. */
  licensesFor = async (accountId: string, modelCode: string, quantity: number, forcedActivationDate?: string): Promise<string[]> => {
    const claim = await this.ok(`/v1/keys/${await this.keyFor(accountId, modelCode, quantity, forcedActivationDate)}/claim`, { accountId });
    expect(claim.licenseIds).toHaveLength(quantity);
    return claim.licenseIds;
  };

  /** A fresh API key of a role for an account (POST /v1/api-keys as the admin, or as `as`). */
  apiKey = async (role: string, accountId: string, extra: { deviceId?: string; serverId?: string; expiresAt?: string } = {}, as?: string): Promise<{ key: string; keyId: string }> => {
    const body = await this.ok('/v1/api-keys', { accountId, role, name: `${role} ${sfx()}`, ...extra }, as !== undefined ? { as } : {});
    expect(body.key).toMatch(/^ldg_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
    return { key: body.key, keyId: body.keyId };
  };

  registerDevice = async (ownerId: string, model: string, channels = 0, serial = `SN-${sfx()}`): Promise<string> => {
    const { deviceId } = await this.ok('/v1/devices', { ownerId, serial, model, channels });
    expect(deviceId).toMatch(UUID);
    return deviceId;
  };
}
