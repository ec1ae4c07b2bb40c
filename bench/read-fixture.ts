/**
 * A large, domain-valid ledger for the read-side benchmark, appended straight
 * to the event store: the HTTP API or the command handlers would take hours
 * for a million licenses.
 *
 * Every event still comes from the domain's own deciders (openAccount,
 * placePurchaseOrder, fulfilPurchaseOrder, claimKey, allocateSeat,
 * registerDevice, bindDevice, revokeLicense, ...), run in time order against
 * facts held in memory, so the history is one the ledger could have written:
 * the vendor, license models, partners under the vendor, customers under
 * their partner, purchase orders placed and fulfilled, keys claimed by the
 * partners, part of the licenses allocated to customers (superseded, a
 * successor issued), devices registered (with their serials), part of the
 * customers' licenses bound to their devices (terms stacking from the later
 * of now and the device's expiry for the category), a few revoked.
 *
 * Deterministic: ids, key codes, serials, names and times come from the
 * shape's seed (SHA-256 and a seeded PRNG; no clock, no Math.random), so two
 * runs write the same events (only the store's recordedAt, and the hashes
 * that cover it, differ). Each partner is generated from its own seed,
 * independently of the others: the samples a benchmark needs can be derived
 * again from a few partners without regenerating or reading anything.
 *
 * How it is written: per group of partners, one append of what comes first
 * (accounts, purchase orders, issued keys), then one or more appends of the
 * rest (licenses, devices, serials, claims: new streams, hashed by the writer
 * and inserted set-wise by ledger_append), a few groups at once. The feed is
 * in causal order between appends (an account is opened, a PO placed and its
 * key issued in a transaction before the ones that use them); within one
 * append, as always, events come in stream-id order.
 *
 * A completed ledger leaves a row in `bench_read_fixture` (written after the
 * last append): generating the same shape into that schema again writes
 * nothing and answers the same samples. A schema with events but no such row
 * holds a partial ledger (an interrupted run): it is refused, drop the schema.
 *
 * The write side's license index (licensing_licenses, licensing_devices; the
 * ledger creates it when it starts) is filled too when its tables exist, so
 * that commands picking licenses by quantity find them. When the ledger is
 * started on the schema only after the fixture was written, call
 * generateReadLedger again: it finds the ledger complete and fills the then
 * empty index (no events are written).
 *
 * Size and time: FULL_SHAPE is about 3.2 million events (3.2 per claimed
 * license) and 3.5 GB in PostgreSQL; at about 10,000 to 14,000 events/s on
 * two shared cores (measured at 1/20 and 1/5 scale) that is 4 to 6 minutes.
 * Node is half of it (the deciders, and the store's canonical JSON and
 * SHA-256 of every event); concurrency 2 overlaps it with PostgreSQL. One
 * generator per schema at a time.
 *
 * Usage:
 *   const store = await openBenchStore('bench_read');
 *   const ledger = await generateReadLedger(store, scaleShape(FULL_SHAPE, 0.01), { onProgress });
 *   ... ledger.samples.customers, ledger.samples.licenses.bound, ...
 *   await store.close();
 */
import { createHash } from 'node:crypto';
import { type AppendOptions, type EventStore, type JsonObject, type NewEvent, type StreamAppend, LIMITS, openEventStore } from '@ledger/event-store';
import {
  type AccountState,
  type AnyState,
  type AvailableLicenses,
  type Decider,
  type ApiKeyState,
  type DeploymentState,
  type DeviceState,
  type Emitted,
  type Facts,
  type KeyState,
  type LedgerEvent,
  type LicenseModelState,
  type LicenseState,
  type ModelTerms,
  type PurchaseOrderState,
  type SerialState,
  type StateOf,
  type StreamKind,
  DomainError,
  KEY_ALPHABET,
  KEY_PAYLOAD_LENGTH,
  MAX_KEY_QUANTITY,
  PERPETUAL,
  allocateSeat,
  bindDevice,
  claimKey,
  defineLicenseModel,
  deriveId,
  deviceIndexRow,
  evolve,
  formatKeyCode,
  fulfilPurchaseOrder,
  initialState,
  licenseIndexRow,
  openAccount,
  placePurchaseOrder,
  registerDevice,
  revokeLicense,
  streamId,
  streamKind,
} from '@ledger/licensing';

/* ---------------------------------------------------------------- shape */

export interface ReadLedgerShape {
  partners: number;
  customersPerPartner: number;
  devicesPerCustomer: number;
  /** Licenses unzipped from keys (claimed by the partners); allocations add a successor each on top. */
  licenses: number;
  /** How many models of MODEL_CATALOG, in its order (1 to its length). */
  models: number;
  /** Everything random derives from it (and from the rest of the shape). */
  seed: string;
}

export const FULL_SHAPE: Readonly<ReadLedgerShape> = Object.freeze({
  partners: 1_000,
  customersPerPartner: 20,
  devicesPerCustomer: 10,
  licenses: 1_000_000,
  models: 6,
  seed: 'read-ledger-1',
});

/**
 * The shape with `factor` times the partners and licenses (at least one
 * partner, and at least one license per partner): partners keep their size,
 * so the event mix, and the generation rate, stay those of the full shape.
 */
export function scaleShape(shape: ReadLedgerShape, factor: number): ReadLedgerShape {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new Error(`scale factor must be a positive number, got ${factor}`);
  const partners = Math.max(1, Math.round(shape.partners * factor));
  return { ...shape, partners, licenses: Math.max(partners, Math.round(shape.licenses * factor)) };
}

/** The vendor account the ledger opens on its first start (LEDGER_VENDOR_ACCOUNT_ID's default). */
export const VENDOR_ACCOUNT_ID = '00000000-0000-7000-8000-000000000001';
export const READ_FIXTURE_ACTOR = 'bench:read-fixture';
/** The marker of a completed ledger, in the store's schema. */
export const READ_FIXTURE_TABLE = 'bench_read_fixture';

/** Business time of the ledger: everything happens in this window. */
export const LEDGER_TIME = Object.freeze({ from: '2025-01-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' });

export interface CatalogModel extends ModelTerms {
  name: string;
  /** Share of the licenses sold of this model (renormalized over the models in the shape). */
  share: number;
}

export const MODEL_CATALOG: readonly CatalogModel[] = Object.freeze([
  { code: 'PRO-1Y', name: 'Pro, 1 year', category: 'pro', bindsTo: 'device', termDays: 365, seats: 1, deviceModels: ['AP-500', 'AP-700'], share: 0.35 },
  { code: 'CLOUD-AI-1Y', name: 'Cloud AI, 1 year', category: 'cloud-ai', bindsTo: 'device', termDays: 365, seats: 1, deviceModels: [], share: 0.25 },
  { code: 'BASE-PERPETUAL', name: 'Base, perpetual', category: 'base', bindsTo: 'device', termDays: null, seats: 1, deviceModels: [], share: 0.1 },
  { code: 'NVR-CHANNEL-1Y', name: 'NVR channel, 1 year', category: 'nvr-channel', bindsTo: 'channel', termDays: 365, seats: 1, deviceModels: ['NVR-16'], share: 0.15 },
  { code: 'PRO-3Y', name: 'Pro, 3 years', category: 'pro', bindsTo: 'device', termDays: 1095, seats: 1, deviceModels: ['AP-500', 'AP-700'], share: 0.1 },
  { code: 'CLOUD-AI-3Y', name: 'Cloud AI, 3 years', category: 'cloud-ai', bindsTo: 'device', termDays: 1095, seats: 1, deviceModels: [], share: 0.05 },
]);

