/**
 * npm run bench:read: the read side on the local PostgreSQL, over a generated
 * ledger (bench/read-fixture.ts; 1,000,000 licenses, about 3,000,000 events
 * at BENCH_READ_SCALE=1):
 *   1. rebuild rate of every projector, beside the raw feed read (the floor);
 *   2. live projection delay while commands arrive at BENCH_COMMAND_RATE/s,
 *      with the projectors inside the API process (the embedded topology)
 *      and in their own process (apps/projector, the PostgreSQL topology);
 *   3. latency of each query of a mix offered at BENCH_QUERY_RATE requests/s
 *      in all (an open loop: constant arrivals, latency counted from each
 *      request's scheduled start, so queueing shows), beside GET /health
 *      alone at the same rate;
 *   4. saturation throughput of the query mix at BENCH_SATURATION_CONNECTIONS
 *      connections, beside GET /health at the same concurrency.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { FEED_START, type EventStore } from '@ledger/event-store';
import { LEDGER_READ_MODELS, createGeneration, migrateReadModels, readGenerations, rebuildReadModel } from '@ledger/read-models';
import { type CpuUse, cpuBetween, sampleCpu } from './cpu';
import { envNumber, formatMs, formatRate, formatRatio, listenForInterrupt, markdownTable, percentile, writeJson } from './harness';
import { HttpClient } from './http-client';
import { type LedgerProcess, freePort, startLedger } from './ledger-process';
import { FULL_SHAPE, type GeneratedLedger, VENDOR_ACCOUNT_ID, generateReadLedger, openBenchStore, scaleShape } from './read-fixture';

const log = (line: string) => process.stderr.write(`${line}\n`);
const signal = listenForInterrupt('interrupted: finishing the current step');
const databaseUrl = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

const settings = {
  scale: envNumber('BENCH_READ_SCALE', 1, 0.0001, 10),
  schema: process.env['BENCH_READ_SCHEMA'] || 'bench_read',
  seconds: envNumber('BENCH_SECONDS', 20, 2, 600),
  commandRate: envNumber('BENCH_COMMAND_RATE', 500, 1, 100_000),
  queryRate: envNumber('BENCH_QUERY_RATE', 1_000, 1, 100_000),
  saturationConnections: envNumber('BENCH_SATURATION_CONNECTIONS', 200, 1, 2_000),
  batchSize: envNumber('BENCH_REBUILD_BATCH', 5_000, 100, 10_000),
  /** 0: skip the rebuilds (the read models of an earlier run serve), for working on the later steps. */
  rebuild: envNumber('BENCH_READ_REBUILD', 1, 0, 1) === 1,
};

const TARGETS = { rebuildPerSecond: 30_000, lagP99Ms: 250, queryP99Ms: 25, saturationPerSecond: 2_500 };

