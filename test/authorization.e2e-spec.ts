/**
 * The authorization matrix: every route the application serves × every role
 * × a target inside and outside the caller's scope. The routes come from the
 * application's own route table (RoutePolicies); the expected roles below are
 * written down independently of the policies in the code, so a policy that
 * drifts from them fails here. A route without an entry fails the suite.
 *
 * Callers: admin and auditor keys on the vendor account; backoffice, partner
 * and dashboard keys on partner A; a customer key on A's customer A1; a device
 * key on a device of A1; a license-server key on A1. "In" requests name A's
 * and A1's things; "out" requests name partner B's and its customer B1's.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type Role, ROLES } from '@ledger/licensing';
import { RoutePolicies } from '../apps/ledger/src/auth/route-policies';
import { type TestLedger, startTestLedger } from './app';
import { BACKENDS } from './backends';
import { type Json, PortalKit, VENDOR, sfx } from './portal-kit';

const DAY_MS = 86_400_000;
type Scope = 'in' | 'out';

/** One tenant's things: a partner and its customer, with what the routes name. */
interface Tenant {
  partner: string;
  customer: string;
  license: string;
  device: string;
  deployment: string;
}

interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: object;
  query?: Record<string, string>;
}

interface Entry {
  /** Roles that may use the route (for routes with targets: on things within their scope). */
  roles: readonly Role[] | 'public';
  /** Vendor-only routes answer 403 to every caller not of the vendor's account. */
  vendorOnly?: boolean;
  /** The answer of a caller that passed every access check, when it is not a success. */
  authorized?: { status: number; code: string };
  /** Lists narrowed to the caller's scope: out-of-scope things are simply not in them. */
  filtered?: (body: Json, tenant: Tenant) => boolean;
  /** The request, naming things of `t` (fresh ones where a command uses them up). */
  request(t: Tenant, f: Fixtures): Promise<Request>;
}

const READERS: readonly Role[] = ['admin', 'auditor', 'backoffice', 'partner', 'customer', 'dashboard'];
const PARTNER_WRITERS: readonly Role[] = ['admin', 'backoffice', 'partner'];
const PORTAL_WRITERS: readonly Role[] = ['admin', 'backoffice', 'partner', 'customer'];
const GLOBAL: readonly Role[] = ['admin', 'auditor'];

interface Fixtures {
  kit: PortalKit;
  model: string;
  mspModel: string;
  serverModel: string;
  /** A second customer of the tenant's partner, fresh. */
  sibling(t: Tenant): Promise<string>;
  license(owner: string, model?: string): Promise<string>;
  device(owner: string): Promise<string>;
  deployment(t: Tenant, installed?: boolean): Promise<string>;
}

