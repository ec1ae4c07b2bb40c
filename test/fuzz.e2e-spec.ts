/**
 * Property-based fuzzing (fast-check) of every route the app serves: command
 * bodies (any JSON, valid ones with one field made hostile, raw text), path
 * parameters and query strings, with SQL and JSON injection strings among the
 * values. Whatever is sent: never a 5xx; a 4xx is an RFC 9457 problem with a
 * code and wrote nothing (no event, stream, command result, API key or key
 * revocation); a GET never writes; no answer shows SQL or a stack trace.
 *
 * The routes come from the app (RoutePolicies.table()): a route without a
 * fuzz entry below fails the suite with its name, so a new route gets fuzzed.
 * Requests go one at a time: a command that legitimately succeeds (a
 * valid-shaped body may) cannot be mistaken for a refused one that wrote.
 * fast-check prints the seed and the shrunk counterexample of a failure.
 */
import { DiscoveryService } from '@nestjs/core';
import fc from 'fast-check';
import { type RouteEntry, RoutePolicies } from '../apps/ledger/src/auth/route-policies';
import { startTestLedger, type TestLedger } from './app';
import { BACKENDS } from './backends';
import {
  anyJson,
  checkExchange,
  encodeSegment,
  jsonText,
  nastyKey,
  nastyString,
  nastyValue,
  pathsOf,
  queryString,
  RAW_BODIES,
  RAW_QUERY_PARTS,
  send,
  snapshot,
  type CheckOptions,
  type SentRequest,
  type StoreSnapshot,
  unknownUuid,
  withAddedAt,
  withValueAt,
} from './fuzz-kit';
import { PortalKit, sfx } from './portal-kit';

/** Runs per route and category; FUZZ_RUNS scales them (e.g. FUZZ_RUNS=200 for a long night). */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 30);
const runs = (factor: number) => Math.max(1, Math.round(RUNS * factor));
/** Each category loops over every route: minutes, not the usual 60 s. */
const CATEGORY_TIMEOUT_MS = 300_000;
const FAR = '2099-01-01T00:00:00Z';

/** The small real world the valid bodies and path parameters name. */
interface World {
  partner: string;
  customer: string;
  otherCustomer: string;
  sister: string;
  deviceModel: string;
  serverModel: string;
  mspModel: string;
  /** Licenses of the partner, one per route that acts on one (so one route's success does not starve another). */
  license: Record<'sale' | 'move' | 'revoke' | 'read', string>;
  sisterLicense: string;
  mspLicense: string;
  unclaimedKey: string;
  openPo: string;
  device: string;
  deployment: string;
  deploymentToUninstall: string;
  keyId: string;
  partnerKey: string;
}

interface FuzzEntry {
  /** A real value for each path parameter. */
  params?: Record<string, (w: World) => string>;
  /** Commands: a body the route accepts, the base of the almost-valid bodies. */
  body?: (w: World) => unknown;
  /** GET: the query parameters the route reads (those its OpenAPI metadata declares are added). */
  query?: string[];
  /** GET: valid values of the parameters the route requires. */
  required?: (w: World) => Record<string, string>;
}

const partnerId = { id: (w: World) => w.partner };

