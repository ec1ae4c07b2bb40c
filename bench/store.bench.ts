/**
 * Store benchmark: how fast our append is next to the database's floor and
 * next to Emmett, on the local PostgreSQL, in one run.
 *
 * Appends/s, p50 and p99 latency for
 *   - the floor: a raw INSERT into a copy of ledger_events, one transaction per append;
 *   - our store's append (and, as an extra, the same with a command id);
 *   - @event-driven-io/emmett-postgresql 0.42.0;
 * for single-event appends to new streams at concurrency 1, 16 and 64, and
 * for 10-event appends at concurrency 16. Closed loop: `concurrency` workers
 * append back to back. The contenders take turns in short rounds (each with
 * a fresh client and a warm-up) and the median round counts, so that a noisy
 * neighbour on the machine costs everyone alike.
 *
 * Then, for our store on PostgreSQL and PGlite: one 10,000-event append
 * (events/s) and reading the whole feed (events/s, and whether every stored
 * event came back); and each of the issue's targets with PASS or MISS.
 *
 * The cost of the feed's wake-ups (the store's NOTIFY after each committed
 * append, coalesced): at concurrency 1 and 16, our store as it is against the
 * same store opened with notifyAppends: false, as a ratio. BENCH_ONLY=notify
 * runs this comparison alone (about 1.5 min).
 *
 * Every contender works in a schema (Emmett: a database) created for the run
 * and dropped at its end, even when it fails. Results: stdout, and JSON in
 * bench/results/store-latest.json (store-notify-latest.json with
 * BENCH_ONLY=notify).
 *
 * Environment: DATABASE_URL, BENCH_ROUNDS (5), BENCH_SECONDS (3),
 * BENCH_WARMUP_SECONDS (1), BENCH_PGLITE_DISK (1: also a PGlite folder),
 * BENCH_ONLY (unset: everything; notify: the wake-ups' cost only).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openEventStore, type EventStore } from '@ledger/event-store';
import postgres from 'postgres';
import { fillTo, measureBulkAppend, measureFeedRead, type BulkAppendResult, type FeedReadResult } from './bulk';
import { emmettContender, floorContender, oursContender, type AdminSql, type ManagedContender, type OursContender } from './contenders';
import { Interrupted, envNumber, listenForInterrupt, runRecord, runScenario, throwIfInterrupted, writeJson, type RoundSettings, type Scenario, type ScenarioResult } from './harness';
import {
  appendTable,
  bulkTable,
  compareNotify,
  evaluateTargets,
  feedChecks,
  notifyTable,
  targetsTable,
  type Names,
  type NotifyComparison,
  type TargetResult,
} from './report';

const FEED_MINIMUM = 100_000;
const BULK_WARMUPS = 2;
const BULK_REPEATS = 5;
const FEED_REPEATS = 3;
const FEED_BUDGET_SECONDS = 30;
/** The busiest round holds this many connections, plus our admin one. */
const MAX_CONCURRENCY = 64;
/** Where the wake-ups' cost is measured: one writer, and many committing at once. */
const NOTIFY_CONCURRENCIES = [1, 16] as const;

/** What BENCH_ONLY selects: everything, or the wake-ups' cost alone. */
type Only = 'all' | 'notify';

interface Settings {
  databaseUrl: string;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  pgliteDisk: boolean;
  only: Only;
}

function readOnly(): Only {
  const raw = process.env.BENCH_ONLY ?? '';
  if (raw === '' || raw === 'all') return 'all';
  if (raw === 'notify') return 'notify';
  // A typo must not quietly run the whole five minutes (or something else).
  throw new Error(`BENCH_ONLY must be notify (or unset for everything), got ${raw}`);
}