export const DEVICE_MODELS: readonly { model: string; channels: number; share: number }[] = Object.freeze([
  { model: 'AP-500', channels: 0, share: 0.45 },
  { model: 'AP-700', channels: 0, share: 0.35 },
  { model: 'NVR-16', channels: 16, share: 0.2 },
]);

/** Of each key's licenses, this share is allocated to the partner's customers. */
const ALLOCATED_SHARE = 0.6;
/** Of each allocation, this share is then bound to the customer's devices (when one fits). */
const BOUND_SHARE = 0.5;
/** Revoked per partner license: bound ones (their device loses the term) and available ones of customers. */
const REVOKED_BOUND_SHARE = 0.004;
const REVOKED_AVAILABLE_SHARE = 0.002;
/** Licenses of one AllocateSeat, about. */
const ALLOCATION_SIZE = 20;

/* ---------------------------------------------------------------- result */

export interface PartnerSample {
  partnerId: string;
  name: string;
  customers: number;
  /** Licenses its keys unzipped into. */
  licensesClaimed: number;
}

export interface CustomerSample {
  customerId: string;
  partnerId: string;
  name: string;
}

export interface DeviceSample {
  deviceId: string;
  ownerId: string;
  partnerId: string;
  serial: string;
  model: string;
  channels: number;
  /** The device's validity per category at the end ('perpetual' or an instant). */
  validUntil: Record<string, string>;
  licensesBound: number;
}

export interface LicenseSample {
  licenseId: string;
  ownerId: string;
  /** The partner of the owner (the owner itself for a partner's license). */
  partnerId: string;
  modelCode: string;
  category: string;
  status: LicenseState['status'];
  keyCode: string;
  poNumber: string;
  predecessorId: string | null;
  successorId: string | null;
  deviceId: string | null;
  channel: number | null;
  validUntil: string | null;
}

export interface PurchaseOrderSample {
  poNumber: string;
  buyerId: string;
  lines: number;
  keyCodes: string[];
}

export interface KeySample {
  keyCode: string;
  poNumber: string;
  claimedBy: string;
  modelCode: string;
  quantity: number;
}

export interface LedgerSamples {
  /** Partners spread over the whole ledger (about 24), in partner order; all samples below are of these partners. */
  partners: PartnerSample[];
  customers: CustomerSample[];
  devices: DeviceSample[];
  licenses: {
    /** Available in a partner's inventory (allocatable). */
    partnerAvailable: LicenseSample[];
    /** Available in a customer's inventory (bindable). */
    customerAvailable: LicenseSample[];
    bound: LicenseSample[];
    superseded: LicenseSample[];
    revoked: LicenseSample[];
  };
  purchaseOrders: PurchaseOrderSample[];
  keys: KeySample[];
  /** Distinct customer names, for searches. */
  customerNames: string[];
}

export interface LedgerCounts {
  events: number;
  /** License streams: claimed ones plus the successors of allocations. */
  licenses: number;
  licensesClaimed: number;
  partners: number;
  customers: number;
  devices: number;
  purchaseOrders: number;
  keys: number;
  appends: number;
  byType: Record<string, number>;
  /** Licenses by final status. */
  byStatus: Record<string, number>;
}

export interface GeneratedLedger {
  shape: ReadLedgerShape;
  /** False when the schema already held this ledger (its marker found): nothing was appended now. */
  generated: boolean;
  /** Wall time of the run that appended it. */
  seconds: number;
  vendorId: string;
  models: CatalogModel[];
  time: { from: string; to: string };
  counts: LedgerCounts;
  /** Whether the write side's license index (licensing_licenses, licensing_devices) holds the ledger's rows. */
  licenseIndex: boolean;
  samples: LedgerSamples;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (eventsWritten: number, totalEstimate: number) => void;
  /** Groups of partners simulated and appended at once (default 2; the store's pool needs as many connections). */
  concurrency?: number;
  /** About this many events per append (default 20,000; at most the store's limit). */
  eventsPerAppend?: number;
}

/**
 * Opens the store in `schema` (created and migrated if needed) on
 * DATABASE_URL, or the local PostgreSQL. The pool has a connection for each
 * of generateReadLedger's concurrent appends, and one to spare.
 */