/** One entry per route of the app. A route missing here fails the suite. */
const ROUTES: Record<string, FuzzEntry> = {
  // commands
  'POST /v1/accounts': { body: (w) => ({ kind: 'customer', name: 'Fuzz customer', parentId: w.partner, emails: ['fuzz@example.com'] }) },
  'POST /v1/accounts/:id/links': { params: partnerId, body: (w) => ({ accountId: w.sister }) },
  'POST /v1/accounts/:id/allocations': { params: partnerId, body: (w) => ({ toAccountId: w.customer, modelCode: w.deviceModel, quantity: 1 }) },
  'POST /v1/accounts/:id/sales': {
    params: partnerId,
    body: (w) => ({ buyerId: w.customer, lines: [{ modelCode: w.deviceModel, quantity: 1 }, { licenseId: w.license.sale }] }),
  },
  'POST /v1/accounts/:id/transfers': { params: partnerId, body: (w) => ({ fromAccountId: w.sister, lines: [{ licenseId: w.sisterLicense }] }) },
  'POST /v1/license-models': {
    body: () => ({ code: `FUZZ-${sfx()}`, name: 'Fuzz model', category: 'pro', bindsTo: 'device', termDays: 365, seats: 1, deviceModels: ['AP-1'] }),
  },
  'POST /v1/purchase-orders': {
    body: (w) => ({ poNumber: `PO-FUZZ-${sfx()}`, buyerId: w.partner, deliveryEmails: ['po@example.com'], lines: [{ modelCode: w.deviceModel, quantity: 1, forcedActivationDate: null }] }),
  },
  'POST /v1/purchase-orders/:poNumber/fulfilment': { params: { poNumber: (w) => w.openPo }, body: () => ({ validUntil: FAR }) },
  'POST /v1/keys/:keyCode/claim': { params: { keyCode: (w) => w.unclaimedKey }, body: (w) => ({ accountId: w.partner, autoAssociate: false }) },
  'POST /v1/devices': { body: (w) => ({ ownerId: w.customer, serial: `SN-FUZZ-${sfx()}`, model: 'AP-1', channels: 0 }) },
  'POST /v1/devices/:id/bindings': { params: { id: (w) => w.device }, body: (w) => ({ fromAccountId: w.partner, modelCode: w.deviceModel, quantity: 1 }) },
  'POST /v1/licenses/:id/move': { params: { id: (w) => w.license.move }, body: (w) => ({ toAccountId: w.otherCustomer }) },
  'POST /v1/licenses/:id/revocation': { params: { id: (w) => w.license.revoke }, body: () => ({ reason: 'fuzz' }) },
  'POST /v1/licenses/:id/msp-portal': { params: { id: (w) => w.mspLicense }, body: () => ({}) },
  'POST /v1/deployments': {
    body: (w) => ({ creatorId: w.partner, ownerId: w.customer, serverId: `srv-fuzz-${sfx()}`, lines: [{ modelCode: w.serverModel, quantity: 1 }], maintenanceUntil: null }),
  },
  'POST /v1/deployments/:id/installation': { params: { id: (w) => w.deployment }, body: () => ({}) },
  'POST /v1/deployments/:id/maintenance': { params: { id: (w) => w.deployment }, body: () => ({ until: FAR }) },
  'POST /v1/deployments/:id/uninstallation': { params: { id: (w) => w.deploymentToUninstall }, body: () => ({}) },
  'POST /v1/api-keys': { body: (w) => ({ accountId: w.customer, role: 'customer', name: 'fuzz key', expiresAt: FAR }) },
  'DELETE /v1/api-keys/:keyId': { params: { keyId: (w) => w.keyId }, body: () => ({ reason: 'fuzz' }) },
  // queries
  'GET /v1/accounts/:id': { params: partnerId, query: ['minPosition'] },
  'GET /v1/accounts/:id/inventory': { params: partnerId, query: ['minPosition', 'limit', 'cursor', 'modelCode', 'category', 'status', 'asOf'] },
  'GET /v1/accounts/:id/customer-inventory': { params: partnerId, query: ['minPosition', 'limit', 'cursor', 'modelCode', 'category', 'status'] },
  'GET /v1/accounts/:id/customers': { params: partnerId, query: ['minPosition', 'limit', 'cursor', 'q'] },
  'GET /v1/accounts/:id/devices': { params: partnerId, query: ['minPosition', 'limit', 'cursor'] },
  'GET /v1/accounts/:id/deployments': { params: partnerId, query: ['minPosition', 'limit', 'cursor', 'status'] },
  'GET /v1/accounts/:id/history': { params: partnerId, query: ['after', 'limit'] },
  'GET /v1/licenses/:id': { params: { id: (w) => w.license.read }, query: ['minPosition', 'asOf'] },
  'GET /v1/licenses/:id/history': { params: { id: (w) => w.license.read }, query: ['after', 'limit'] },
  'GET /v1/devices/:id': { params: { id: (w) => w.device }, query: ['minPosition', 'asOf'] },
  'GET /v1/devices/:id/history': { params: { id: (w) => w.device }, query: ['after', 'limit'] },
  'GET /v1/search': { query: ['minPosition', 'limit', 'cursor', 'q'], required: () => ({ q: 'fuzz' }) },
  'GET /v1/expiring': { query: ['minPosition', 'limit', 'cursor', 'days', 'kind'], required: () => ({ days: '30' }) },
  'GET /v1/events': { query: ['after', 'limit'] },
  'GET /v1/api-keys': { query: ['accountId', 'limit', 'cursor'] },
  'GET /v1/projections': {},
  // public
  'GET /health': {},
  'GET /metrics': {},
  'GET /v1/signing-key': {},
};

const FUZZED_METHODS = new Set(['GET', 'POST', 'DELETE']);

interface Route {
  route: string;
  method: string;
  pattern: string;
  params: string[];
  entry: FuzzEntry | undefined;
  /** Query parameters the handler's OpenAPI metadata declares. */
  declaredQuery: string[];
}