interface Stats {
  count: number;
  errors: number;
  p50: number;
  p99: number;
}
const stats = (latencies: number[], errors: number): Stats => {
  const sorted = Float64Array.from(latencies).sort();
  return { count: latencies.length, errors, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

/* ------------------------------------------------------------------ 1. rebuild */

async function measureFeedRead(store: EventStore): Promise<{ events: number; seconds: number; rate: number }> {
  const started = performance.now();
  let after = FEED_START;
  let events = 0;
  for (;;) {
    signal.throwIfAborted();
    const read = await store.readFeed({ after, limit: settings.batchSize });
    events += read.events.length;
    after = read.checkpoint;
    if (read.events.length < settings.batchSize) break;
  }
  const seconds = (performance.now() - started) / 1_000;
  return { events, seconds, rate: events / seconds };
}

async function measureRebuilds(store: EventStore, totalEvents: number) {
  await migrateReadModels(store);
  const results: { projector: string; events: number; seconds: number; rate: number }[] = [];
  for (const model of LEDGER_READ_MODELS) {
    signal.throwIfAborted();
    if (!(await readGenerations(store.sql, model.name)).some((g) => g.status === 'live')) await createGeneration(store, model);
    let lastLog = 0;
    const report = await rebuildReadModel(store, model, {
      batchSize: settings.batchSize,
      signal,
      onProgress: (p) => {
        if (performance.now() - lastLog < 5_000) return;
        lastLog = performance.now();
        log(`  rebuild ${model.name}: ${p.eventsApplied.toLocaleString('en-US')} / ${totalEvents.toLocaleString('en-US')} events`);
      },
    });
    results.push({ projector: model.name, events: report.eventsApplied, seconds: report.seconds, rate: report.eventsApplied / report.seconds });
    log(`  rebuild ${model.name}: ${formatRate(report.eventsApplied / report.seconds)} events/s (${report.seconds.toFixed(1)} s)`);
  }
  return results;
}

/* ------------------------------------------------------------------ load */

/** Constant arrivals: request i starts at i / rate, whatever the earlier ones are doing. */
async function openLoop(rate: number, seconds: number, op: (i: number) => Promise<boolean>): Promise<{ latencies: number[]; errors: number; sent: number; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const total = Math.floor(rate * seconds);
  const inFlight = new Set<Promise<void>>();
  while (sent < total && !signal.aborted) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) / 1_000) * rate) + 1);
    for (; sent < due; sent++) {
      const scheduled = started + (sent / rate) * 1_000;
      const i = sent;
      const p = op(i)
        .then((ok) => {
          if (ok) latencies.push(performance.now() - scheduled);
          else errors++;
        })
        .catch(() => {
          errors++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  return { latencies, errors, sent, seconds: (performance.now() - started) / 1_000 };
}

async function closedLoop(concurrency: number, seconds: number, op: (i: number) => Promise<boolean>): Promise<{ ok: number; errors: number; rate: number }> {
  let ok = 0;
  let errors = 0;
  let i = 0;
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && !signal.aborted) {
        if (await op(i++).catch(() => false)) ok++;
        else errors++;
      }
    }),
  );
  return { ok, errors, rate: ok / ((performance.now() - started) / 1_000) };
}

/* ------------------------------------------------------------------ queries */

type QueryName = 'inventory' | 'device view' | 'search' | 'license history';
const QUERY_NAMES: readonly QueryName[] = ['inventory', 'device view', 'search', 'license history'];

function queryPaths(ledger: GeneratedLedger): Record<QueryName, (i: number) => string> {
  const s = ledger.samples;
  const licenses = [...s.licenses.bound, ...s.licenses.superseded, ...s.licenses.customerAvailable];
  const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
  return {
    inventory: (i) => `/v1/accounts/${pick(s.partners, i).partnerId}/inventory?limit=50`,
    'device view': (i) => `/v1/devices/${pick(s.devices, i).deviceId}`,
    search: (i) => `/v1/search?q=${encodeURIComponent(pick(s.customerNames, i).split(' ')[0]!.toLowerCase())}&limit=20`,
    'license history': (i) => `/v1/licenses/${pick(licenses, i).licenseId}/history`,
  };
}

/** Parses the cumulative buckets of one histogram (summed over labels) from Prometheus text. */
function histogram(text: string, name: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/** A quantile of the difference of two cumulative histograms, interpolated linearly inside its bucket. */
function histogramQuantile(before: Map<number, number>, after: Map<number, number>, q: number): { value: number; count: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const count = cumulative[cumulative.length - 1] ?? 0;
  if (count === 0) return { value: Number.NaN, count };
  const rank = q * count;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i]! >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      if (!Number.isFinite(upper)) return { value: lower, count };
      const below = i === 0 ? 0 : cumulative[i - 1]!;
      const inBucket = cumulative[i]! - below;
      return { value: lower + (upper - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket), count };
    }
  }
  return { value: bounds[bounds.length - 2] ?? Number.NaN, count };
}

/* ------------------------------------------------------------------ processes */

const PROJECTOR_MAIN = resolve(__dirname, '..', 'apps', 'projector', 'src', 'main.js');

function startApi(projectors: 'on' | 'off'): Promise<LedgerProcess> {
  return startLedger({
    databaseUrl,
    schema: settings.schema,
    poolSize: 10,
    vendorAccountId: VENDOR_ACCOUNT_ID,
    env: { LEDGER_PROJECTORS: projectors },
    log,
  });
}