export async function openBenchStore(schema: string, options: { databaseUrl?: string; poolSize?: number } = {}): Promise<EventStore> {
  const databaseUrl = options.databaseUrl ?? (process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres');
  const { store } = await openEventStore({ databaseUrl, schema, poolSize: options.poolSize ?? 4 });
  return store;
}

/* ---------------------------------------------------------------- generation */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const W0 = Date.parse(LEDGER_TIME.from);
const W1 = Date.parse(LEDGER_TIME.to);
const SAMPLE_PARTNERS = 24;
const SAMPLE_CAP = 1_000;
const PHASE_ONE: ReadonlySet<string> = new Set(['AccountOpened', 'LicenseModelDefined', 'PurchaseOrderPlaced', 'PurchaseOrderFulfilled', 'LicenseKeyIssued']);

interface Summary {
  counts: LedgerCounts;
  seconds: number;
  licenseIndex: boolean;
}

/**
 * Appends the ledger of `shape` to `store`, or, when the store's schema
 * already holds it (completed), answers its samples without writing.
 */
export async function generateReadLedger(store: EventStore, shape: ReadLedgerShape, options: GenerateOptions = {}): Promise<GeneratedLedger> {
  const plan = makePlan(shape);
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new Error(`concurrency must be 1 to 16, got ${concurrency}`);
  const eventsPerAppend = options.eventsPerAppend ?? 20_000;
  if (!Number.isInteger(eventsPerAppend) || eventsPerAppend < 100 || eventsPerAppend > LIMITS.eventsPerAppend)
    throw new Error(`eventsPerAppend must be 100 to ${LIMITS.eventsPerAppend}, got ${eventsPerAppend}`);

  const found = await fixtureState(store, plan);
  const indexTables = await hasLicenseIndex(store);
  if (found.kind === 'complete') {
    let summary = found.summary;
    if (indexTables && !summary.licenseIndex && (await licenseIndexEmpty(store))) {
      // The ledger was started on the schema after the fixture was written: fill its (empty) index now.
      await runPartners(store, plan, { ...options, concurrency, eventsPerAppend, appendEvents: false, fillIndex: true, collect: () => undefined });
      summary = { ...summary, licenseIndex: true };
      await store.sql.query(`UPDATE ${READ_FIXTURE_TABLE} SET summary = $1::text::jsonb`, [JSON.stringify(summary)]);
    }
    summary = { ...summary, counts: normalCounts(summary.counts) };
    return ledgerOf(plan, summary, false, samplesOf(plan));
  }

  const started = performance.now();
  const setup = setupLedger(plan, found.vendor);
  const counts = emptyCounts(plan);
  const written = { events: 0 };
  const estimate = { total: estimateEvents(plan) };
  const progress = (events: number) => {
    written.events += events;
    options.onProgress?.(written.events, Math.max(estimate.total, written.events));
  };
  if (setup.streams.size > 0) {
    throwIfAborted(options.signal);
    progress(await appendLedgers(store, [appendsOf(setup, 'all')], `${commandPrefix(plan)}:setup`, counts));
  }
  countTypes(setup, counts);

  const perPartner: (PartnerSampleSet | undefined)[] = [];
  await runPartners(store, plan, {
    ...options,
    concurrency,
    eventsPerAppend,
    appendEvents: true,
    fillIndex: indexTables,
    collect: (ledger) => {
      addCounts(ledger, counts);
      if (plan.sampled.has(ledger.index)) perPartner[ledger.index] = sampleSet(ledger);
    },
    progress,
    estimate,
    counts,
    base: setup.states,
  });
  counts.events = written.events;

  const summary: Summary = { counts: normalCounts(counts), seconds: Math.round((performance.now() - started) / 100) / 10, licenseIndex: indexTables };
  // The marker goes last: without it, the schema holds a partial ledger.
  await store.sql.query(
    `INSERT INTO ${READ_FIXTURE_TABLE} (shape, events, licenses, summary, completed_at) VALUES ($1::text::jsonb, $2, $3, $4::text::jsonb, now())`,
    [JSON.stringify(plan.shape), counts.events, counts.licenses, JSON.stringify(summary)],
  );
  return ledgerOf(plan, summary, true, mergeSamples(perPartner));
}

/**
 * The samples of the ledger of `shape`, derived again from its seed (a few
 * partners simulated in memory, nothing read): what generateReadLedger
 * answers for it.
 */
export function deriveSamples(shape: ReadLedgerShape): LedgerSamples {
  return samplesOf(makePlan(shape));
}

function samplesOf(plan: Plan): LedgerSamples {
  const base = setupLedger(plan, null).states;
  const perPartner: (PartnerSampleSet | undefined)[] = [];
  for (const p of plan.sampled) perPartner[p] = sampleSet(simulatePartner(plan, p, base));
  return mergeSamples(perPartner);
}

/* ---------------------------------------------------------------- the marker */

type FoundState = { kind: 'empty'; vendor: AccountState | null } | { kind: 'complete'; summary: Summary };

async function fixtureState(store: EventStore, plan: Plan): Promise<FoundState> {
  await store.sql.query(
    `CREATE TABLE IF NOT EXISTS ${READ_FIXTURE_TABLE} (
       shape jsonb NOT NULL, events bigint NOT NULL, licenses bigint NOT NULL, summary jsonb NOT NULL, completed_at timestamptz NOT NULL)`,
  );
  const [where] = await store.sql.query<{ schema: string }>('SELECT current_schema() AS schema');
  const schema = where?.schema ?? '?';
  const markers = await store.sql.query<{ shape: ReadLedgerShape; summary: Summary }>(`SELECT shape, summary FROM ${READ_FIXTURE_TABLE}`);
  const same = markers.find((m) => sameShape(m.shape, plan.shape));
  if (same) return { kind: 'complete', summary: same.summary };
  if (markers.length > 0)
    throw new Error(
      `schema ${schema} holds a read fixture of another shape (${JSON.stringify(markers[0]!.shape)}), not ${JSON.stringify(plan.shape)}: ` +
        `use another schema, or DROP SCHEMA ${schema} CASCADE and generate again`,
    );
  const vendorStream = streamId.account(VENDOR_ACCOUNT_ID);
  const others = await store.sql.query<{ stream_id: string }>('SELECT stream_id FROM ledger_events WHERE stream_id <> $1 LIMIT 1', [vendorStream]);
  if (others.length > 0)
    throw new Error(
      `schema ${schema} holds events (e.g. of ${others[0]!.stream_id}) but no completed read fixture: a generation was interrupted, ` +
        `or something else wrote there. DROP SCHEMA ${schema} CASCADE (psql) and generate again`,
    );
  // The ledger may have opened its vendor account already (on its first start): keep it.
  const vendor = await store.readStream(vendorStream);
  if (vendor.events.length === 0) return { kind: 'empty', vendor: null };
  const state = vendor.events.reduce<AnyState>((s, e) => evolve('account', s, { type: e.type, data: e.data } as unknown as LedgerEvent), initialState('account')) as AccountState;
  if (state.kind !== 'vendor') throw new Error(`${vendorStream} is not the vendor's account in schema ${schema}`);
  return { kind: 'empty', vendor: state };
}

function sameShape(a: ReadLedgerShape, b: ReadLedgerShape): boolean {
  return (['partners', 'customersPerPartner', 'devicesPerCustomer', 'licenses', 'models', 'seed'] as const).every((k) => a[k] === b[k]);
}

async function hasLicenseIndex(store: EventStore): Promise<boolean> {
  const [row] = await store.sql.query<{ licenses: string | null; devices: string | null }>(
    `SELECT to_regclass('licensing_licenses')::text AS licenses, to_regclass('licensing_devices')::text AS devices`,
  );
  return Boolean(row?.licenses && row.devices);
}

async function licenseIndexEmpty(store: EventStore): Promise<boolean> {
  const rows = await store.sql.query('SELECT 1 FROM licensing_licenses LIMIT 1');
  return rows.length === 0;
}

/* ---------------------------------------------------------------- the plan */

interface Plan {
  shape: ReadLedgerShape;
  /** Short digest of the shape: in PO numbers, serials and command ids. */
  tag: string;
  models: CatalogModel[];
  licensesPerPartner: number[];
  /** Partners whose samples are kept. */
  sampled: ReadonlySet<number>;
}

function makePlan(shape: ReadLedgerShape): Plan {
  const whole = (name: keyof ReadLedgerShape, min: number) => {
    const v = shape[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`shape.${name} must be a whole number of at least ${min}, got ${v}`);
  };
  whole('partners', 1);
  whole('customersPerPartner', 1);
  whole('devicesPerCustomer', 0);
  whole('licenses', 0);
  whole('models', 1);
  if (shape.models > MODEL_CATALOG.length) throw new Error(`shape.models must be at most ${MODEL_CATALOG.length}, got ${shape.models}`);
  if (typeof shape.seed !== 'string' || shape.seed === '') throw new Error('shape.seed must be a non-empty string');
  const clean: ReadLedgerShape = {
    partners: shape.partners,
    customersPerPartner: shape.customersPerPartner,
    devicesPerCustomer: shape.devicesPerCustomer,
    licenses: shape.licenses,
    models: shape.models,
    seed: shape.seed,
  };
  const tag = digest('tag', JSON.stringify(clean)).toString('hex').slice(0, 6).toUpperCase();
  // Partners differ in size (about 0.2x to 4.5x the mean), the total is exact.
  const rng = new Rng(clean.seed, 'sizes', clean.partners, clean.licenses);
  const weights = Array.from({ length: clean.partners }, () => Math.exp(rng.next() + rng.next() + rng.next() - 1.5));
  const licensesPerPartner = apportion(clean.licenses, weights);
  // A partner's history is appended at once (what one command writes stays in one append): it must fit one append.
  const biggest = licensesPerPartner.reduce((a, b) => Math.max(a, b), 0);
  if (3.3 * biggest + clean.customersPerPartner * (1 + 4 * clean.devicesPerCustomer) > LIMITS.eventsPerAppend)
    throw new Error(`a partner of this shape gets up to ${biggest} licenses, too many for one append: use more partners (or fewer customers and devices)`);
  const k = Math.min(SAMPLE_PARTNERS, clean.partners);
  const sampled = new Set(Array.from({ length: k }, (_, i) => (k === 1 ? 0 : Math.round((i * (clean.partners - 1)) / (k - 1)))));
  return { shape: clean, tag, models: MODEL_CATALOG.slice(0, clean.models).map((m) => ({ ...m, deviceModels: [...m.deviceModels] })), licensesPerPartner, sampled };
}

/** `total` split in proportion to `weights`, whole numbers adding up to it (largest remainders). */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) parts[order[j]!.i]!++;
  return parts;
}