/** Plausible query values: right-looking, edge and off-by-one. */
const plausibleQueryValue = (w: World) =>
  fc.constantFrom(
    '0', '1', '30', '200', '201', '500', '501', '1000', '1001', '3650', '3651', '-1', '1.5', '1e3', '01', ' 1',
    '9007199254740991', '9007199254740992', '9999999999999999', '99999999999999999',
    '2024-01-01T00:00:00Z', '2024-01-01T00:00:00+14:00', '1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', FAR, '2024-02-30T00:00:00Z',
    'available', 'bound', 'expired', 'deployed', 'created', 'installed', 'uninstalled', 'licenses', 'devices', 'pro', 'server',
    '0.0.0', '1.1.1', '1.99999999999999999999.1', '-1.0.0', '0.0.0.0',
    '0000000000aa', 'zzzzzzzzzzzz', 'eyJwIjoxfQ', 'AAAA',
    w.partner, w.customer, w.deviceModel, w.license.read, w.device, w.openPo,
  );

/** A path segment that is not text a client meant: broken escapes, traversal, encoded separators. */
const rawSegment = fc.constantFrom('%zz', '%', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%00', '%2e%2e', '..', '.', '%2F', '%5C', ';', '%3B', '%3F', '%23', '%20');

describe.each(BACKENDS)('fuzzing the HTTP API on $name', (backend) => {
  let ledger: TestLedger;
  let w: World;
  let routes: Route[];
  /** The store after the last request: the "before" of the next one (requests go one at a time). */
  let last: StoreSnapshot | undefined;
  const statuses = new Map<string, number>();
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    // A minPosition past the head waits this long before its documented 503 READ_MODELS_BEHIND.
    ledger = await startTestLedger(backend, { readWaitTimeoutMs: 1_000 });
    w = await buildWorld(ledger);
    routes = routeTable(ledger);
  }, 120_000);
  afterAll(async () => {
    if (process.env['FUZZ_VERBOSE']) process.stderr.write(`fuzz answers on ${backend.name}: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
    await ledger?.close();
  });

  async function exchange(key: string, req: SentRequest, options: CheckOptions): Promise<void> {
    const before = last ?? (await snapshot(ledger));
    last = undefined;
    const res = await send(ledger, key, req);
    const after = await snapshot(ledger);
    last = after;
    statuses.set(`${req.method} ${res.status}`, (statuses.get(`${req.method} ${res.status}`) ?? 0) + 1);
    checkExchange(req, res, before, after, options);
  }

  const path = (route: Route, values: Record<string, string> = {}) =>
    route.pattern.replace(/:(\w+)/g, (_, name: string) => values[name] ?? encodeSegment(route.entry!.params![name]!(w)));

  const command = (route: Route, body: string, url = path(route), contentType?: string): SentRequest => ({
    method: route.method,
    url,
    body,
    ...(contentType ? { contentType } : {}),
    as: 'admin',
  });

  /** Runs a property for every route given; every route's failure is reported, not only the first. */
  async function forEachRoute(selected: Route[], property: (route: Route) => Promise<void>): Promise<void> {
    last = undefined;
    const failures: string[] = [];
    for (const route of selected) {
      try {
        await property(route);
      } catch (error) {
        failures.push(`■ ${route.route}\n${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`${failures.length} route(s) failed:\n\n${failures.join('\n\n')}`);
  }

  const commands = () => routes.filter((r) => r.method !== 'GET');
  const queries = () => routes.filter((r) => r.method === 'GET');
  const withParams = () => routes.filter((r) => r.params.length > 0);
  const minPositionAhead = (pairs: readonly (readonly [string, string])[]) => (head: string) =>
    pairs.some(([k, v]) => k === 'minPosition' && /^\d{1,16}$/.test(v) && BigInt(v) > BigInt(head));

  it('has a fuzz entry for every route the app serves (and none for a route it does not)', () => {
    const served = routes.map((r) => r.route);
    expect(served.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !FUZZED_METHODS.has(r.method)).map((r) => r.route)).toEqual([]);
    expect(routes.filter((r) => r.entry === undefined).map((r) => `${r.route} has no fuzz entry in test/fuzz.e2e-spec.ts`)).toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !served.includes(r)).map((r) => `${r} is not a route of the app`)).toEqual([]);
    for (const r of routes) {
      expect({ route: r.route, params: Object.keys(r.entry?.params ?? {}).sort() }).toEqual({ route: r.route, params: [...r.params].sort() });
      expect({ route: r.route, body: r.method !== 'GET' }).toEqual({ route: r.route, body: r.entry?.body !== undefined });
    }
  });

  it(
    'command bodies: any JSON value',
    () =>
      forEachRoute(commands(), (route) =>
        fc.assert(
          fc.asyncProperty(fc.oneof(anyJson, fc.dictionary(nastyKey, nastyValue, { maxKeys: 5 }), nastyValue), async (body) => {
            await exchange(ledger.adminKey, command(route, jsonText(body)), { readOnly: false });
          }),
          { numRuns: runs(0.9) },
        ),
      ),
    CATEGORY_TIMEOUT_MS,
  );

  it(
    'command bodies: a valid one with one field replaced by a hostile value, removed, or one added',
    () =>
      forEachRoute(commands(), (route) => {
        const valid = route.entry!.body!(w);
        const { leaves, containers } = pathsOf(valid);
        const mutation = fc.oneof(
          ...(leaves.length > 0
            ? [
                { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.constantFrom(...leaves), value: nastyValue }) },
                { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), at: fc.constantFrom(...leaves) }) },
              ]
            : []),
          { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.constantFrom(...containers), key: nastyKey, value: nastyValue }) },
        );
        // Mostly the admin, who may do everything; sometimes a partner, whose scope is then checked against the hostile value.
        const caller = fc.constantFrom('admin', 'admin', 'admin', 'partner');
        return fc.assert(
          fc.asyncProperty(mutation, caller, async (m, as) => {
            const body = m.op === 'replace' ? withValueAt(valid, m.at, m.value) : m.op === 'remove' ? withValueAt(valid, m.at, undefined, true) : withAddedAt(valid, m.at, m.key, m.value);
            await exchange(as === 'admin' ? ledger.adminKey : w.partnerKey, { ...command(route, jsonText(body)), as }, { readOnly: false });
          }),
          { numRuns: runs(1.3) },
        );
      }),
    CATEGORY_TIMEOUT_MS,
  );

  it(
    'command bodies: raw text that is not the JSON object asked for (broken, deep, huge, other media types)',
    () =>
      forEachRoute(commands(), async (route) => {
        // Every body is sent, and every one that fails is reported.
        const failed: string[] = [];
        for (const raw of RAW_BODIES) {
          try {
            await exchange(ledger.adminKey, command(route, raw.text, path(route), raw.contentType), { readOnly: false });
          } catch (error) {
            failed.push(error instanceof Error ? error.message : String(error));
          }
        }
        if (failed.length > 0) throw new Error(`${failed.length} of ${RAW_BODIES.length} raw bodies:\n${failed.join('\n')}`);
      }),
    CATEGORY_TIMEOUT_MS,
  );

  it(
    'path parameters: hostile text, broken escapes and ids that name nothing',
    () =>
      forEachRoute(withParams(), (route) => {
        const segment = fc.oneof({ weight: 4, arbitrary: nastyString.map(encodeSegment) }, { weight: 2, arbitrary: unknownUuid }, { weight: 1, arbitrary: rawSegment });
        const values = fc.record(Object.fromEntries(route.params.map((p) => [p, segment])) as Record<string, fc.Arbitrary<string>>);
        return fc.assert(
          fc.asyncProperty(values, async (v) => {
            const url = path(route, v);
            if (route.method === 'GET') await exchange(ledger.adminKey, { method: 'GET', url: url + queryString(Object.entries(route.entry!.required?.(w) ?? {})), as: 'admin' }, { readOnly: true });
            else await exchange(ledger.adminKey, command(route, jsonText(route.entry!.body!(w)), url), { readOnly: false });
          }),
          { numRuns: runs(0.9) },
        );
      }),
    CATEGORY_TIMEOUT_MS,
  );

  it(
    'query strings: unknown parameters and the real ones with hostile values',
    () =>
      forEachRoute(queries(), (route) => {
        const names = [...new Set([...(route.entry!.query ?? []), ...route.declaredQuery])];
        const value = fc.oneof({ weight: 3, arbitrary: nastyString }, { weight: 3, arbitrary: plausibleQueryValue(w) });
        const realPair = names.length > 0 ? fc.tuple(fc.constantFrom(...names), value) : fc.tuple(nastyKey, value);
        const pairs = fc.array(fc.oneof({ weight: 4, arbitrary: realPair }, { weight: 1, arbitrary: fc.tuple(nastyKey, value) }), { maxLength: 4 });
        const raw = fc.subarray([...RAW_QUERY_PARTS], { maxLength: 2 });
        return fc.assert(
          fc.asyncProperty(pairs, raw, fc.boolean(), async (fuzzed, rawParts, withRequired) => {
            const all = [...(withRequired ? Object.entries(route.entry!.required?.(w) ?? {}) : []), ...fuzzed];
            await exchange(
              ledger.adminKey,
              { method: 'GET', url: (route.params.length > 0 ? path(route) : route.pattern) + queryString(all, rawParts), as: 'admin' },
              { readOnly: true, minPositionAheadOf: minPositionAhead(all) },
            );
          }),
          { numRuns: runs(1.3) },
        );
      }),
    CATEGORY_TIMEOUT_MS,
  );

  it('the valid bodies are valid: each is accepted, or refused by the domain (never 400), after all the fuzzing', async () => {
    // Without this the almost-valid bodies would all be refused for the wrong reason. Last, so that its successes
    // (a key claimed, a deployment uninstalled, ...) leave the fuzzing the world as built.
    await forEachRoute(commands(), async (route) => {
      const res = await send(ledger, ledger.adminKey, command(route, jsonText(route.entry!.body!(w))));
      if (res.status === 400 || res.status >= 500) throw new Error(`the valid body of the entry got ${res.status}: ${res.text}`);
    });
  });

  it('polluted no prototype', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  });
});