/** apps/projector on the bench schema, its metrics on a port of its own. */
async function startProjector(): Promise<{ scrape(): Promise<{ status: number; text: string }>; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', PROJECTOR_MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: settings.schema,
      DATABASE_POOL_SIZE: '4',
      HOST: '127.0.0.1',
      PROJECTOR_METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return { status: res.status, text: await res.text() };
  };
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`the projector exited with ${child.exitCode}`);
    if ((await scrape().catch(() => ({ status: 0 }))).status === 200) break;
    if (waited > 30_000) throw new Error('the projector did not serve its metrics within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`projector started as process ${child.pid} (metrics on port ${port})`);
  return {
    scrape,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface DelayResult {
  p50: number;
  p99: number;
  events: number;
  achieved: number;
  commands: Stats;
}

/** RegisterDevice at the offered rate; the delay of every event projected meanwhile, from the histogram `scrape` reads. */
async function measureDelay(client: HttpClient, ledger: GeneratedLedger, scrape: () => Promise<{ text: string }>): Promise<DelayResult> {
  log(`2. live projection delay under ${settings.commandRate} commands/s (RegisterDevice) for ${settings.seconds} s`);
  const customers = ledger.samples.customers;
  await waitForProjectors(client);
  const before = histogram((await scrape()).text, 'ledger_projection_delay_seconds');
  const run = randomUUID().slice(0, 8);
  const commands = await openLoop(settings.commandRate, settings.seconds, async (i) => {
    const answer = await client.send('POST', '/v1/devices', { ownerId: customers[i % customers.length]!.customerId, serial: `BR-${run}-${i}`, model: 'BENCH-AP' });
    return answer.status === 201;
  });
  await waitForProjectors(client);
  const after = histogram((await scrape()).text, 'ledger_projection_delay_seconds');
  const p50 = histogramQuantile(before, after, 0.5);
  const p99 = histogramQuantile(before, after, 0.99);
  const achieved = commands.latencies.length / commands.seconds;
  log(`  ${formatRate(achieved)} commands/s answered 201 (${commands.errors} errors); delay p50 ${formatMs(p50.value * 1_000)} ms, p99 ${formatMs(p99.value * 1_000)} ms over ${p99.count} projected events`);
  return { p50: p50.value * 1_000, p99: p99.value * 1_000, events: p99.count, achieved, commands: stats(commands.latencies, commands.errors) };
}

/** Until every read model has applied everything committed (at most 60 s). */
async function waitForProjectors(client: HttpClient): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 200) {
    const status = JSON.parse((await client.send('GET', '/v1/projections')).text) as { projections: { lagEvents: number }[] };
    if (status.projections.every((p) => p.lagEvents === 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  log('  the projectors did not catch up within 60 s');
}

/* ------------------------------------------------------------------ main */

async function main(): Promise<void> {
  const shape = settings.scale === 1 ? { ...FULL_SHAPE } : scaleShape({ ...FULL_SHAPE }, settings.scale);
  log(`bench:read on ${databaseUrl.replace(/:[^:@/]+@/, ':***@')} schema ${settings.schema}: ${shape.licenses.toLocaleString('en-US')} licenses, ${shape.partners} partners`);
  const store = await openBenchStore(settings.schema, { databaseUrl, poolSize: 4 });
  let ledger: GeneratedLedger;
  try {
    let lastLog = 0;
    ledger = await generateReadLedger(store, shape, {
      signal,
      onProgress: (written, total) => {
        if (performance.now() - lastLog < 10_000) return;
        lastLog = performance.now();
        log(`  generating: ${written.toLocaleString('en-US')} / ~${total.toLocaleString('en-US')} events`);
      },
    });
    log(`ledger ${ledger.generated ? `generated in ${ledger.seconds.toFixed(0)} s` : 'found (generated earlier)'}: ${ledger.counts.events.toLocaleString('en-US')} events, ${ledger.counts.licenses.toLocaleString('en-US')} licenses, ${ledger.counts.devices.toLocaleString('en-US')} devices`);

    // A bulk load leaves the store's tables without statistics until autovacuum gets to them: plans would guess.
    for (const table of ['ledger_events', 'ledger_streams', 'ledger_commands', 'licensing_licenses', 'licensing_devices']) {
      await store.sql.query(`ANALYZE ${table}`).catch(() => undefined);
    }
    log(settings.rebuild ? '1. rebuild: the raw feed read first (the floor), then every projector' : '1. rebuild: skipped (BENCH_READ_REBUILD=0)');
    const feed = settings.rebuild ? await measureFeedRead(store) : { events: 0, seconds: 0, rate: Number.NaN };
    if (settings.rebuild) log(`  feed read: ${formatRate(feed.rate)} events/s`);
    const rebuilds = settings.rebuild ? await measureRebuilds(store, feed.events) : [];
    const rebuildTotal = { events: rebuilds.reduce((a, r) => a + r.events, 0), seconds: rebuilds.reduce((a, r) => a + r.seconds, 0) };
    await store.close();

    const delays: Record<'in the API process' | 'own process', DelayResult> = {} as never;
    {
      const api = await startApi('on');
      const client = new HttpClient(api.baseUrl, 1_000);
      try {
        delays['in the API process'] = await measureDelay(client, ledger, () => client.send('GET', '/metrics'));
      } finally {
        client.close();
        await api.stop();
      }
    }
    const api = await startApi('off');
    const projector = await startProjector();
    const client = new HttpClient(api.baseUrl, Math.max(settings.saturationConnections, 1_000));
    try {
      const ok = async (path: string) => (await client.send('GET', path)).status === 200;
      const paths = queryPaths(ledger);
      delays['own process'] = await measureDelay(client, ledger, () => projector.scrape());
      // Warm the caches and JIT, and check every query answers.
      for (const name of QUERY_NAMES) for (let i = 0; i < 50; i++) if (!(await ok(paths[name](i)))) throw new Error(`${name} ${paths[name](i)} did not answer 200`);

      log(`3. the query mix, open loop at ${settings.queryRate}/s in all for ${settings.seconds} s, then GET /health alone at the same rate`);
      const byQuery = new Map<QueryName, number[]>(QUERY_NAMES.map((n) => [n, []]));
      const errorKinds: Record<string, number> = {};
      const mixed = await openLoop(settings.queryRate, settings.seconds, async (i) => {
        const name = QUERY_NAMES[i % QUERY_NAMES.length]!;
        const started = performance.now();
        const answered = await client.send('GET', paths[name](Math.floor(i / QUERY_NAMES.length))).then(
          (a) => a.status === 200 || ((errorKinds[String(a.status)] = (errorKinds[String(a.status)] ?? 0) + 1), false),
          (e: Error) => ((errorKinds[e.message] = (errorKinds[e.message] ?? 0) + 1), false),
        );
        if (answered) byQuery.get(name)!.push(performance.now() - started);
        return answered;
      });
      const queryLatency: Record<string, Stats & { rate: number }> = {};
      queryLatency['mix'] = { ...stats(mixed.latencies, mixed.errors), rate: mixed.latencies.length / mixed.seconds };
      const health = await openLoop(settings.queryRate, settings.seconds, () => ok('/health'));
      queryLatency['health'] = { ...stats(health.latencies, health.errors), rate: health.latencies.length / health.seconds };
      if (mixed.errors > 0) log(`  errors of the mix by kind: ${JSON.stringify(errorKinds)}`);
      for (const name of ['mix', 'health']) log(`  ${name}: p50 ${formatMs(queryLatency[name]!.p50)} ms, p99 ${formatMs(queryLatency[name]!.p99)} ms, ${queryLatency[name]!.errors} errors`);
      // Per query: from the moment it was sent (the mix's latencies above also count any wait for its turn).
      const perQuery = Object.fromEntries(QUERY_NAMES.map((name) => [name, stats(byQuery.get(name)!, 0)])) as Record<QueryName, Stats>;

      log(`4. saturation at ${settings.saturationConnections} connections, ${settings.seconds} s each`);
      const cpuBefore = sampleCpu();
      const saturation = await closedLoop(settings.saturationConnections, settings.seconds, (i) =>
        ok(paths[QUERY_NAMES[i % QUERY_NAMES.length]!](Math.floor(i / QUERY_NAMES.length))),
      );
      const cpuMix = cpuBetween(cpuBefore, sampleCpu(), api.pid);
      const cpuBetweenRuns = sampleCpu();
      const healthSaturation = await closedLoop(settings.saturationConnections, settings.seconds, () => ok('/health'));
      const cpuHealth = cpuBetween(cpuBetweenRuns, sampleCpu(), api.pid);
      log(`  mix ${formatRate(saturation.rate)}/s (${saturation.errors} errors), /health ${formatRate(healthSaturation.rate)}/s`);
      /** CPU milliseconds per answered request: where a request's cost goes. */
      const perRequest = (use: CpuUse | null, done: { ok: number }) =>
        use && done.ok > 0
          ? `ledger ${formatMs((use.ledger * use.seconds * 1_000) / done.ok)}, PostgreSQL ${formatMs((use.postgres * use.seconds * 1_000) / done.ok)}, load generator ${formatMs((use.loadGenerator * use.seconds * 1_000) / done.ok)}, other ${use.other.toFixed(2)} cores`
          : 'n/a';
      log(`  CPU ms per request: mix ${perRequest(cpuMix, saturation)}; /health ${perRequest(cpuHealth, healthSaturation)}`);

      const pass = (good: boolean) => (good ? 'PASS' : 'MISS');
      const rebuildRate = rebuildTotal.events / rebuildTotal.seconds;
      const table = markdownTable(
        ['measure', 'result', 'baseline', 'ratio', 'target', ''],
        [
          ...rebuilds.map((r) => [`rebuild ${r.projector} (feed events/s)`, formatRate(r.rate), `feed read ${formatRate(feed.rate)}`, formatRatio(r.rate / feed.rate), `>= ${formatRate(TARGETS.rebuildPerSecond)}`, pass(r.rate >= TARGETS.rebuildPerSecond)]),
          ...(rebuilds.length === 0 ? [] : [['rebuild, all projectors (events/s)', formatRate(rebuildRate), `feed read ${formatRate(feed.rate)}`, formatRatio(rebuildRate / feed.rate), `>= ${formatRate(TARGETS.rebuildPerSecond)}`, pass(rebuildRate >= TARGETS.rebuildPerSecond)]]),
          ...Object.entries(delays).flatMap(([where, d]) => [
            [`projection delay p50 / p99, projectors ${where}, ${settings.commandRate} cmd/s offered (${formatRate(d.achieved)} done)`, `${formatMs(d.p50)} / ${formatMs(d.p99)} ms`, '', '', `p99 < ${TARGETS.lagP99Ms} ms`, pass(d.p99 < TARGETS.lagP99Ms)],
            [`  RegisterDevice p50 / p99 (from scheduled start), projectors ${where}`, `${formatMs(d.commands.p50)} / ${formatMs(d.commands.p99)} ms`, '', '', '', ''],
          ]),
          ...QUERY_NAMES.map((name) => {
            const q = perQuery[name];
            const h = queryLatency['health']!;
            return [`${name} p50 / p99, in the mix at ${settings.queryRate}/s`, `${formatMs(q.p50)} / ${formatMs(q.p99)} ms`, `/health ${formatMs(h.p50)} / ${formatMs(h.p99)} ms`, formatRatio(q.p99 / h.p99), `p99 < ${TARGETS.queryP99Ms} ms`, pass(q.p99 < TARGETS.queryP99Ms && mixed.errors === 0)];
          }),
          (() => {
            const q = queryLatency['mix']!;
            const h = queryLatency['health']!;
            return [`the mix p50 / p99 (from scheduled start) at ${settings.queryRate}/s`, `${formatMs(q.p50)} / ${formatMs(q.p99)} ms`, `/health ${formatMs(h.p50)} / ${formatMs(h.p99)} ms`, formatRatio(q.p99 / h.p99), `p99 < ${TARGETS.queryP99Ms} ms`, pass(q.p99 < TARGETS.queryP99Ms && q.errors === 0)];
          })(),
          [`  CPU ms per request at saturation: the mix`, perRequest(cpuMix, saturation), '', '', '', ''],
          [`  CPU ms per request at saturation: /health`, perRequest(cpuHealth, healthSaturation), '', '', '', ''],
          [`saturation, query mix at ${settings.saturationConnections} connections`, `${formatRate(saturation.rate)}/s`, `/health ${formatRate(healthSaturation.rate)}/s`, formatRatio(saturation.rate / healthSaturation.rate), `>= ${formatRate(TARGETS.saturationPerSecond)}/s`, pass(saturation.rate >= TARGETS.saturationPerSecond && saturation.errors === 0)],
        ],
        new Set([1, 3]),
      );
      process.stdout.write(`\n${table}\n\n`);
      const file = writeJson(`read-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, {
        settings, shape, counts: ledger.counts, feed, rebuilds, delays, queryLatency, perQuery, saturation, healthSaturation, cpuMix, cpuHealth, table,
      });
      log(`results written to ${file}`);
    } finally {
      client.close();
      await projector.stop();
      await api.stop();
    }
  } finally {
    await store.close().catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:read failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