function estimateEvents(plan: Plan): number {
  const { partners, customersPerPartner: c, devicesPerCustomer: d, licenses } = plan.shape;
  return 1 + plan.models.length + partners * (1 + c + 2 * c * d + 30) + Math.round(licenses * (1 + 2 * ALLOCATED_SHARE + 2 * ALLOCATED_SHARE * BOUND_SHARE * 0.9));
}

function commandPrefix(plan: Plan): string {
  return `read-fixture:${plan.tag}`;
}

/* ---------------------------------------------------------------- randomness and ids */

function digest(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** sfc32, seeded from SHA-256 of the parts: fast, and the same numbers on every run. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...parts: (string | number)[]) {
    const h = digest('rng', ...parts);
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** In [0, 1). */
  next(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  weighted<T extends { share: number }>(items: readonly T[]): T {
    const total = items.reduce((a, b) => a + b.share, 0);
    let x = this.next() * total;
    for (const item of items) if ((x -= item.share) < 0) return item;
    return items[items.length - 1]!;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** A UUIDv7 for the instant `ms` whose random bits come from the parts: ids sort by time, as the ledger's do. */
function uuid7At(ms: number, ...parts: (string | number)[]): string {
  const b = digest('id', ...parts).subarray(0, 16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function keyCodeOf(...parts: (string | number)[]): string {
  const h = digest('key', ...parts);
  let payload = '';
  for (let i = 0; i < KEY_PAYLOAD_LENGTH; i++) payload += KEY_ALPHABET[h[i]! % KEY_ALPHABET.length];
  return formatKeyCode(payload);
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.round(ms / 1_000) * 1_000;

const NAME_FIRST = ['Blue', 'North', 'Silver', 'Granite', 'Cedar', 'Harbor', 'Summit', 'Maple', 'Iron', 'Pine', 'Coastal', 'Golden', 'Red', 'Eastern', 'Prairie', 'Lakeside', 'Union', 'Pioneer', 'Falcon', 'Evergreen', 'Atlas', 'Beacon', 'Crescent', 'Orchard'];
const NAME_SECOND = ['River', 'Ridge', 'Valley', 'Bridge', 'Stone', 'Field', 'Point', 'Bay', 'Grove', 'Hill', 'Creek', 'Park', 'Gate', 'Mill', 'Brook', 'Haven', 'Forge', 'Crest', 'Spring', 'Dale'];
const CUSTOMER_KINDS = ['Logistics', 'Dental', 'Hotels', 'Schools', 'Retail', 'Foods', 'Clinic', 'Storage', 'Motors', 'Pharmacy', 'Bakery', 'Fitness', 'Law', 'Farms', 'Transit', 'Housing', 'Library', 'Brewing'];
const CUSTOMER_FORMS = ['Ltd', 'Inc', 'GmbH', 'LLC', 'BV', 'SA', 'Co', 'AB'];
const PARTNER_KINDS = ['Networks', 'Systems', 'IT Solutions', 'Integration', 'Security', 'Technologies', 'Communications', 'Data'];
const REVOKE_REASONS = ['chargeback', 'order cancelled', 'fraud investigation', 'duplicate order', 'contract terminated'];

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/* ---------------------------------------------------------------- facts in memory */

/**
 * Everything the deciders may ask, held in memory (one partner's streams on
 * top of the shared vendor and models), and the events they emitted, per
 * stream in order.
 */
class LedgerMemory implements Facts {
  readonly states = new Map<string, AnyState>();
  /** Per stream, in the order first written: its events. */
  readonly streams = new Map<string, LedgerEvent[]>();
  /** Available licenses per owner and model, in pick order (lazily pruned; `dirty` when out of order). */
  private readonly queues = new Map<string, { ids: string[]; head: number; dirty: boolean; size: number }>();
  private readonly devicesByOwner = new Map<string, string[]>();
  /** Bound licenses (at some point) and customer licenses issued, for revocations. */
  readonly boundIds: string[] = [];
  readonly customerLicenseIds: string[] = [];

  constructor(private readonly base: ReadonlyMap<string, AnyState>) {}

  private state<K extends StreamKind>(kind: K, id: string): StateOf[K] {
    return (this.states.get(id) ?? this.base.get(id) ?? initialState(kind)) as StateOf[K];
  }

  account = (id: string): AccountState => this.state('account', streamId.account(id));
  model = (code: string): LicenseModelState => this.state('model', streamId.model(code));
  purchaseOrder = (poNumber: string): PurchaseOrderState => this.state('po', streamId.purchaseOrder(poNumber));
  key = (keyCode: string): KeyState => this.state('key', streamId.key(keyCode));
  license = (id: string): LicenseState => this.state('license', streamId.license(id));
  device = (id: string): DeviceState => this.state('device', streamId.device(id));
  serial = (serial: string): SerialState => this.state('serial', streamId.serial(serial));
  deployment = (id: string): DeploymentState => this.state('deployment', streamId.deployment(id));
  apiKey = (keyId: string): ApiKeyState => this.state('apikey', streamId.apiKey(keyId));

  require(): void {}

  /** Pick order of the index: earliest expiry, oldest, License ID. No key here has a forced activation date, so none expires unbound. */
  available(ownerId: string, modelCode: string, quantity: number, _now: string): AvailableLicenses {
    const queue = this.queue(ownerId, modelCode);
    if (queue.dirty) {
      const live = queue.ids.slice(queue.head).filter((id) => this.license(id).status === 'available');
      const at = new Map(live.map((id) => [id, Date.parse(this.license(id).issuedAt)]));
      live.sort((a, b) => at.get(a)! - at.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
      queue.ids = live;
      queue.head = 0;
      queue.dirty = false;
    }
    const licenseIds: string[] = [];
    for (let i = queue.head; i < queue.ids.length && licenseIds.length < quantity; i++) {
      const id = queue.ids[i]!;
      if (this.license(id).status === 'available') licenseIds.push(id);
      else if (i === queue.head) queue.head++;
    }
    return { licenseIds, available: queue.size };
  }

  /** The first available license of an owner and model in pick order, if any. */
  firstAvailable(ownerId: string, modelCode: string): string | undefined {
    return this.available(ownerId, modelCode, 1, '').licenseIds[0];
  }

  devicesOf(ownerId: string): string[] {
    return this.devicesByOwner.get(ownerId) ?? [];
  }

  private queue(ownerId: string, modelCode: string) {
    const key = `${ownerId}\t${modelCode}`;
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { ids: [], head: 0, dirty: false, size: 0 }));
    return queue;
  }

  apply(events: readonly Emitted[]): void {
    for (const [id, event] of events) {
      const kind = streamKind(id);
      const before = this.state(kind, id);
      const after = evolve(kind, before, event);
      this.states.set(id, after);
      const list = this.streams.get(id);
      if (list) list.push(event);
      else this.streams.set(id, [event]);
      if (kind === 'license') this.trackLicense(before as LicenseState, after as LicenseState);
      else if (event.type === 'DeviceRegistered') {
        const owned = this.devicesByOwner.get(event.data.ownerId);
        if (owned) owned.push(event.data.deviceId);
        else this.devicesByOwner.set(event.data.ownerId, [event.data.deviceId]);
      }
    }
  }

  private trackLicense(before: LicenseState, after: LicenseState): void {
    const was = before.exists && before.status === 'available';
    const is = after.status === 'available';
    if (was && !is) this.queue(after.ownerId, after.model.code).size--;
    if (!was && is) {
      const queue = this.queue(after.ownerId, after.model.code);
      const last = queue.ids[queue.ids.length - 1];
      if (last !== undefined) {
        const l = this.license(last);
        const t = Date.parse(l.issuedAt);
        const u = Date.parse(after.issuedAt);
        if (u < t || (u === t && after.licenseId < last)) queue.dirty = true;
      }
      queue.ids.push(after.licenseId);
      queue.size++;
      if (after.predecessorId !== null) this.customerLicenseIds.push(after.licenseId);
    }
    if (after.status === 'bound' && before.status !== 'bound') this.boundIds.push(after.licenseId);
  }

  /** Runs a decider on these facts and keeps its events; a refusal is a bug of the generator. */
  decide<C, R>(decider: Decider<C, R>, command: C): R {
    let decision;
    try {
      decision = decider.decide(command, this);
    } catch (error) {
      if (error instanceof DomainError) throw new Error(`read fixture: ${decider.name} refused (${error.code}): ${error.message}`);
      throw error;
    }
    this.apply(decision.events);
    return decision.result;
  }
}

/* ---------------------------------------------------------------- one partner */

interface PartnerLedger {
  index: number;
  partnerId: string;
  partnerName: string;
  customers: { customerId: string; name: string }[];
  purchaseOrders: { poNumber: string; keyCodes: string[] }[];
  keys: { keyCode: string; poNumber: string; modelCode: string; quantity: number }[];
  licensesClaimed: number;
  memory: LedgerMemory;
  /** Per stream: its events and how many of them go in the first append. */
  streams: Map<string, LedgerEvent[]>;
  firstPhase: Map<string, number>;
  /** Event ids: deriveId(eventSeed, n) for the n-th event of the ledger (1-based). */
  eventSeed: string;
}

interface Action {
  t: number;
  seq: number;
  run: (now: string) => void;
}

/** Vendor (unless the store has it) and the models. */
function setupLedger(plan: Plan, vendor: AccountState | null): { streams: Map<string, LedgerEvent[]>; firstPhase: Map<string, number>; states: Map<string, AnyState>; eventSeed: string } {
  const memory = new LedgerMemory(new Map(vendor ? [[streamId.account(VENDOR_ACCOUNT_ID), vendor]] : []));
  if (!vendor) memory.decide(openAccount, { now: iso(W0), accountId: VENDOR_ACCOUNT_ID, kind: 'vendor', name: 'Vendor', parentId: null, emails: [] });
  plan.models.forEach((m, i) => {
    const { share: _share, ...definition } = m;
    memory.decide(defineLicenseModel, { ...definition, now: iso(W0 + HOUR + i * MINUTE) });
  });
  const states = new Map(memory.states);
  if (vendor) states.set(streamId.account(VENDOR_ACCOUNT_ID), vendor);
  return { streams: memory.streams, firstPhase: new Map(), states, eventSeed: uuid7At(W0 - 1, plan.shape.seed, 'events', 'setup') };
}

/**
 * One partner's whole history, decided in time order: the partner and its
 * customers opened, purchase orders placed, fulfilled and claimed, devices
 * registered, allocations, bindings, revocations.
 */
function simulatePartner(plan: Plan, p: number, base: ReadonlyMap<string, AnyState>): PartnerLedger {
  const { seed, customersPerPartner, devicesPerCustomer } = plan.shape;
  const rng = new Rng(seed, 'partner', p);
  const memory = new LedgerMemory(base);
  const actions: Action[] = [];
  const at = (t: number, run: (now: string) => void) => actions.push({ t: seconds(t), seq: actions.length, run });

  const partnerOpen = W0 + DAY + rng.between(0, 120) * DAY;
  const partnerId = uuid7At(seconds(partnerOpen), seed, 'partner', p);
  const partnerName = `${rng.pick(NAME_FIRST)} ${rng.pick(NAME_SECOND)} ${rng.pick(PARTNER_KINDS)}`;
  const partnerEmail = `licensing@${slug(partnerName)}-${p}.example`;
  at(partnerOpen, (now) =>
    memory.decide(openAccount, { now, accountId: partnerId, kind: 'partner', name: partnerName, parentId: VENDOR_ACCOUNT_ID, emails: [partnerEmail] }),
  );

  const customers: { customerId: string; name: string; openedAt: number; deviceIds: string[] }[] = [];
  for (let c = 0; c < customersPerPartner; c++) {
    const openedAt = seconds(partnerOpen + HOUR + rng.between(0, 240) * DAY);
    const customerId = uuid7At(openedAt, seed, 'customer', p, c);
    const name = `${rng.pick(NAME_FIRST)} ${rng.pick(NAME_SECOND)} ${rng.pick(CUSTOMER_KINDS)} ${rng.pick(CUSTOMER_FORMS)}`;
    const emails = [`it@${slug(name)}-${p}-${c}.example`];
    customers.push({ customerId, name, openedAt, deviceIds: [] });
    at(openedAt, (now) => memory.decide(openAccount, { now, accountId: customerId, kind: 'customer', name, parentId: partnerId, emails }));
  }

  customers.forEach((customer, c) => {
    for (let d = 0; d < devicesPerCustomer; d++) {
      const registeredAt = seconds(customer.openedAt + HOUR + rng.between(0, 180) * DAY);
      const deviceId = uuid7At(registeredAt, seed, 'device', p, c, d);
      const kind = rng.weighted(DEVICE_MODELS);
      const number = (p * customersPerPartner + c) * devicesPerCustomer + d;
      const serial = `${kind.model}-${plan.tag}${String(number).padStart(8, '0')}`;
      customer.deviceIds.push(deviceId);
      at(registeredAt, (now) => memory.decide(registerDevice, { now, deviceId, ownerId: customer.customerId, serial, model: kind.model, channels: kind.channels }));
    }
  });

  // Keys: each model's share of the partner's licenses in one to four keys, on purchase orders of about two lines.
  const licenses = plan.licensesPerPartner[p] ?? 0;
  const perModel = apportion(licenses, plan.models.map((m) => m.share));
  const keyPlans: { model: CatalogModel; quantity: number }[] = [];
  plan.models.forEach((model, m) => {
    const q = perModel[m]!;
    if (q === 0) return;
    const n = Math.max(Math.ceil(q / MAX_KEY_QUANTITY), Math.min(4, Math.ceil(q / 250)));
    const parts = apportion(q, Array.from({ length: n }, () => 0.5 + rng.next()));
    for (const quantity of parts) if (quantity > 0) keyPlans.push({ model, quantity });
  });
  rng.shuffle(keyPlans);
  const orderCount = keyPlans.length === 0 ? 0 : Math.max(Math.ceil(keyPlans.length / 100), Math.ceil(keyPlans.length / 2));
  const purchaseOrders: PartnerLedger['purchaseOrders'] = [];
  const keys: PartnerLedger['keys'] = [];
  let allocations = 0;
  let binds = 0;
  for (let o = 0; o < orderCount; o++) {
    const lines = keyPlans.filter((_, k) => k % orderCount === o);
    const poNumber = `PO-${plan.tag}-${String(p).padStart(5, '0')}-${String(o + 1).padStart(3, '0')}`;
    const placedAt = seconds(partnerOpen + DAY + rng.next() * Math.max(DAY, W1 - 150 * DAY - partnerOpen - DAY));
    const fulfilledAt = seconds(placedAt + 5 * MINUTE + rng.between(0, 2) * DAY);
    const keyCodes = lines.map((_, l) => keyCodeOf(seed, p, o, l));
    purchaseOrders.push({ poNumber, keyCodes });
    at(placedAt, (now) =>
      memory.decide(placePurchaseOrder, { now, poNumber, buyerId: partnerId, deliveryEmails: [partnerEmail], lines: lines.map((k) => ({ modelCode: k.model.code, quantity: k.quantity })) }),
    );
    at(fulfilledAt, (now) => memory.decide(fulfilPurchaseOrder, { now, poNumber, keyCodes, validUntil: iso(fulfilledAt + 365 * DAY) }));
    lines.forEach((line, l) => {
      const keyCode = keyCodes[l]!;
      const claimedAt = seconds(fulfilledAt + HOUR + rng.between(0, 7) * DAY);
      keys.push({ keyCode, poNumber, modelCode: line.model.code, quantity: line.quantity });
      const licenseIdSeed = uuid7At(claimedAt, seed, 'claim', p, o, l);
      at(claimedAt, (now) => memory.decide(claimKey, { now, keyCode, accountId: partnerId, autoAssociate: false, licenseIdSeed }));

      // Part of the key goes to customers, in allocations of about ALLOCATION_SIZE; part of each is then bound.
      const toAllocate = Math.round(line.quantity * ALLOCATED_SHARE);
      const chunks = toAllocate === 0 ? [] : apportion(toAllocate, Array.from({ length: Math.max(1, Math.round(toAllocate / ALLOCATION_SIZE)) }, () => 0.5 + rng.next()));
      for (const quantity of chunks) {
        if (quantity === 0) continue;
        const customer = rng.pick(customers);
        const allocatedAt = seconds(Math.max(claimedAt, customer.openedAt) + HOUR + rng.between(0, 45) * DAY);
        const successorSeed = uuid7At(allocatedAt, seed, 'allocation', p, allocations++);
        at(allocatedAt, (now) =>
          memory.decide(allocateSeat, { now, fromAccountId: partnerId, toAccountId: customer.customerId, modelCode: line.model.code, quantity, successorSeed }),
        );
        const toBind = Math.round(quantity * BOUND_SHARE);
        for (let b = 0; b < toBind; b++) {
          const room = Math.max(0, W1 - DAY - allocatedAt - HOUR);
          const boundAt = seconds(allocatedAt + HOUR + rng.next() * Math.min(120 * DAY, room));
          const bindSeed = uuid7At(boundAt, seed, 'bind', p, binds++);
          at(boundAt, (now) => bindOne(memory, rng, customer, line.model, now, bindSeed));
        }
      }
    });
  }

  // A few revocations near the end: bound licenses (the device loses what they had left) and available ones of customers.
  const revocations = [
    ...Array.from({ length: Math.round(licenses * REVOKED_BOUND_SHARE) }, () => 'bound' as const),
    ...Array.from({ length: Math.round(licenses * REVOKED_AVAILABLE_SHARE) }, () => 'available' as const),
  ];
  for (const which of revocations) {
    const reason = rng.pick(REVOKE_REASONS);
    at(W1 - rng.between(0, 20) * DAY, (now) => revokeOne(memory, rng, which, reason, now));
  }

  actions.sort((a, b) => a.t - b.t || a.seq - b.seq);
  for (const action of actions) action.run(iso(action.t));

  const firstPhase = new Map<string, number>();
  for (const [id, events] of memory.streams) {
    let n = 0;
    while (n < events.length && PHASE_ONE.has(events[n]!.type)) n++;
    for (let i = n; i < events.length; i++)
      if (PHASE_ONE.has(events[i]!.type)) throw new Error(`read fixture: ${events[i]!.type} after ${events[n]!.type} in ${id}`);
    if (n > 0) firstPhase.set(id, n);
  }
  return {
    index: p,
    partnerId,
    partnerName,
    customers: customers.map(({ customerId, name }) => ({ customerId, name })),
    purchaseOrders,
    keys,
    licensesClaimed: licenses,
    memory,
    streams: memory.streams,
    firstPhase,
    eventSeed: uuid7At(W0 + p, seed, 'events', p),
  };
}

/** Binds the customer's first available license of the model to one of its devices it fits (random), if any. */
function bindOne(memory: LedgerMemory, rng: Rng, customer: { customerId: string; deviceIds: string[] }, model: CatalogModel, now: string, successorSeed: string): void {
  const licenseId = memory.firstAvailable(customer.customerId, model.code);
  if (licenseId === undefined) return;
  const candidates: { deviceId: string; channel: number | null }[] = [];
  for (const deviceId of customer.deviceIds) {
    const device = memory.device(deviceId);
    if (!device.exists) continue; // not registered yet
    if (model.deviceModels.length > 0 && !model.deviceModels.includes(device.model)) continue;
    if (model.bindsTo === 'channel') {
      const channel = freeChannel(device, now);
      if (channel !== null) candidates.push({ deviceId, channel });
    } else if (model.termDays !== null || device.validUntil[model.category] !== PERPETUAL) {
      candidates.push({ deviceId, channel: null });
    }
  }
  if (candidates.length === 0) return;
  const { deviceId, channel } = rng.pick(candidates);
  memory.decide(bindDevice, { now, deviceId, source: { licenseId }, channels: channel === null ? [] : [channel], successorSeed });
}

/** The first channel not covered by a license still running at `now`. */
function freeChannel(device: DeviceState, now: string): number | null {
  const t = Date.parse(now);
  for (let channel = 1; channel <= device.channels; channel++) {
    const coverage = device.channelCoverage[channel];
    if (coverage === undefined || (coverage.validUntil !== null && Date.parse(coverage.validUntil) <= t)) return channel;
  }
  return null;
}

function revokeOne(memory: LedgerMemory, rng: Rng, which: 'bound' | 'available', reason: string, now: string): void {
  const pool = which === 'bound' ? memory.boundIds : memory.customerLicenseIds;
  for (let attempt = 0; attempt < 20 && pool.length > 0; attempt++) {
    const licenseId = rng.pick(pool);
    if (memory.license(licenseId).status !== which) continue;
    memory.decide(revokeLicense, { now, licenseId, reason });
    return;
  }
}

/* ---------------------------------------------------------------- appending */

interface Writable {
  streams: Map<string, LedgerEvent[]>;
  firstPhase: Map<string, number>;
  eventSeed: string;
}

/** One ledger's streams for one phase ('all': everything, as new streams), with their events' ids. */
function appendsOf(ledger: Writable, phase: 1 | 2 | 'all'): StreamAppend[] {
  const appends: StreamAppend[] = [];
  let n = 0;
  for (const [id, events] of ledger.streams) {
    const first = ledger.firstPhase.get(id) ?? 0;
    const from = phase === 2 ? first : 0;
    const to = phase === 1 ? first : events.length;
    const offset = n;
    n += events.length;
    if (to <= from) continue;
    const out: NewEvent[] = [];
    for (let i = from; i < to; i++) {
      const event = events[i]!;
      out.push({ eventId: deriveId(ledger.eventSeed, offset + i + 1), type: event.type, data: event.data as unknown as JsonObject });
    }
    appends.push({ streamId: id, expectedVersion: from === 0 ? 'no_stream' : from, events: out });
  }
  return appends;
}

function countEvents(appends: readonly StreamAppend[]): number {
  return appends.reduce((n, a) => n + a.events.length, 0);
}

/**
 * Appends the ledgers' streams, whole ledgers per append (what the domain
 * writes in one append, e.g. LicenseBound and DeviceLicenseBound, or a
 * LicenseSuperseded and its successor's LicenseIssued, stays in one), as few
 * appends as the store's limits allow. Returns the events written.
 */
async function appendLedgers(store: EventStore, perLedger: readonly StreamAppend[][], commandId: string, counts: LedgerCounts): Promise<number> {
  let chunk: StreamAppend[] = [];
  let size = 0;
  let part = 0;
  let written = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const options: AppendOptions = { commandId: `${commandId}:${part++}`, actor: READ_FIXTURE_ACTOR, correlationId: commandId.split(':').slice(0, 2).join(':') };
    await store.append(chunk, options);
    counts.appends++;
    written += size;
    chunk = [];
    size = 0;
  };
  for (const appends of perLedger) {
    const events = countEvents(appends);
    if (events === 0) continue;
    if (events > LIMITS.eventsPerAppend || appends.length > LIMITS.streamsPerAppend)
      throw new Error(`read fixture: one partner has ${events} events in ${appends.length} streams, more than one append takes: use more partners for as many licenses`);
    if (size + events > LIMITS.eventsPerAppend || chunk.length + appends.length > LIMITS.streamsPerAppend) await flush();
    chunk.push(...appends);
    size += events;
  }
  await flush();
  return written;
}

interface RunOptions extends GenerateOptions {
  concurrency: number;
  eventsPerAppend: number;
  appendEvents: boolean;
  fillIndex: boolean;
  collect: (ledger: PartnerLedger) => void;
  progress?: (events: number) => void;
  estimate?: { total: number };
  counts?: LedgerCounts;
  base?: ReadonlyMap<string, AnyState>;
}

/** Groups of partners of about `eventsPerAppend` events, `concurrency` groups at a time, in partner order. */
async function runPartners(store: EventStore, plan: Plan, options: RunOptions): Promise<void> {
  const base = options.base ?? setupLedger(plan, null).states;
  const groups: number[][] = [];
  const { customersPerPartner: c, devicesPerCustomer: d } = plan.shape;
  let group: number[] = [];
  let size = 0;
  for (let p = 0; p < plan.shape.partners; p++) {
    const events = 3.2 * (plan.licensesPerPartner[p] ?? 0) + c * (1 + 4 * d);
    if (group.length > 0 && size + events > options.eventsPerAppend) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(p);
    size += events;
  }
  if (group.length > 0) groups.push(group);

  const counts = options.counts ?? emptyCounts(plan);
  const prefix = commandPrefix(plan);
  let next = 0;
  let done = 0;
  let written = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < groups.length) {
      const g = next++;
      const ledgers = groups[g]!.map((p) => simulatePartner(plan, p, base));
      try {
        throwIfAborted(options.signal);
        if (options.appendEvents) {
          for (const phase of [1, 2] as const) {
            throwIfAborted(options.signal);
            const events = await appendLedgers(store, ledgers.map((l) => appendsOf(l, phase)), `${prefix}:g${g}:${phase}`, counts);
            written += events;
            options.progress?.(events);
          }
        }
        if (options.fillIndex) await writeIndex(store, ledgers);
        for (const ledger of ledgers) options.collect(ledger);
        done++;
        // Estimate the rest from the groups so far.
        if (options.estimate) options.estimate.total = Math.round(written + ((written / done) * (groups.length - done)));
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, groups.length) }, worker));
  if (failure !== null) throw failure;
}

/** The write side's index rows of the ledgers' licenses and devices, as the command handler would keep them. */
async function writeIndex(store: EventStore, ledgers: readonly PartnerLedger[]): Promise<void> {
  const licenses: ReturnType<typeof licenseIndexRow>[] = [];
  const devices: ReturnType<typeof deviceIndexRow>[] = [];
  for (const ledger of ledgers)
    for (const [id, state] of ledger.memory.states) {
      if (id.startsWith('license-')) licenses.push(licenseIndexRow(state as LicenseState));
      else if (id.startsWith('device-')) devices.push(deviceIndexRow(state as DeviceState));
    }
  await store.sql.query(
    `INSERT INTO licensing_licenses (license_id, owner_id, model_code, status, expires_at, issued_at)
     SELECT "licenseId", "ownerId", "modelCode", status, "expiresAt", "issuedAt"
     FROM jsonb_to_recordset($1::text::jsonb) AS r("licenseId" text, "ownerId" text, "modelCode" text, status text, "expiresAt" timestamptz, "issuedAt" timestamptz)
     ORDER BY "licenseId" COLLATE "C"`,
    [JSON.stringify(licenses)],
  );
  if (devices.length > 0)
    await store.sql.query(
      `INSERT INTO licensing_devices (device_id, owner_id, model, registered_at)
       SELECT "deviceId", "ownerId", model, "registeredAt"
       FROM jsonb_to_recordset($1::text::jsonb) AS r("deviceId" text, "ownerId" text, model text, "registeredAt" timestamptz)
       ORDER BY "deviceId" COLLATE "C"`,
      [JSON.stringify(devices)],
    );
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('read fixture generation aborted');
}

/* ---------------------------------------------------------------- counts and samples */

function emptyCounts(plan: Plan): LedgerCounts {
  return {
    events: 0,
    licenses: 0,
    licensesClaimed: 0,
    partners: plan.shape.partners,
    customers: 0,
    devices: 0,
    purchaseOrders: 0,
    keys: 0,
    appends: 0,
    byType: {},
    byStatus: {},
  };
}

/** The counts with their keys in one order (jsonb reorders them): equal counts compare equal as JSON. */
function normalCounts(c: LedgerCounts): LedgerCounts {
  return {
    events: c.events, licenses: c.licenses, licensesClaimed: c.licensesClaimed, partners: c.partners, customers: c.customers, devices: c.devices,
    purchaseOrders: c.purchaseOrders, keys: c.keys, appends: c.appends, byType: sortedKeys(c.byType), byStatus: sortedKeys(c.byStatus),
  };
}

function sortedKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function countTypes(ledger: { streams: Map<string, LedgerEvent[]> }, counts: LedgerCounts): void {
  for (const events of ledger.streams.values()) for (const e of events) counts.byType[e.type] = (counts.byType[e.type] ?? 0) + 1;
}

function addCounts(ledger: PartnerLedger, counts: LedgerCounts): void {
  countTypes(ledger, counts);
  counts.licensesClaimed += ledger.licensesClaimed;
  counts.customers += ledger.customers.length;
  counts.purchaseOrders += ledger.purchaseOrders.length;
  counts.keys += ledger.keys.length;
  for (const [id, state] of ledger.memory.states) {
    if (id.startsWith('license-')) {
      counts.licenses++;
      const status = (state as LicenseState).status;
      counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    } else if (id.startsWith('device-')) counts.devices++;
  }
}

interface PartnerSampleSet {
  partner: PartnerSample;
  customers: CustomerSample[];
  devices: DeviceSample[];
  licenses: { [K in keyof LedgerSamples['licenses']]: LicenseSample[] };
  purchaseOrders: PurchaseOrderSample[];
  keys: KeySample[];
}

function sampleSet(ledger: PartnerLedger): PartnerSampleSet {
  const set: PartnerSampleSet = {
    partner: { partnerId: ledger.partnerId, name: ledger.partnerName, customers: ledger.customers.length, licensesClaimed: ledger.licensesClaimed },
    customers: ledger.customers.map((c) => ({ customerId: c.customerId, partnerId: ledger.partnerId, name: c.name })),
    devices: [],
    licenses: { partnerAvailable: [], customerAvailable: [], bound: [], superseded: [], revoked: [] },
    purchaseOrders: ledger.purchaseOrders.map((o) => ({ poNumber: o.poNumber, buyerId: ledger.partnerId, lines: o.keyCodes.length, keyCodes: [...o.keyCodes] })),
    keys: ledger.keys.map((k) => ({ ...k, claimedBy: ledger.partnerId })),
  };
  for (const [id, state] of ledger.memory.states) {
    if (id.startsWith('device-')) {
      const d = state as DeviceState;
      set.devices.push({
        deviceId: d.deviceId, ownerId: d.ownerId, partnerId: ledger.partnerId, serial: d.serial, model: d.model, channels: d.channels,
        validUntil: { ...d.validUntil }, licensesBound: Object.keys(d.bindings).length,
      });
    } else if (id.startsWith('license-')) {
      const l = state as LicenseState;
      const sample: LicenseSample = {
        licenseId: l.licenseId, ownerId: l.ownerId, partnerId: ledger.partnerId, modelCode: l.model.code, category: l.model.category, status: l.status,
        keyCode: l.keyCode, poNumber: l.poNumber, predecessorId: l.predecessorId, successorId: l.successor?.licenseId ?? null,
        deviceId: l.binding?.deviceId ?? null, channel: l.binding?.channel ?? null, validUntil: l.binding?.validUntil ?? null,
      };
      const list =
        l.status === 'available' ? (l.ownerId === ledger.partnerId ? set.licenses.partnerAvailable : set.licenses.customerAvailable)
        : l.status === 'bound' ? set.licenses.bound
        : l.status === 'superseded' ? set.licenses.superseded
        : l.status === 'revoked' ? set.licenses.revoked
        : null;
      list?.push(sample);
    }
  }
  return set;
}

/** At most `cap` items, taken evenly across the list. */
function spread<T>(items: readonly T[], cap: number): T[] {
  if (items.length <= cap) return [...items];
  return Array.from({ length: cap }, (_, i) => items[Math.floor((i * items.length) / cap)]!);
}

function mergeSamples(perPartner: readonly (PartnerSampleSet | undefined)[]): LedgerSamples {
  const sets = perPartner.filter((s): s is PartnerSampleSet => s !== undefined);
  const all = <T>(f: (s: PartnerSampleSet) => T[]) => sets.flatMap(f);
  const customers = all((s) => s.customers);
  return {
    partners: sets.map((s) => s.partner),
    customers: spread(customers, SAMPLE_CAP),
    devices: spread(all((s) => s.devices), SAMPLE_CAP),
    licenses: {
      partnerAvailable: spread(all((s) => s.licenses.partnerAvailable), SAMPLE_CAP),
      customerAvailable: spread(all((s) => s.licenses.customerAvailable), SAMPLE_CAP),
      bound: spread(all((s) => s.licenses.bound), SAMPLE_CAP),
      superseded: spread(all((s) => s.licenses.superseded), SAMPLE_CAP),
      revoked: spread(all((s) => s.licenses.revoked), SAMPLE_CAP),
    },
    purchaseOrders: spread(all((s) => s.purchaseOrders), SAMPLE_CAP),
    keys: spread(all((s) => s.keys), SAMPLE_CAP),
    customerNames: [...new Set(customers.map((c) => c.name))].sort(),
  };
}

function ledgerOf(plan: Plan, summary: Summary, generated: boolean, samples: LedgerSamples): GeneratedLedger {
  return {
    shape: { ...plan.shape },
    generated,
    seconds: summary.seconds,
    vendorId: VENDOR_ACCOUNT_ID,
    models: plan.models.map((m) => ({ ...m, deviceModels: [...m.deviceModels] })),
    time: { ...LEDGER_TIME },
    counts: summary.counts,
    licenseIndex: summary.licenseIndex,
    samples,
  };
}