function readSettings(): Settings {
  const number = envNumber;
  return {
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    rounds: Math.round(number('BENCH_ROUNDS', 5, 1)),
    seconds: number('BENCH_SECONDS', 3, 0.1),
    warmupSeconds: number('BENCH_WARMUP_SECONDS', 1, 0),
    pgliteDisk: process.env.BENCH_PGLITE_DISK !== '0',
    only: readOnly(),
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Environment {
  /** The store is work in progress: which version of it was measured. */
  storeVersion: string;
  node: string;
  cpus: number;
  loadAverageAtStart: number[];
  postgres: Record<string, string>;
}

async function describeEnvironment(admin: AdminSql): Promise<Environment> {
  const names = ['server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'max_connections'];
  const rows = await admin.unsafe<{ name: string; setting: string }[]>(
    'SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name',
    [names],
  );
  return {
    storeVersion: storeVersion(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    postgres: Object.fromEntries(rows.map((r) => [r.name, r.setting])),
  };
}

function storeVersion(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: resolve(__dirname, '..', '..'), encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'libs/event-store') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in libs/event-store' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

interface AppendSuite {
  scenarios: ScenarioResult[];
  names: Names;
  notify: NotifyComparison[];
  pgBulk: BulkAppendResult;
  pgFeed: FeedReadResult;
}

/** Ours as it is, and the same with notifyAppends: false: what the wake-ups cost. */
function notifyPair(settings: Settings, admin: AdminSql): { ours: OursContender; oursWithoutNotify: OursContender } {
  return {
    ours: oursContender(settings.databaseUrl, admin, { withCommandId: false }),
    oursWithoutNotify: oursContender(settings.databaseUrl, admin, { withCommandId: false, notifyAppends: false }),
  };
}

/** Sets the contenders up, runs fn, and removes every contender's place again, whatever happens. */
async function withContenders<T>(all: readonly ManagedContender[], fn: () => Promise<T>): Promise<T> {
  try {
    log('setting up: schemas and migrations' + (all.some((c) => c.name.startsWith('Emmett')) ? ', Emmett database and migrations' : ''));
    for (const c of all) await c.setup();
    return await fn();
  } finally {
    for (const c of all) {
      try {
        await c.teardown();
      } catch (error) {
        process.exitCode = 1;
        log(`could not remove what ${c.name} set up: ${(error as Error).message}`);
      }
    }
  }
}

async function runPlan(plan: readonly Scenario[], rounds: RoundSettings): Promise<ScenarioResult[]> {
  const scenarios: ScenarioResult[] = [];
  for (const scenario of plan) {
    log(`scenario: ${scenario.name}`);
    scenarios.push(await runScenario(scenario, rounds));
  }
  return scenarios;
}

/** Everything on the PostgreSQL server. */
async function runOnPostgres(settings: Settings, rounds: RoundSettings, admin: AdminSql): Promise<AppendSuite> {
  const floor = floorContender(settings.databaseUrl, admin);
  const { ours, oursWithoutNotify } = notifyPair(settings, admin);
  const oursWithCommand = oursContender(settings.databaseUrl, admin, { withCommandId: true });
  const emmett = emmettContender(settings.databaseUrl, admin);
  return withContenders([floor, ours, oursWithoutNotify, oursWithCommand, emmett], async () => {
    const single = (concurrency: number, extra: ManagedContender[] = []): Scenario => ({
      name: `1 event, concurrency ${concurrency}`,
      concurrency,
      eventsPerAppend: 1,
      contenders: [floor, ours, emmett, ...extra],
    });
    const plan: Scenario[] = [
      single(1, [oursWithoutNotify]),
      single(16, [oursWithCommand, oursWithoutNotify]),
      single(MAX_CONCURRENCY),
      { name: '10 events, concurrency 16', concurrency: 16, eventsPerAppend: 10, contenders: [floor, ours, emmett] },
    ];
    const scenarios = await runPlan(plan, rounds);
    const { bulk: pgBulk, feed: pgFeed } = await withStore({ databaseUrl: settings.databaseUrl, schema: ours.schema, poolSize: 2, migrate: false }, (store) =>
      bulkAndFeed(store, 'PostgreSQL', rounds),
    );
    const notify = compareNotify(scenarios, ours.name, oursWithoutNotify.name);
    return { scenarios, names: { floor: floor.name, ours: ours.name, emmett: emmett.name }, notify, pgBulk, pgFeed };
  });
}

/** BENCH_ONLY=notify: the wake-ups' cost alone, in the same rounds and scenarios as in the full run. */
async function runNotifyOnly(settings: Settings, rounds: RoundSettings, admin: AdminSql): Promise<{ scenarios: ScenarioResult[]; notify: NotifyComparison[] }> {
  const { ours, oursWithoutNotify } = notifyPair(settings, admin);
  return withContenders([ours, oursWithoutNotify], async () => {
    const plan: Scenario[] = NOTIFY_CONCURRENCIES.map((concurrency) => ({
      name: `1 event, concurrency ${concurrency}`,
      concurrency,
      eventsPerAppend: 1,
      contenders: [ours, oursWithoutNotify],
    }));
    const scenarios = await runPlan(plan, rounds);
    return { scenarios, notify: compareNotify(scenarios, ours.name, oursWithoutNotify.name) };
  });
}

async function bulkAndFeed(store: EventStore, backend: string, rounds: RoundSettings) {
  const options = { warmups: BULK_WARMUPS, repeats: BULK_REPEATS, signal: rounds.signal, log };
  const bulk = await measureBulkAppend(store, backend, options);
  // On PostgreSQL the append scenarios normally leave more than enough; a short run, or PGlite, may not.
  await fillTo(store, FEED_MINIMUM, rounds.signal, log);
  const feed = await measureFeedRead(store, backend, { repeats: FEED_REPEATS, budgetSeconds: FEED_BUDGET_SECONDS, signal: rounds.signal, log });
  return { bulk, feed };
}

async function withStore<T>(config: Parameters<typeof openEventStore>[0], fn: (store: EventStore) => Promise<T>): Promise<T> {
  const { store } = await openEventStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function runOnPglite(settings: Settings, rounds: RoundSettings) {
  log('PGlite in memory');
  const memory = await withStore({ schema: 'bench' }, (store) => bulkAndFeed(store, 'PGlite (memory)', rounds));
  const bulk = [memory.bulk];
  if (settings.pgliteDisk) {
    throwIfInterrupted(rounds.signal);
    const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-pglite-'));
    log(`PGlite in a folder (${dataDir})`);
    try {
      const options = { warmups: BULK_WARMUPS, repeats: BULK_REPEATS, signal: rounds.signal, log };
      bulk.push(await withStore({ dataDir }, (store) => measureBulkAppend(store, 'PGlite (folder)', options)));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return { bulk, feed: memory.feed };
}


function header(settings: Settings, env: Environment): string[] {
  const pgSettings = Object.entries(env.postgres).map(([k, v]) => `${k}=${v}`).join(', ');
  return [
    `Store: ${env.storeVersion}`,
    `PostgreSQL: ${pgSettings}`,
    `Node ${env.node}, ${env.cpus} CPUs, load average at start ${env.loadAverageAtStart.join(' ')}`,
    `Rounds: ${settings.rounds} per contender and scenario, ${settings.seconds} s each after a ${settings.warmupSeconds} s warm-up (BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP_SECONDS); order rotates per round.`,
    'appends/s: median over rounds; p50/p99: over every append of every round; ratios: of the medians.',
  ];
}

const NOTIFY_NOTE =
  'Single-event appends to new streams, each contender in a schema of its own, set up alike; "notify on": the store as it is ' +
  '(a coalesced `pg_notify` on its pool after each committed append), "notify off": opened with `notifyAppends: false`. Nobody listens. ' +
  'on / off below 1.00x is what the wake-ups cost; "per round": the same ratio round by round (the two run back to back).';

function printReport(p: {
  settings: Settings;
  env: Environment;
  seconds: number;
  suite: AppendSuite;
  bulk: BulkAppendResult[];
  feeds: FeedReadResult[];
  targets: TargetResult[];
}): void {
  const out = [
    '',
    '## Event store benchmark',
    '',
    ...header(p.settings, p.env),
    '',
    '### Appends to new streams',
    '',
    appendTable(p.suite.scenarios, p.suite.names),
    '',
    '### Feed wake-ups (notifyAppends)',
    '',
    NOTIFY_NOTE,
    '',
    notifyTable(p.suite.notify),
    '',
    '### Our store: one big append, the whole feed',
    '',
    bulkTable(p.bulk, p.feeds),
    '',
    '### Targets',
    '',
    targetsTable(p.targets),
    '',
    '### Checks',
    '',
    feedChecks(p.feeds),
    '',
    `Total run time: ${p.seconds.toFixed(0)} s`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

/** BENCH_ONLY=notify: the wake-ups' cost only, on PostgreSQL. */
async function mainNotifyOnly(settings: Settings, rounds: RoundSettings, admin: AdminSql, started: number, startedAt: string): Promise<void> {
  const env = await describeEnvironment(admin);
  const { scenarios, notify } = await runNotifyOnly(settings, rounds, admin);
  const seconds = (performance.now() - started) / 1_000;
  const out = [
    '',
    '## Event store benchmark: feed wake-ups (BENCH_ONLY=notify)',
    '',
    ...header(settings, env),
    '',
    NOTIFY_NOTE,
    '',
    notifyTable(notify),
    '',
    `Total run time: ${seconds.toFixed(0)} s`,
    '',
  ];
  process.stdout.write(out.join('\n'));
  const file = writeJson('store-notify-latest.json', {
    ...runRecord('store (BENCH_ONLY=notify)', { startedAt, seconds, settings, environment: env }),
    appends: scenarios,
    notify,
  });
  log(`results written to ${file}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const settings = readSettings();
  const signal = listenForInterrupt('interrupted: finishing the current step, then cleaning up (Ctrl-C again to quit at once)');
  const rounds: RoundSettings = { rounds: settings.rounds, seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, signal, log };
  const admin = postgres(settings.databaseUrl, { max: 1, onnotice: () => undefined, connection: { application_name: 'bench-admin' } });
  let env: Environment;
  let suite: AppendSuite;
  try {
    log(`rounds ${settings.rounds} x ${settings.seconds} s (warm-up ${settings.warmupSeconds} s) on ${settings.databaseUrl.replace(/\/\/[^@]*@/, '//…@')}`);
    if (settings.only === 'notify') return await mainNotifyOnly(settings, rounds, admin, started, startedAt);
    env = await describeEnvironment(admin);
    const maxConnections = Number(env.postgres.max_connections);
    if (maxConnections < MAX_CONCURRENCY + 5)
      throw new Error(`max_connections is ${maxConnections}: the concurrency-${MAX_CONCURRENCY} rounds need at least ${MAX_CONCURRENCY + 5}`);
    suite = await runOnPostgres(settings, rounds, admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const pglite = await runOnPglite(settings, rounds);
  const bulk = [suite.pgBulk, ...pglite.bulk];
  const feeds = [suite.pgFeed, pglite.feed];
  const c16 = suite.scenarios.find((s) => s.concurrency === 16 && s.eventsPerAppend === 1);
  const targets = evaluateTargets(c16, suite.names, bulk, feeds);
  const seconds = (performance.now() - started) / 1_000;
  printReport({ settings, env, seconds, suite, bulk, feeds, targets });
  const file = writeJson('store-latest.json', {
    ...runRecord('store', { startedAt, seconds, settings, environment: env }),
    appends: suite.scenarios,
    notify: suite.notify,
    bulkAppends: bulk,
    feedReads: feeds,
    targets,
  });
  log(`results written to ${file}`);
}

main().catch((error: unknown) => {
  if (error instanceof Interrupted) log('interrupted (schemas and databases of the run removed)');
  else log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = error instanceof Interrupted ? 130 : 1;
});
