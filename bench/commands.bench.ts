/**
 * Command benchmark: the ledger API over HTTP, as a client sees it, on the
 * local PostgreSQL, in one run.
 *
 * The built ledger runs as a child process (its own event loop, a pool of
 * BENCH_POOL_SIZE connections, a schema made for the run); this process is
 * the load generator (keep-alive node:http, one socket per worker). Setup is
 * done over HTTP too: a partner and its customer under the vendor, a
 * device-bound term model, purchase orders fulfilled and claimed, devices
 * registered and licenses allocated to the customer.
 *
 *   A. BindDevice (one license by id to one device, both the customer's: no
 *      hand-off) at concurrency BENCH_CONCURRENCY, sent with the partner's API
 *      key, and the same to the same ledger started without its access guard
 *      (bench/unauthenticated-ledger.ts: what authentication and
 *      authorization cost), in rounds interleaved with
 *      the raw INSERT floor of bench:store at the same concurrency (and, as an
 *      HTTP baseline, GET /health: Nest, express, pino and one SELECT 1);
 *   A'. the same two at concurrency 1: the latency authentication adds (at
 *      32 the p99 is queueing that moves round to round);
 *   B. SellToEnduser of 5 licenses, partner to its customer, at concurrency 1
 *      and BENCH_SALE_CONCURRENCY: concurrent sales of one seller race for the
 *      same picked licenses, and the retries are counted;
 *   C. ClaimKey of a BENCH_CLAIM_QUANTITY-license key, end to end, a few times.
 *
 * Then a table with the targets (BindDevice >= 0.40x the floor with p99 <
 * 50 ms and no errors; the claim < 1 s), PASS or MISS, where the machine's
 * CPU went, and JSON in bench/results/commands-latest.json. The schemas are
 * dropped at the end, even when the run fails.
 *
 * Environment: DATABASE_URL, BENCH_ROUNDS (3), BENCH_SECONDS (5),
 * BENCH_WARMUP_SECONDS (1), BENCH_CONCURRENCY (32), BENCH_POOL_SIZE (20),
 * BENCH_SALES (400), BENCH_SALE_CONCURRENCY (8), BENCH_CLAIMS (3),
 * BENCH_CLAIM_QUANTITY (10000), BENCH_HEALTH_BASELINE (1),
 * BENCH_LEDGER_CPU_PROF (a folder: profile the ledger process with --cpu-prof).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { MAX_KEY_QUANTITY } from '@ledger/licensing';
import { generateApiKey } from '../apps/ledger/src/auth/credentials';
import postgres from 'postgres';
import { floorContender, suffix, type AdminSql } from './contenders';
import { addCpu, cpuBetween, type CpuUse, sampleCpu } from './cpu';
import { Interrupted, envNumber, formatMs, formatRate, formatRatio, listenForInterrupt, markdownTable, median, runRecord, throwIfInterrupted, writeJson } from './harness';
import { HttpClient, problemCode } from './http-client';
import { type BindPair, LedgerFixture, MODEL_CODE, VENDOR_ACCOUNT_ID } from './ledger-fixture';
import { type LedgerProcess, type ProjectorProcess, startLedger, startProjector } from './ledger-process';
import { closedLoop, type LoadRunner, type LoadSession, runRounds, type RunnerResult, summarize } from './load';

const SALE_QUANTITY = 5;
const SALE_WARMUP = 20;
const CLAIM_WARMUPS = 1;
const CALIBRATION_PAIRS = 1_000;
const CALIBRATION_SECONDS = 2;
/** Bind supply per round: the best rate seen, times the round's seconds, times this margin. */
const SUPPLY_MARGIN = 1.4;
/** PostgreSQL (15) flushes an idle backend's statistics at the latest this long after its last transaction. */
const STATS_FLUSH_MS = 11_000;

const TARGET_BIND_RATIO = 0.4;
const TARGET_BIND_P99_MS = 50;
const TARGET_CLAIM_MS = 1_000;
const TARGET_AUTH_RATIO = 0.95;
const TARGET_AUTH_P99_MS = 1;

interface Settings {
  databaseUrl: string;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  poolSize: number;
  sales: number;
  saleConcurrency: number;
  claims: number;
  claimQuantity: number;
  healthBaseline: boolean;
  ledgerCpuProf: string | null;
}