/** The app's own route table, each route with its fuzz entry and the query parameters its OpenAPI metadata declares. */
function routeTable(ledger: TestLedger): Route[] {
  const table: RouteEntry[] = ledger.app.get(RoutePolicies).table();
  const controllers = ledger.app.get(DiscoveryService).getControllers();
  return table.map(({ route, controller, handler }) => {
    const [method, pattern] = route.split(' ') as [string, string];
    const type = controllers.find((c) => c.metatype?.name === controller)?.metatype as { prototype: Record<string, object> } | undefined;
    const declared = (type ? ((Reflect.getMetadata('swagger/apiParameters', type.prototype[handler]!) as { in?: string; name?: string }[] | undefined) ?? []) : [])
      .filter((p) => p.in === 'query' && typeof p.name === 'string')
      .map((p) => p.name!);
    return { route, method, pattern, params: [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!), entry: ROUTES[route], declaredQuery: declared };
  });
}

/** A partner with customers, a sister partner linked to it, models, licenses, a key, an open PO, a device, deployments, API keys. */
async function buildWorld(ledger: TestLedger): Promise<World> {
  const kit = new PortalKit(() => ledger);
  const partner = await kit.openAccount('partner');
  const customer = await kit.openAccount('customer', partner);
  const otherCustomer = await kit.openAccount('customer', partner);
  const sister = await kit.openAccount('partner');
  await kit.ok(`/v1/accounts/${partner}/links`, { accountId: sister });
  const deviceModel = await kit.defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
  const serverModel = await kit.defineModel({ bindsTo: 'deployment', category: 'server', termDays: null, seats: 10 });
  const mspModel = await kit.defineModel({ bindsTo: 'msp-portal', category: 'msp', termDays: 30 });
  const [sale, move, revoke, read] = await kit.licensesFor(partner, deviceModel, 4);
  await kit.licensesFor(partner, deviceModel, 8); // for allocations, sales and bindings by model
  const [sisterLicense] = await kit.licensesFor(sister, deviceModel, 1);
  await kit.licensesFor(partner, serverModel, 6);
  const mspLicense = (await kit.ok(`/v1/keys/${await kit.keyFor(partner, mspModel, 1)}/claim`, { accountId: partner, autoAssociate: false })).licenseIds[0];
  const unclaimedKey = await kit.keyFor(partner, deviceModel, 1);
  const openPo = `PO-${sfx()}`;
  await kit.ok('/v1/purchase-orders', { poNumber: openPo, buyerId: partner, deliveryEmails: ['po@example.com'], lines: [{ modelCode: deviceModel, quantity: 1 }] });
  const device = await kit.registerDevice(customer, 'AP-1');
  const deploy = async () =>
    (await kit.ok('/v1/deployments', { creatorId: partner, ownerId: customer, serverId: `srv-${sfx()}`, lines: [{ modelCode: serverModel, quantity: 1 }] })).deploymentId as string;
  const deployment = await deploy();
  const deploymentToUninstall = await deploy();
  const { keyId } = await kit.apiKey('customer', customer);
  const { key: partnerKey } = await kit.apiKey('partner', partner);
  return {
    partner,
    customer,
    otherCustomer,
    sister,
    deviceModel,
    serverModel,
    mspModel,
    license: { sale: sale!, move: move!, revoke: revoke!, read: read! },
    sisterLicense: sisterLicense!,
    mspLicense,
    unclaimedKey,
    openPo,
    device,
    deployment,
    deploymentToUninstall,
    keyId,
    partnerKey,
  };
}