const MATRIX: Record<string, Entry> = {
  'GET /health': { roles: 'public', request: async () => ({ method: 'GET', path: '/health' }) },
  'GET /metrics': { roles: 'public', request: async () => ({ method: 'GET', path: '/metrics' }) },
  'GET /v1/signing-key': { roles: 'public', request: async () => ({ method: 'GET', path: '/v1/signing-key' }) },
  'GET /v1/projections': { roles: GLOBAL, request: async () => ({ method: 'GET', path: '/v1/projections' }) },
  'GET /v1/events': { roles: GLOBAL, request: async () => ({ method: 'GET', path: '/v1/events', query: { limit: '5' } }) },

  // ------------------------------------------------------------ commands
  'POST /v1/accounts': {
    roles: PARTNER_WRITERS,
    request: async (t) => ({ method: 'POST', path: '/v1/accounts', body: { kind: 'customer', name: `c ${sfx()}`, parentId: t.partner, emails: ['c@example.com'] } }),
  },
  'POST /v1/accounts/:id/links': {
    roles: PARTNER_WRITERS,
    request: async (t, f) => ({ method: 'POST', path: `/v1/accounts/${t.customer}/links`, body: { accountId: await f.sibling(t) } }),
  },
  'POST /v1/accounts/:id/allocations': {
    roles: PARTNER_WRITERS,
    request: async (t, f) => {
      await f.license(t.partner);
      return { method: 'POST', path: `/v1/accounts/${t.partner}/allocations`, body: { toAccountId: t.customer, modelCode: f.model, quantity: 1 } };
    },
  },
  'POST /v1/accounts/:id/sales': {
    roles: PARTNER_WRITERS,
    request: async (t, f) => {
      await f.license(t.partner);
      return { method: 'POST', path: `/v1/accounts/${t.partner}/sales`, body: { buyerId: t.customer, lines: [{ modelCode: f.model, quantity: 1 }] } };
    },
  },
  'POST /v1/accounts/:id/transfers': {
    roles: PORTAL_WRITERS,
    request: async (t, f) => {
      const linked = await f.sibling(t);
      await f.kit.ok(`/v1/accounts/${t.customer}/links`, { accountId: linked });
      await f.license(linked);
      return { method: 'POST', path: `/v1/accounts/${t.customer}/transfers`, body: { fromAccountId: linked, lines: [{ modelCode: f.model, quantity: 1 }] } };
    },
  },
  'POST /v1/license-models': {
    roles: ['admin', 'backoffice'],
    vendorOnly: true,
    request: async () => ({ method: 'POST', path: '/v1/license-models', body: { code: `M-${sfx()}`, name: 'Model', category: 'pro', bindsTo: 'device', termDays: 30 } }),
  },
  'POST /v1/purchase-orders': {
    roles: PARTNER_WRITERS,
    request: async (t, f) => ({
      method: 'POST',
      path: '/v1/purchase-orders',
      body: { poNumber: `PO-${sfx()}`, buyerId: t.partner, deliveryEmails: ['po@example.com'], lines: [{ modelCode: f.model, quantity: 1 }] },
    }),
  },
  'POST /v1/purchase-orders/:poNumber/fulfilment': {
    roles: ['admin', 'backoffice'],
    vendorOnly: true,
    request: async (t, f) => {
      const poNumber = `PO-${sfx()}`;
      await f.kit.ok('/v1/purchase-orders', { poNumber, buyerId: t.partner, deliveryEmails: ['po@example.com'], lines: [{ modelCode: f.model, quantity: 1 }] });
      return { method: 'POST', path: `/v1/purchase-orders/${poNumber}/fulfilment`, body: {} };
    },
  },
  'POST /v1/keys/:keyCode/claim': {
    roles: PORTAL_WRITERS,
    request: async (t, f) => ({ method: 'POST', path: `/v1/keys/${await f.kit.keyFor(t.partner, f.model, 1)}/claim`, body: { accountId: t.customer } }),
  },
  'POST /v1/devices': {
    roles: PORTAL_WRITERS,
    request: async (t) => ({ method: 'POST', path: '/v1/devices', body: { ownerId: t.customer, serial: `SN-${sfx()}`, model: 'AP-1', channels: 0 } }),
  },
  'POST /v1/devices/:id/bindings': {
    roles: PORTAL_WRITERS,
    request: async (t, f) => ({ method: 'POST', path: `/v1/devices/${await f.device(t.customer)}/bindings`, body: { licenseId: await f.license(t.customer) } }),
  },
  'POST /v1/licenses/:id/move': {
    roles: PARTNER_WRITERS,
    request: async (t, f) => ({ method: 'POST', path: `/v1/licenses/${await f.license(t.customer)}/move`, body: { toAccountId: await f.sibling(t) } }),
  },
  'POST /v1/licenses/:id/revocation': {
    roles: ['admin', 'backoffice'],
    vendorOnly: true,
    request: async (t, f) => ({ method: 'POST', path: `/v1/licenses/${await f.license(t.customer)}/revocation`, body: { reason: 'chargeback' } }),
  },
  'POST /v1/licenses/:id/msp-portal': {
    roles: PORTAL_WRITERS,
    // Claiming an msp-portal key applies its licenses already; past the access checks, the domain says so.
    authorized: { status: 422, code: 'LICENSE_BOUND' },
    request: async (t, f) => ({ method: 'POST', path: `/v1/licenses/${await f.license(t.customer, f.mspModel)}/msp-portal`, body: {} }),
  },
  'POST /v1/deployments': {
    roles: PORTAL_WRITERS,
    // The customer deploys its own licenses: creator and owner are both within every "in" caller's scope.
    request: async (t, f) => {
      await f.license(t.customer, f.serverModel);
      return { method: 'POST', path: '/v1/deployments', body: { creatorId: t.customer, ownerId: t.customer, serverId: `hw-${sfx()}`, lines: [{ modelCode: f.serverModel, quantity: 1 }] } };
    },
  },
  'POST /v1/deployments/:id/installation': {
    roles: PORTAL_WRITERS,
    request: async (t, f) => ({ method: 'POST', path: `/v1/deployments/${await f.deployment(t)}/installation`, body: {} }),
  },
  'POST /v1/deployments/:id/maintenance': {
    roles: PORTAL_WRITERS,
    request: async (t, f) => ({
      method: 'POST',
      path: `/v1/deployments/${await f.deployment(t, true)}/maintenance`,
      body: { until: new Date(Date.now() + 800 * DAY_MS).toISOString() },
    }),
  },
  'POST /v1/deployments/:id/uninstallation': {
    roles: PORTAL_WRITERS,
    request: async (t, f) => ({ method: 'POST', path: `/v1/deployments/${await f.deployment(t, true)}/uninstallation`, body: {} }),
  },
  'POST /v1/api-keys': {
    roles: ['admin', 'partner'],
    request: async (t) => ({ method: 'POST', path: '/v1/api-keys', body: { accountId: t.customer, role: 'dashboard', name: `dash ${sfx()}` } }),
  },
  'GET /v1/api-keys': {
    roles: ['admin', 'auditor', 'partner'],
    request: async (t) => ({ method: 'GET', path: '/v1/api-keys', query: { accountId: t.customer } }),
  },
  'DELETE /v1/api-keys/:keyId': {
    roles: ['admin', 'partner'],
    request: async (t, f) => ({ method: 'DELETE', path: `/v1/api-keys/${(await f.kit.apiKey('dashboard', t.customer)).keyId}` }),
  },

  // ------------------------------------------------------------ queries and history
  'GET /v1/accounts/:id': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}` }) },
  'GET /v1/accounts/:id/inventory': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}/inventory` }) },
  'GET /v1/accounts/:id/customer-inventory': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}/customer-inventory` }) },
  'GET /v1/accounts/:id/customers': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}/customers` }) },
  'GET /v1/accounts/:id/devices': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}/devices` }) },
  'GET /v1/accounts/:id/deployments': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}/deployments` }) },
  'GET /v1/accounts/:id/history': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/accounts/${t.customer}/history` }) },
  'GET /v1/licenses/:id': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/licenses/${t.license}` }) },
  'GET /v1/licenses/:id/history': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/licenses/${t.license}/history` }) },
  'GET /v1/devices/:id': { roles: [...READERS, 'device'], request: async (t) => ({ method: 'GET', path: `/v1/devices/${t.device}` }) },
  'GET /v1/devices/:id/history': { roles: READERS, request: async (t) => ({ method: 'GET', path: `/v1/devices/${t.device}/history` }) },
  'GET /v1/search': {
    roles: READERS,
    filtered: (body, t) => body.items.some((item: Json) => item.id === t.license),
    request: async (t) => ({ method: 'GET', path: '/v1/search', query: { q: t.license } }),
  },
  'GET /v1/expiring': {
    roles: READERS,
    filtered: (body, t) => body.items.some((item: Json) => item.id === t.device || item.id === t.license),
    request: async () => ({ method: 'GET', path: '/v1/expiring', query: { days: '3650', limit: '200' } }),
  },
};

/** Where each role's key belongs. */
const HOLDER: Record<Role, 'vendor' | 'partner' | 'customer'> = {
  admin: 'vendor',
  auditor: 'vendor',
  backoffice: 'partner',
  partner: 'partner',
  dashboard: 'partner',
  customer: 'customer',
  device: 'customer',
  'license-server': 'customer',
};

describe.each(BACKENDS)('authorization matrix on $name', (backend) => {
  let ledger: TestLedger;
  const kit = new PortalKit(() => ledger);
  let f: Fixtures;
  let A: Tenant;
  let B: Tenant;
  const keys = new Map<Role, string>();

  beforeAll(async () => {
    ledger = await startTestLedger(backend);
    const model = await kit.defineModel({ bindsTo: 'device', category: 'pro', termDays: 365 });
    const mspModel = await kit.defineModel({ bindsTo: 'msp-portal', category: 'msp', termDays: 30 });
    const serverModel = await kit.defineModel({ bindsTo: 'deployment', category: 'server', termDays: null, seats: 5 });
    f = {
      kit,
      model,
      mspModel,
      serverModel,
      sibling: (t) => kit.openAccount('customer', t.partner),
      license: async (owner, m = model) => (await kit.licensesFor(owner, m, 1))[0],
      device: (owner) => kit.registerDevice(owner, 'AP-1'),
      deployment: async (t, installed = false) => {
        await kit.licensesFor(t.partner, serverModel, 1);
        const maintenanceUntil = new Date(Date.now() + 365 * DAY_MS).toISOString();
        const { deploymentId } = await kit.ok('/v1/deployments', { creatorId: t.partner, ownerId: t.customer, serverId: `hw-${sfx()}`, lines: [{ modelCode: serverModel, quantity: 1 }], maintenanceUntil });
        if (installed) await kit.ok(`/v1/deployments/${deploymentId}/installation`);
        return deploymentId;
      },
    };
    const tenant = async (): Promise<Tenant> => {
      const partner = await kit.openAccount('partner');
      const customer = await kit.openAccount('customer', partner);
      const t = { partner, customer, license: '', device: '', deployment: '' };
      const license = await f.license(customer);
      const device = await f.device(customer);
      // Bound, so that both show in the expiring list.
      await kit.ok(`/v1/devices/${device}/bindings`, { licenseId: license });
      return { ...t, license, device, deployment: await f.deployment(t) };
    };
    A = await tenant();
    B = await tenant();
    for (const role of ROLES) {
      const holder = HOLDER[role] === 'vendor' ? VENDOR : HOLDER[role] === 'partner' ? A.partner : A.customer;
      const extra = role === 'device' ? { deviceId: A.device } : role === 'license-server' ? { serverId: `hw-${sfx()}` } : {};
      keys.set(role, (await kit.apiKey(role, holder, extra)).key);
    }
    // Read models caught up with the world, so that queries of its things answer.
    await kit.get('/v1/projections', { minPosition: kit.position });
  }, 120_000);

  afterAll(() => ledger?.close());

  const committed = async () => {
    const [events] = await ledger.store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_events');
    const [apiKeys] = await ledger.store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM access_api_keys');
    return { events: events!.n, apiKeys: apiKeys!.n };
  };

  /** Query routes wait for the read models to reach everything written so far (minPosition). */
  const READ_MODEL_ROUTES = /^\/v1\/(accounts\/[^/]+(\/(inventory|customer-inventory|customers|devices|deployments))?|licenses\/[^/]+|devices\/[^/]+|search|expiring)$/;

  const send = (r: Request, key: string | null) => {
    const agent = key === null ? request(ledger.app.getHttpServer()) : kit.http(key);
    let req = r.method === 'GET' ? agent.get(r.path) : r.method === 'DELETE' ? agent.delete(r.path) : agent.post(r.path);
    const query = { ...r.query, ...(r.method === 'GET' && READ_MODEL_ROUTES.test(r.path) ? { minPosition: String(kit.position) } : {}) };
    if (Object.keys(query).length > 0) req = req.query(query);
    return r.body === undefined ? req : req.send(r.body);
  };

  it('has an entry for every route the application serves, and none for a route it does not', () => {
    const served = ledger.app.get(RoutePolicies).table().map((r) => r.route);
    expect(served.filter((route) => !(route in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((route) => !served.includes(route))).toEqual([]);
  });

  const cells = Object.keys(MATRIX).flatMap((route) => [...ROLES, null].flatMap((role) => (['in', 'out'] as const).map((scope) => [route, role, scope] as const)));

  it.each(Object.keys(MATRIX))('%s: every role, inside and outside its scope', async (route) => {
    const entry = MATRIX[route]!;
    for (const [, role, scope] of cells.filter(([r]) => r === route)) {
      const label = `${route} as ${role ?? 'nobody'} (${scope})`;
      const tenant = scope === 'in' ? A : B;
      const asked = await entry.request(tenant, f);
      const before = await committed();
      const res = await send(asked, role === null ? null : keys.get(role)!);
      const status = res.status;
      const expected = expectation(entry, role, scope);
      const report = `${label}: expected ${expected}, got ${status} ${JSON.stringify(res.body).slice(0, 300)}`;
      if (expected === 'ok') {
        if (entry.authorized) {
          expect([label, status, res.body.code]).toEqual([label, entry.authorized.status, entry.authorized.code]);
          continue;
        }
        if (!(status >= 200 && status < 300)) throw new Error(report);
        if (res.body?.position > kit.position) kit.position = res.body.position;
        if (entry.filtered) expect([label, entry.filtered(res.body, tenant)]).toEqual([label, scope === 'in' || role === 'admin' || role === 'auditor']);
        continue;
      }
      if (status !== expected) throw new Error(report);
      expect([label, res.headers['content-type']]).toEqual([label, expect.stringMatching(/^application\/problem\+json/)]);
      // A refusal writes nothing: no event, no key.
      expect([label, await committed()]).toEqual([label, before]);
      if (expected === 401) expect([label, res.body.code]).toEqual([label, 'CREDENTIALS_REQUIRED']);
      if (expected === 403) expect([label, res.body.code]).toEqual([label, 'FORBIDDEN']);
      if (expected === 404) {
        // Exactly the answer for something that exists nowhere: same code, same words, ids aside.
        const missing = await send(withFreshIds(asked), keys.get(role!)!);
        expect([label, missing.status]).toEqual([label, 404]);
        expect([label, anonymized(res.body)]).toEqual([label, anonymized(missing.body)]);
      }
    }
  });
});

/** What a role gets on a route, inside or outside its scope. */
function expectation(entry: Entry, role: Role | null, scope: Scope): 'ok' | 401 | 403 | 404 {
  if (entry.roles === 'public') return 'ok';
  if (role === null) return 401;
  if (!entry.roles.includes(role)) return 403;
  if (entry.vendorOnly && HOLDER[role] !== 'vendor') return 403;
  const global = HOLDER[role] === 'vendor';
  if (scope === 'out' && !global && !entry.filtered && !isUnscoped(entry)) return 404;
  return 'ok';
}

/** Routes that name nothing of a tenant. */
function isUnscoped(entry: Entry): boolean {
  return entry === MATRIX['GET /v1/projections'] || entry === MATRIX['GET /v1/events'] || entry === MATRIX['POST /v1/license-models'];
}

/** The same request with every id swapped for an id of nothing. */
function withFreshIds(request: Request): Request {
  let text = JSON.stringify(request).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, () => randomUUID());
  text = text.replace(/\/v1\/api-keys\/[0-9a-z]{12}/, '/v1/api-keys/000000000000');
  return JSON.parse(text) as Request;
}

function anonymized(body: Json): Json {
  return JSON.parse(
    JSON.stringify(body)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\/v1\/api-keys\/[0-9a-z]{12}/g, '/v1/api-keys/<id>')
      .replace(/(API key )[0-9a-z]{12}/g, '$1<id>')
      .replace(/"keyId":"[0-9a-z]{12}"/g, '"keyId":"<id>"'),
  );
}