function readSettings(): Settings {
  const number = envNumber;
  const whole = (name: string, fallback: number, min: number, max?: number) => Math.round(number(name, fallback, min, max));
  return {
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    rounds: whole('BENCH_ROUNDS', 3, 1),
    seconds: number('BENCH_SECONDS', 5, 0.5),
    warmupSeconds: number('BENCH_WARMUP_SECONDS', 1, 0),
    concurrency: whole('BENCH_CONCURRENCY', 32, 1, 256),
    poolSize: whole('BENCH_POOL_SIZE', 20, 1, 200),
    sales: whole('BENCH_SALES', 400, 1),
    saleConcurrency: whole('BENCH_SALE_CONCURRENCY', 8, 2, 64),
    claims: whole('BENCH_CLAIMS', 3, 1, 20),
    claimQuantity: whole('BENCH_CLAIM_QUANTITY', 10_000, 1, MAX_KEY_QUANTITY),
    healthBaseline: process.env.BENCH_HEALTH_BASELINE !== '0',
    ledgerCpuProf: process.env.BENCH_LEDGER_CPU_PROF ? resolve(process.env.BENCH_LEDGER_CPU_PROF) : null,
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAverage = () => loadavg().map((l) => Math.round(l * 100) / 100);

/* ---------- environment ---------- */

interface Environment {
  /** apps/ and libs/ are work in progress: which version of them was measured. */
  ledgerVersion: string;
  node: string;
  cpus: number;
  loadAverageAtStart: number[];
  postgres: Record<string, string>;
}

async function describeEnvironment(admin: AdminSql): Promise<Environment> {
  const names = ['server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'max_connections'];
  const rows = await admin.unsafe<{ name: string; setting: string }[]>('SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name', [names]);
  return {
    ledgerVersion: ledgerVersion(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadAverage(),
    postgres: Object.fromEntries(rows.map((r) => [r.name, r.setting])),
  };
}

function ledgerVersion(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: resolve(__dirname, '..', '..'), encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'apps', 'libs') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in apps/ or libs/' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/* ---------- A: BindDevice, interleaved with the floor ---------- */

/** Devices and licenses ready to be bound, used once each; topped up between rounds. */
class BindSupply {
  private pairs: BindPair[] = [];
  private next = 0;
  /** Best bind rate seen so far (warm-ups included): sizes the next round's supply. */
  bestRate = 0;

  get left(): number {
    return this.pairs.length - this.next;
  }

  add(pairs: readonly BindPair[]): void {
    this.pairs = [...this.pairs.slice(this.next), ...pairs];
    this.next = 0;
  }

  take(): BindPair | undefined {
    return this.next < this.pairs.length ? this.pairs[this.next++] : undefined;
  }

  observe(rate: number): void {
    this.bestRate = Math.max(this.bestRate, rate);
  }
}

function countInto(counts: Record<string, number>, kind: string): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

function networkError(error: unknown): string {
  return `network ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
}

function bindRunner(name: string, baseUrl: string, supply: BindSupply, headers: Record<string, string>): LoadRunner {
  const errors: Record<string, number> = {};
  return {
    name,
    errorsByKind: () => ({ ...errors }),
    async open(concurrency): Promise<LoadSession> {
      const http = new HttpClient(baseUrl, concurrency, headers);
      let ok = 0;
      let first = 0;
      let last = 0;
      return {
        async op() {
          const pair = supply.take();
          if (!pair) return 'done';
          if (first === 0) first = performance.now();
          try {
            const answer = await http.send('POST', `/v1/devices/${pair.deviceId}/bindings`, { licenseId: pair.licenseId }, { 'idempotency-key': `bench-bind-${pair.licenseId}` });
            if (answer.status === 201) {
              ok++;
              last = performance.now();
              return 'ok';
            }
            countInto(errors, problemCode(answer.status, answer.text));
          } catch (error) {
            countInto(errors, networkError(error));
          }
          return 'error';
        },
        async close() {
          http.close();
          if (ok > 0 && last > first) supply.observe(ok / ((last - first) / 1_000));
        },
      };
    },
  };
}

function floorRunner(databaseUrl: string, admin: AdminSql) {
  const contender = floorContender(databaseUrl, admin);
  const runner: LoadRunner = {
    name: 'raw INSERT floor (bench:store)',
    async open(concurrency): Promise<LoadSession> {
      const session = await contender.open(concurrency, 1);
      return {
        async op() {
          await session.append();
          return 'ok';
        },
        close: () => session.close(),
      };
    },
  };
  return { runner, contender };
}

function healthRunner(baseUrl: string): LoadRunner {
  const errors: Record<string, number> = {};
  return {
    name: 'GET /health (HTTP baseline)',
    errorsByKind: () => ({ ...errors }),
    async open(concurrency): Promise<LoadSession> {
      const http = new HttpClient(baseUrl, concurrency);
      return {
        async op() {
          try {
            const answer = await http.send('GET', '/health');
            if (answer.status === 200) return 'ok';
            countInto(errors, String(answer.status));
          } catch (error) {
            countInto(errors, networkError(error));
          }
          return 'error';
        },
        async close() {
          http.close();
        },
      };
    },
  };
}

interface BindSuite {
  results: RunnerResult[];
  calibrationRate: number;
  pairsProvisioned: number;
  provisioningSeconds: number;
}

async function runBindSuite(settings: Settings, ledger: LedgerProcess, open: LedgerProcess, extraPids: number[], fixture: LedgerFixture, admin: AdminSql, signal: AbortSignal): Promise<BindSuite> {
  const supply = new BindSupply();
  // The same binds from one supply, as the partner with its key, and with no authentication at all.
  const binds = bindRunner('BindDevice (partner API key)', ledger.baseUrl, supply, { authorization: `Bearer ${fixture.partnerKey}` });
  const unauthenticated = bindRunner('BindDevice (no authentication)', open.baseUrl, supply, {});
  const floor = floorRunner(settings.databaseUrl, admin);
  let pairsProvisioned = 0;
  let provisioningSeconds = 0;
  const provision = async (count: number) => {
    const started = performance.now();
    supply.add(await fixture.bindPairs(count));
    const seconds = (performance.now() - started) / 1_000;
    pairsProvisioned += count;
    provisioningSeconds += seconds;
    log(`  supply: ${formatRate(count)} devices and licenses ready in ${seconds.toFixed(1)} s (${formatRate(supply.left)} unbound)`);
  };
  try {
    await floor.contender.setup();
    log(`scenario A: BindDevice with and without authentication vs ${floor.runner.name}${settings.healthBaseline ? ' vs GET /health' : ''}, concurrency ${settings.concurrency}`);
    // Calibration: sizes the first round's supply, and warms the bind path up.
    await provision(CALIBRATION_PAIRS);
    const calibration = await binds.open(settings.concurrency, CALIBRATION_SECONDS);
    try {
      await closedLoop(() => calibration.op(), settings.concurrency, CALIBRATION_SECONDS, signal);
    } finally {
      await calibration.close();
    }
    const calibrationRate = supply.bestRate;
    log(`  calibration: about ${formatRate(calibrationRate)} binds/s`);
    const runners = [binds, unauthenticated, floor.runner, ...(settings.healthBaseline ? [healthRunner(ledger.baseUrl)] : [])];
    const results = await runRounds(runners, {
      rounds: settings.rounds,
      seconds: settings.seconds,
      warmupSeconds: settings.warmupSeconds,
      concurrency: settings.concurrency,
      signal,
      log,
      ledgerPid: [ledger.pid, open.pid, ...extraPids],
      beforeRound: async () => {
        // Two runners bind from the one supply each round: with and without authentication.
        const need = 2 * (Math.ceil(supply.bestRate * (settings.seconds + settings.warmupSeconds) * SUPPLY_MARGIN) + 2 * settings.concurrency);
        if (need > supply.left) await provision(need - supply.left);
      },
      // The projector's catching up (with the supply, or the runner before) must not fall into another runner's window.
      beforeRunner: () => fixture.projectionsSettled(),
    });
    return { results, calibrationRate, pairsProvisioned, provisioningSeconds };
  } finally {
    try {
      await floor.contender.teardown();
    } catch (error) {
      process.exitCode = 1;
      log(`could not drop the floor's schema: ${(error as Error).message}`);
    }
  }
}

/* ---------- A': the latency authentication adds, one request at a time ---------- */

/**
 * At concurrency 32 the p99 is queueing: tens of milliseconds that move with
 * every round. What authentication adds to a request shows one request at a
 * time, with the two ledgers again interleaved round by round.
 */
async function runLatencySuite(settings: Settings, ledger: LedgerProcess, open: LedgerProcess, extraPids: number[], fixture: LedgerFixture, signal: AbortSignal): Promise<RunnerResult[]> {
  const supply = new BindSupply();
  const binds = bindRunner('BindDevice (partner API key)', ledger.baseUrl, supply, { authorization: `Bearer ${fixture.partnerKey}` });
  const unauthenticated = bindRunner('BindDevice (no authentication)', open.baseUrl, supply, {});
  log(`scenario A': BindDevice with and without authentication at concurrency 1, ${settings.rounds} rounds`);
  supply.add(await fixture.bindPairs(CALIBRATION_PAIRS / 4));
  const calibration = await binds.open(1, CALIBRATION_SECONDS);
  try {
    await closedLoop(() => calibration.op(), 1, CALIBRATION_SECONDS, signal);
  } finally {
    await calibration.close();
  }
  return runRounds([binds, unauthenticated], {
    rounds: settings.rounds,
    seconds: settings.seconds,
    warmupSeconds: settings.warmupSeconds,
    concurrency: 1,
    signal,
    log,
    ledgerPid: [ledger.pid, open.pid, ...extraPids],
    beforeRound: async () => {
      const need = 2 * (Math.ceil(supply.bestRate * (settings.seconds + settings.warmupSeconds) * SUPPLY_MARGIN) + 2);
      if (need > supply.left) supply.add(await fixture.bindPairs(need - supply.left));
    },
    beforeRunner: () => fixture.projectionsSettled(),
  });
}

/* ---------- B: SellToEnduser of 5, at concurrency 1 and more ---------- */

interface SaleResult extends RunnerResult {
  /** Sales sent, warm-up included (the retry count covers them too). */
  requests: number;
  /** Decisions run: one pick from the license index each (index and sequential scans of licensing_licenses). */
  attempts: number | null;
  /** attempts - requests: decisions run again after losing a race (StalePick or a version conflict). */
  retries: number | null;
  /** The partner's available licenses of the model when the level started (each pick counts them all). */
  inventoryAtStart: number;
}

/** Picks made so far in the schema: scans of licensing_licenses (by its pick index, or sequential). */
async function pickScans(admin: AdminSql, schema: string): Promise<number> {
  const [row] = await admin.unsafe<{ n: string }[]>(
    `SELECT (coalesce((SELECT sum(idx_scan) FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname = 'licensing_licenses_pick'), 0)
           + coalesce((SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'licensing_licenses'), 0))::text AS n`,
    [schema],
  );
  return Number(row?.n ?? 0);
}

/** Waits until every backend has flushed its statistics, then reads them. */
async function settledPickScans(admin: AdminSql, schema: string, signal: AbortSignal): Promise<number> {
  log(`  waiting ${STATS_FLUSH_MS / 1_000} s for PostgreSQL's statistics (the retry count)`);
  await sleep(STATS_FLUSH_MS);
  let previous = await pickScans(admin, schema);
  for (let i = 0; i < 5; i++) {
    throwIfInterrupted(signal);
    await sleep(1_000);
    const now = await pickScans(admin, schema);
    if (now === previous) return now;
    previous = now;
  }
  return previous;
}

async function runSales(
  settings: Settings,
  ledger: LedgerProcess,
  fixture: LedgerFixture,
  concurrency: number,
  signal: AbortSignal,
): Promise<Omit<SaleResult, 'attempts' | 'retries'>> {
  const requests = SALE_WARMUP + settings.sales;
  // Exactly enough: the partner's inventory runs down from this to (about) nothing.
  const inventoryAtStart = requests * SALE_QUANTITY;
  await fixture.supplyPartner(inventoryAtStart);
  const errors: Record<string, number> = {};
  const http = new HttpClient(ledger.baseUrl, concurrency, { authorization: `Bearer ${fixture.partnerKey}` });
  let sent = 0;
  let limit = SALE_WARMUP;
  const body = { buyerId: fixture.customerId, lines: [{ modelCode: MODEL_CODE, quantity: SALE_QUANTITY }] };
  const op = async () => {
    if (sent >= limit) return 'done' as const;
    sent++;
    try {
      const answer = await http.send('POST', `/v1/accounts/${fixture.partnerId}/sales`, body, { 'idempotency-key': `bench-sale-${suffix()}-${sent}` });
      if (answer.status === 201) return 'ok' as const;
      countInto(errors, problemCode(answer.status, answer.text));
    } catch (error) {
      countInto(errors, networkError(error));
    }
    return 'error' as const;
  };
  try {
    await closedLoop(op, concurrency, Number.POSITIVE_INFINITY, signal);
    const warmupErrors = Object.values(errors).reduce((s, n) => s + n, 0);
    limit = requests;
    const before = sampleCpu();
    const window = await closedLoop(op, concurrency, Number.POSITIVE_INFINITY, signal);
    const cpu = cpuBetween(before, sampleCpu(), ledger.pid);
    // The count is reached by design: not a supply running out. Errors of the warm-up count too.
    const result = summarize(`SellToEnduser x${SALE_QUANTITY}`, concurrency, [{ ...window, ranOut: false }], [cpu], { ...errors });
    result.errors += warmupErrors;
    log(
      `  concurrency ${concurrency}: ${formatRate(result.rate)} sales/s, p50 ${formatMs(result.p50Ms)} ms, p99 ${formatMs(result.p99Ms)} ms` +
        `${result.errors ? `, errors ${JSON.stringify(result.errorsByKind)}` : ''}`,
    );
    return { ...result, requests, inventoryAtStart };
  } finally {
    http.close();
  }
}

async function runSaleSuite(settings: Settings, ledger: LedgerProcess, fixture: LedgerFixture, admin: AdminSql, schema: string, signal: AbortSignal): Promise<SaleResult[]> {
  log(`scenario B: SellToEnduser of ${SALE_QUANTITY}, ${settings.sales} sales (after ${SALE_WARMUP} warm-up) at concurrency 1 and ${settings.saleConcurrency}`);
  const results: SaleResult[] = [];
  let scans: number | null = await settledPickScans(admin, schema, signal).catch(() => null);
  for (const concurrency of [1, settings.saleConcurrency]) {
    throwIfInterrupted(signal);
    const sales = await runSales(settings, ledger, fixture, concurrency, signal);
    const after = await settledPickScans(admin, schema, signal).catch(() => null);
    const attempts = scans === null || after === null ? null : after - scans;
    const retries = attempts === null ? null : attempts - sales.requests;
    log(`  concurrency ${concurrency}: ${attempts ?? '?'} decisions for ${sales.requests} sales: ${retries ?? '?'} retries`);
    results.push({ ...sales, attempts, retries });
    scans = after;
  }
  return results;
}

/* ---------- C: ClaimKey of a big key ---------- */

interface ClaimSuite {
  quantity: number;
  warmups: number;
  /** End to end, request sent to response read, of each measured claim. */
  runsMs: number[];
  medianMs: number;
  warmupMs: number[];
  /** Over the measured claims. */
  cpu: CpuUse | null;
}

async function runClaimSuite(settings: Settings, ledger: LedgerProcess, fixture: LedgerFixture, signal: AbortSignal): Promise<ClaimSuite> {
  log(`scenario C: ClaimKey of ${formatRate(settings.claimQuantity)} licenses, ${settings.claims} times (after ${CLAIM_WARMUPS} warm-up)`);
  const keys = await fixture.issueKeys(Array.from({ length: CLAIM_WARMUPS + settings.claims }, () => settings.claimQuantity));
  const runsMs: number[] = [];
  const warmupMs: number[] = [];
  const cpu: (CpuUse | null)[] = [];
  for (const [i, key] of keys.entries()) {
    throwIfInterrupted(signal);
    const before = sampleCpu();
    const started = performance.now();
    const { licenseIds } = await fixture.claim(key.keyCode, fixture.partnerId);
    const ms = performance.now() - started;
    if (i >= CLAIM_WARMUPS) cpu.push(cpuBetween(before, sampleCpu(), ledger.pid));
    if (licenseIds.length !== settings.claimQuantity) throw new Error(`claim of ${key.keyCode} issued ${licenseIds.length} licenses, not ${settings.claimQuantity}`);
    (i < CLAIM_WARMUPS ? warmupMs : runsMs).push(ms);
    log(`  claim ${i < CLAIM_WARMUPS ? 'warm-up' : `${i - CLAIM_WARMUPS + 1}/${settings.claims}`}: ${formatRate(ms)} ms`);
  }
  return { quantity: settings.claimQuantity, warmups: CLAIM_WARMUPS, runsMs, medianMs: median(runsMs), warmupMs, cpu: addCpu(cpu) };
}

/* ---------- report ---------- */

interface Target {
  target: string;
  goal: string;
  measured: string;
  pass: boolean;
}

function evaluate(settings: Settings, binds: RunnerResult, unauthenticated: RunnerResult, floor: RunnerResult, latency: readonly RunnerResult[], sales: readonly SaleResult[], claims: ClaimSuite): Target[] {
  const ratio = binds.rate / floor.rate;
  const authRatio = binds.rate / unauthenticated.rate;
  const [keyed1, open1] = latency as [RunnerResult, RunnerResult];
  const authP99 = keyed1.p99Ms - open1.p99Ms;
  return [
    {
      target: 'Authentication and authorization: BindDevice throughput, partner key vs none',
      goal: `>= ${formatRatio(TARGET_AUTH_RATIO)}`,
      measured: formatRatio(authRatio),
      pass: authRatio >= TARGET_AUTH_RATIO,
    },
    {
      target: 'Authentication and authorization: added BindDevice p99, one request at a time',
      goal: `<= ${formatMs(TARGET_AUTH_P99_MS)} ms`,
      measured: `${signed(authP99)} (p50 ${signed(keyed1.p50Ms - open1.p50Ms)})`,
      pass: authP99 <= TARGET_AUTH_P99_MS,
    },
    {
      target: `BindDevice at concurrency ${settings.concurrency} vs raw INSERT`,
      goal: `>= ${formatRatio(TARGET_BIND_RATIO)}`,
      measured: formatRatio(ratio),
      pass: ratio >= TARGET_BIND_RATIO,
    },
    { target: 'BindDevice p99', goal: `< ${TARGET_BIND_P99_MS} ms`, measured: `${formatMs(binds.p99Ms)} ms`, pass: binds.p99Ms < TARGET_BIND_P99_MS },
    { target: 'BindDevice errors', goal: '0', measured: String(binds.errors), pass: binds.errors === 0 },
    ...sales.map((s) => ({
      target: `SellToEnduser at concurrency ${s.concurrency}: every answer 201`,
      goal: '0 other',
      measured: String(s.errors),
      pass: s.errors === 0,
    })),
    {
      target: `ClaimKey of ${formatRate(claims.quantity)} licenses (median of ${claims.runsMs.length})`,
      goal: `< ${formatRate(TARGET_CLAIM_MS)} ms`,
      measured: `${formatRate(claims.medianMs)} ms`,
      pass: claims.medianMs < TARGET_CLAIM_MS,
    },
  ];
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${formatMs(ms)} ms`;

function mainTable(suite: BindSuite, latency: readonly RunnerResult[], sales: readonly SaleResult[], claims: ClaimSuite): string {
  const [binds, unauthenticated, floor, health] = suite.results as [RunnerResult, RunnerResult, RunnerResult, RunnerResult | undefined];
  const [keyed1, open1] = latency as [RunnerResult, RunnerResult];
  const ratio = binds.rate / floor.rate;
  const bindPass = ratio >= TARGET_BIND_RATIO && binds.p99Ms < TARGET_BIND_P99_MS && binds.errors === 0;
  const authRatio = binds.rate / unauthenticated.rate;
  const authPass = authRatio >= TARGET_AUTH_RATIO;
  const addedP99 = keyed1.p99Ms - open1.p99Ms;
  const rows: string[][] = [
    ['A: BindDevice, partner API key', String(binds.concurrency), formatRate(binds.rate), formatMs(binds.p50Ms), formatMs(binds.p99Ms), formatRatio(ratio), String(binds.errors), `>= ${formatRatio(TARGET_BIND_RATIO)} floor, p99 < ${TARGET_BIND_P99_MS} ms, 0 errors`, verdict(bindPass)],
    [
      'A: BindDevice, no authentication',
      String(unauthenticated.concurrency),
      formatRate(unauthenticated.rate),
      formatMs(unauthenticated.p50Ms),
      formatMs(unauthenticated.p99Ms),
      formatRatio(unauthenticated.rate / floor.rate),
      String(unauthenticated.errors),
      `keyed >= ${formatRatio(TARGET_AUTH_RATIO)} of this (got ${formatRatio(authRatio)})`,
      verdict(authPass),
    ],
    ["A': BindDevice, partner API key", '1', formatRate(keyed1.rate), formatMs(keyed1.p50Ms), formatMs(keyed1.p99Ms), '-', String(keyed1.errors), '-', '-'],
    [
      "A': BindDevice, no authentication",
      '1',
      formatRate(open1.rate),
      formatMs(open1.p50Ms),
      formatMs(open1.p99Ms),
      '-',
      String(open1.errors),
      `keyed p99 + <= ${formatMs(TARGET_AUTH_P99_MS)} ms (got ${signed(addedP99)}; p50 ${signed(keyed1.p50Ms - open1.p50Ms)})`,
      verdict(addedP99 <= TARGET_AUTH_P99_MS),
    ],
    ['A: raw INSERT floor (bench:store)', String(floor.concurrency), formatRate(floor.rate), formatMs(floor.p50Ms), formatMs(floor.p99Ms), '-', String(floor.errors), '-', '-'],
  ];
  if (health)
    rows.push(['A: GET /health (HTTP + SELECT 1)', String(health.concurrency), formatRate(health.rate), formatMs(health.p50Ms), formatMs(health.p99Ms), formatRatio(health.rate / floor.rate), String(health.errors), '-', '-']);
  for (const s of sales)
    rows.push([
      `B: SellToEnduser x${SALE_QUANTITY}`,
      String(s.concurrency),
      formatRate(s.rate),
      formatMs(s.p50Ms),
      formatMs(s.p99Ms),
      '-',
      String(s.errors),
      'every answer 201',
      verdict(s.errors === 0),
    ]);
  rows.push([
    `C: ClaimKey of ${formatRate(claims.quantity)}`,
    '1',
    formatRate(1_000 / claims.medianMs),
    `${formatRate(claims.medianMs)} (median)`,
    `${formatRate(Math.max(...claims.runsMs))} (max)`,
    '-',
    '0',
    `< ${formatRate(TARGET_CLAIM_MS)} ms`,
    verdict(claims.medianMs < TARGET_CLAIM_MS),
  ]);
  return markdownTable(['scenario', 'conc.', 'commands/s', 'p50 ms', 'p99 ms', 'vs floor', 'errors', 'target', 'result'], rows, new Set([1, 2, 3, 4, 5, 6]));
}

function roundsTable(results: readonly RunnerResult[]): string {
  return markdownTable(
    ['runner', 'per round (/s)', 'operations', 'errors by kind', 'rounds short of supply'],
    results.map((r) => [r.runner, r.roundRates.map(formatRate).join(', '), formatRate(r.operations), Object.keys(r.errorsByKind).length ? JSON.stringify(r.errorsByKind) : '-', String(r.roundsRanOut)]),
    new Set([2, 4]),
  );
}

function salesTable(sales: readonly SaleResult[]): string {
  return markdownTable(
    ['concurrency', 'sales', 'sales/s', 'licenses/s', 'p50 ms', 'p99 ms', 'decisions', 'retries', 'retries per sale', 'inventory at start', 'errors by kind'],
    sales.map((s) => [
      String(s.concurrency),
      `${s.operations} (+${SALE_WARMUP} warm-up)`,
      formatRate(s.rate),
      formatRate(s.rate * SALE_QUANTITY),
      formatMs(s.p50Ms),
      formatMs(s.p99Ms),
      s.attempts === null ? '?' : String(s.attempts),
      s.retries === null ? '?' : String(s.retries),
      s.retries === null ? '?' : (s.retries / s.requests).toFixed(2),
      formatRate(s.inventoryAtStart),
      Object.keys(s.errorsByKind).length ? JSON.stringify(s.errorsByKind) : '-',
    ]),
    new Set([0, 2, 3, 4, 5, 6, 7, 8, 9]),
  );
}

function claimsTable(claims: ClaimSuite): string {
  const rows = [
    ...claims.warmupMs.map((ms) => ['warm-up', formatRate(ms), formatRate(claims.quantity / (ms / 1_000))]),
    ...claims.runsMs.map((ms, i) => [String(i + 1), formatRate(ms), formatRate(claims.quantity / (ms / 1_000))]),
    ['median', formatRate(claims.medianMs), formatRate(claims.quantity / (claims.medianMs / 1_000))],
  ];
  return markdownTable(['claim', 'ms (end to end)', 'licenses/s'], rows, new Set([1, 2]));
}

interface CpuRow {
  name: string;
  /** Operations per second of the window(s), for CPU milliseconds per operation. */
  rate: number;
  cpu: CpuUse | null;
}

function cpuTable(rows: readonly CpuRow[]): string | null {
  if (rows.every((r) => r.cpu === null)) return null;
  const cores = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));
  const perOp = (v: number | undefined, rate: number) => (v === undefined || !(rate > 0) ? 'n/a' : formatMs((v / rate) * 1_000));
  return markdownTable(
    ['window', 'load gen.', 'ledger', 'PostgreSQL', 'kernel irq', 'other procs', 'machine', 'ledger ms/op', 'PostgreSQL ms/op', 'load gen. ms/op', 'busiest other processes'],
    rows.map(({ name, rate, cpu }) => [
      name,
      cores(cpu?.loadGenerator),
      cores(cpu?.ledger),
      cores(cpu?.postgres),
      cores(cpu?.kernel),
      cores(cpu?.other),
      cores(cpu?.machine),
      perOp(cpu?.ledger, rate),
      perOp(cpu?.postgres, rate),
      perOp(cpu?.loadGenerator, rate),
      cpu?.topOther.length ? cpu.topOther.map((o) => `${o.comm} ${o.cores.toFixed(2)}`).join(', ') : '-',
    ]),
    new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  );
}

function targetsTable(targets: readonly Target[]): string {
  return markdownTable(['target', 'goal', 'measured', 'result'], targets.map((t) => [t.target, t.goal, t.measured, verdict(t.pass)]), new Set([1, 2]));
}

/* ---------- run ---------- */


async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const settings = readSettings();
  const signal = listenForInterrupt('interrupted: finishing the current step, then stopping the ledger and dropping the schemas (Ctrl-C again to quit at once)');
  const admin = postgres(settings.databaseUrl, { max: 1, onnotice: () => undefined, connection: { application_name: 'bench-admin' } });
  const schema = `bench_commands_${suffix()}`;
  let ledger: LedgerProcess | undefined;
  let open: LedgerProcess | undefined;
  let projector: ProjectorProcess | undefined;
  let fixture: LedgerFixture | undefined;
  try {
    const env = await describeEnvironment(admin);
    log(`load average at start: ${env.loadAverageAtStart.join(' ')} (${env.cpus} CPUs)`);
    const needed = settings.concurrency + settings.poolSize + 5;
    if (Number(env.postgres.max_connections) < needed)
      throw new Error(`max_connections is ${env.postgres.max_connections}: the floor's ${settings.concurrency} connections and the ledger's ${settings.poolSize} need ${needed}`);
    log(`rounds ${settings.rounds} x ${settings.seconds} s (warm-up ${settings.warmupSeconds} s) on ${settings.databaseUrl.replace(/\/\/[^@]*@/, '//…@')}, schema ${schema}`);
    if (settings.ledgerCpuProf) mkdirSync(settings.ledgerCpuProf, { recursive: true });
    const adminKey = generateApiKey().key;
    const ledgerOptions = {
      databaseUrl: settings.databaseUrl,
      schema,
      poolSize: settings.poolSize,
      vendorAccountId: VENDOR_ACCOUNT_ID,
      nodeFlags: settings.ledgerCpuProf ? ['--cpu-prof', `--cpu-prof-dir=${settings.ledgerCpuProf}`] : [],
      // A limit that is checked on every request but never reached: its cost is part of what is measured.
      env: { LEDGER_SECRET: randomBytes(32).toString('base64url'), LEDGER_ADMIN_KEY: adminKey, RATE_LIMIT_REQUESTS: '10000000', LEDGER_PROJECTORS: 'off' },
      log,
    };
    ledger = await startLedger(ledgerOptions);
    // The same ledger without its access guard, on the same schema: the baseline of authentication's cost.
    // Neither runs projectors: one projector process follows both, so both sides of the comparison carry the same work.
    open = await startLedger({ ...ledgerOptions, unauthenticated: true, nodeFlags: [] });
    projector = startProjector({ databaseUrl: settings.databaseUrl, schema, log });
    fixture = new LedgerFixture(ledger.baseUrl, suffix(), adminKey);
    await fixture.setup();

    const bindSuite = await runBindSuite(settings, ledger, open, [projector.pid], fixture, admin, signal);
    const latency = await runLatencySuite(settings, ledger, open, [projector.pid], fixture, signal);
    const sales = await runSaleSuite(settings, ledger, fixture, admin, schema, signal);
    const claims = await runClaimSuite(settings, ledger, fixture, signal);
    const [binds, unauthenticated, floor] = bindSuite.results as [RunnerResult, RunnerResult, RunnerResult];
    const targets = evaluate(settings, binds, unauthenticated, floor, latency, sales, claims);
    const loadAverageAtEnd = loadAverage();
    const seconds = (performance.now() - started) / 1_000;

    const pgSettings = Object.entries(env.postgres).map(([k, v]) => `${k}=${v}`).join(', ');
    const cpu = cpuTable([
      ...[...bindSuite.results, ...latency].map((r) => ({ name: `${r.runner}, c${r.concurrency}`, rate: r.rate, cpu: r.cpu })),
      ...sales.map((s) => ({ name: `${s.runner}, c${s.concurrency}`, rate: s.rate, cpu: s.cpu })),
      { name: `ClaimKey of ${formatRate(claims.quantity)}, c1`, rate: claims.cpu ? claims.runsMs.length / claims.cpu.seconds : 0, cpu: claims.cpu },
    ]);
    const out = [
      '',
      '## Command benchmark',
      '',
      `Ledger: ${env.ledgerVersion}, as child processes (pool ${settings.poolSize} each, LOG_LEVEL=warn): one with its access guard (A, A', B, C), one without (A, A'), and one projector process following both (LEDGER_PROJECTORS=off in the two); "ledger" CPU is the three together. Load over HTTP/1.1 keep-alive, one socket per worker.`,
      `PostgreSQL: ${pgSettings}`,
      `Node ${env.node}, ${env.cpus} CPUs, load average at start ${env.loadAverageAtStart.join(' ')}, at end ${loadAverageAtEnd.join(' ')}`,
      `A: ${settings.rounds} rounds of ${settings.seconds} s after ${settings.warmupSeconds} s warm-up per runner (BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP_SECONDS), order rotating; ` +
        'commands/s: median over rounds; p50/p99: over every successful command of every round; vs floor: ratio of the medians.',
      `B: ${settings.sales} sales per concurrency after ${SALE_WARMUP} warm-up (BENCH_SALES). C: ${settings.claims} claims after ${CLAIM_WARMUPS} warm-up (BENCH_CLAIMS).`,
      '',
      mainTable(bindSuite, latency, sales, claims),
      '',
      '### Targets',
      '',
      targetsTable(targets),
      '',
      '### A: rounds',
      '',
      roundsTable([...bindSuite.results, ...latency]),
      '',
      `Bind supply: ${formatRate(bindSuite.pairsProvisioned)} devices and licenses prepared between rounds in ${bindSuite.provisioningSeconds.toFixed(0)} s; calibration ${formatRate(bindSuite.calibrationRate)} binds/s.`,
      '',
      '### B: sales from one partner',
      '',
      salesTable(sales),
      '',
      'decisions: picks from the license index (one per decision) counted in pg_stat_user_indexes; retries = decisions - sales (warm-up included).',
      '',
      '### C: claims',
      '',
      claimsTable(claims),
      '',
      ...(cpu
        ? [
            `### CPU during the measured windows (cores: ${env.cpus} = the whole machine)`,
            '',
            cpu,
            '',
            'From /proc: kernel irq = interrupts, softirqs (the loopback TCP of HTTP and PostgreSQL) and steal, charged to no process; ' +
              'other procs = every process but this one, the ledger and PostgreSQL (other tenants: noise).',
            '',
          ]
        : []),
      `Ledger log lines at warn or above: ${ledger.outputLines()}. Total run time: ${seconds.toFixed(0)} s`,
      '',
    ];
    process.stdout.write(out.join('\n'));

    const file = writeJson('commands-latest.json', {
      ...runRecord('commands', {
        startedAt,
        seconds,
        settings: { ...settings, saleQuantity: SALE_QUANTITY, saleWarmup: SALE_WARMUP, claimWarmups: CLAIM_WARMUPS },
        environment: env,
      }),
      bindDevice: { ...bindSuite, ratioToFloor: binds.rate / floor.rate, ratioToUnauthenticated: binds.rate / unauthenticated.rate },
      bindDeviceOneAtATime: { results: latency, addedP99Ms: latency[0]!.p99Ms - latency[1]!.p99Ms, addedP50Ms: latency[0]!.p50Ms - latency[1]!.p50Ms },
      sellToEnduser: sales,
      claimKey: claims,
      cpuTotalMeasured: addCpu([...bindSuite.results.map((r) => r.cpu), ...sales.map((s) => s.cpu), claims.cpu]),
      targets,
    });
    log(`results written to ${file}`);
    if (ledger.outputLines() > 0) log(`the ledger's last log lines:\n${ledger.recentOutput().slice(-5).join('\n')}`);
  } catch (error) {
    if (ledger && !(error instanceof Interrupted)) log(`the ledger's last log lines:\n${ledger.recentOutput().slice(-10).join('\n')}`);
    throw error;
  } finally {
    fixture?.close();
    if (projector) {
      const code = await projector.stop();
      if (code !== 0) log(`the projector exited with ${code}`);
    }
    if (open) {
      const code = await open.stop();
      if (code !== 0) log(`the unauthenticated ledger exited with ${code}`);
    }
    if (ledger) {
      const code = await ledger.stop();
      if (code !== 0) log(`the ledger exited with ${code}`);
    }
    try {
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } catch (error) {
      process.exitCode = 1;
      log(`could not drop schema ${schema}: ${(error as Error).message}`);
    }
    await admin.end({ timeout: 5 });
  }
}

main().catch((error: unknown) => {
  if (error instanceof Interrupted) log('interrupted (the ledger stopped, the schemas of the run dropped)');
  else log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = error instanceof Interrupted ? 130 : 1;
});
