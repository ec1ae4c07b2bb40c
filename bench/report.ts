/**
 * Turning the store benchmark's numbers into tables, ratios and the verdict
 * on each target of the issue.
 */
import type { BulkAppendResult, FeedReadResult } from './bulk';
import { formatMs, formatRate, formatRatio, markdownTable, type ContenderResult, type ScenarioResult } from './harness';

export interface TargetResult {
  target: string;
  measured: number;
  goal: number;
  unit: 'ratio' | 'events/s';
  pass: boolean;
}

export interface Names {
  floor: string;
  ours: string;
  emmett: string;
}

function find(scenario: ScenarioResult, name: string): ContenderResult | undefined {
  return scenario.contenders.find((c) => c.contender === name);
}

export function appendTable(scenarios: readonly ScenarioResult[], names: Names): string {
  const rows: string[][] = [];
  for (const s of scenarios) {
    const floor = find(s, names.floor);
    const emmett = find(s, names.emmett);
    for (const c of s.contenders) {
      rows.push([
        s.scenario,
        c.contender,
        formatRate(c.rate),
        `${formatRate(Math.min(...c.roundRates))}-${formatRate(Math.max(...c.roundRates))}`,
        formatMs(c.p50Ms),
        formatMs(c.p99Ms),
        c === floor || !floor ? '-' : formatRatio(c.rate / floor.rate),
        c === emmett || !emmett ? '-' : formatRatio(c.rate / emmett.rate),
      ]);
    }
  }
  return markdownTable(
    ['scenario', 'contender', 'appends/s (median)', 'rounds min-max', 'p50 ms', 'p99 ms', 'vs floor', 'vs Emmett'],
    rows,
    new Set([2, 3, 4, 5, 6, 7]),
  );
}

export function bulkTable(bulk: readonly BulkAppendResult[], feeds: readonly FeedReadResult[]): string {
  const rows = [
    ...bulk.map((b) => [
      `one ${formatRate(b.events)}-event append`,
      b.backend,
      formatRate(b.median),
      formatRate(b.min),
      `${b.runs.length} (+${b.warmups} warm-up)`,
    ]),
    ...feeds.map((f) => [
      `whole feed, ${formatRate(f.eventsRead)} events${f.eventsRead < f.storedEvents ? ` of ${formatRate(f.storedEvents)} stored` : ''}, batches of ${formatRate(f.batch)}`,
      f.backend,
      formatRate(f.median),
      formatRate(f.min),
      String(f.runs.length),
    ]),
  ];
  return markdownTable(['measurement', 'backend', 'events/s (median)', 'min', 'runs'], rows, new Set([2, 3, 4]));
}

export function evaluateTargets(
  c16: ScenarioResult | undefined,
  names: Names,
  bulk: readonly BulkAppendResult[],
  feeds: readonly FeedReadResult[],
): TargetResult[] {
  const targets: TargetResult[] = [];
  const ratio = (target: string, a: ContenderResult | undefined, b: ContenderResult | undefined, goal: number) => {
    const measured = a && b ? a.rate / b.rate : Number.NaN;
    targets.push({ target, measured, goal, unit: 'ratio', pass: measured >= goal });
  };
  if (c16) {
    ratio('ours at concurrency 16 vs raw INSERT', find(c16, names.ours), find(c16, names.floor), 0.85);
    ratio('ours at concurrency 16 vs Emmett', find(c16, names.ours), find(c16, names.emmett), 2);
  }
  for (const b of bulk)
    targets.push({ target: `10,000-event append, ${b.backend}`, measured: b.median, goal: 50_000, unit: 'events/s', pass: b.median >= 50_000 });
  for (const f of feeds)
    targets.push({ target: `feed read, ${f.backend}`, measured: f.median, goal: 100_000, unit: 'events/s', pass: f.median >= 100_000 });
  return targets;
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const show = (t: TargetResult, value: number) => (t.unit === 'ratio' ? formatRatio(value) : `${formatRate(value)} events/s`);
  const rows = targets.map((t) => [
    t.target,
    `>= ${show(t, t.goal)}`,
    show(t, t.measured),
    t.pass ? 'PASS' : `MISS (${Number.isFinite(t.measured) ? `${((1 - t.measured / t.goal) * 100).toFixed(1)}% short` : 'not measured'})`,
  ]);
  return markdownTable(['target', 'goal', 'measured', 'result'], rows, new Set([1, 2]));
}

/** Not a target of the issue, but a feed that loses events makes its speed moot. */
export function feedChecks(feeds: readonly FeedReadResult[]): string {
  return feeds
    .map((f) =>
      f.eventsRead === f.storedEvents
        ? `- whole feed, ${f.backend}: every one of ${formatRate(f.storedEvents)} stored events read: PASS`
        : `- whole feed, ${f.backend}: read ${formatRate(f.eventsRead)} of ${formatRate(f.storedEvents)} stored events: FAIL ` +
          `(${formatRate(f.storedEvents - f.eventsRead)} missing; see the log above the tables for held back vs skipped)`,
    )
    .join('\n');
}

/** The store announcing its appends (notifyAppends, the default) against the same store with it off, in one scenario. */
export interface NotifyComparison {
  scenario: string;
  concurrency: number;
  withNotify: ContenderResult;
  withoutNotify: ContenderResult;
  /** withNotify.rate / withoutNotify.rate: of the medians, like every ratio here. */
  ratio: number;
  /** The same ratio round by round (the two ran back to back in each round). */
  roundRatios: number[];
}

export function compareNotify(scenarios: readonly ScenarioResult[], withName: string, withoutName: string): NotifyComparison[] {
  const comparisons: NotifyComparison[] = [];
  for (const s of scenarios) {
    const withNotify = find(s, withName);
    const withoutNotify = find(s, withoutName);
    if (!withNotify || !withoutNotify) continue;
    comparisons.push({
      scenario: s.scenario,
      concurrency: s.concurrency,
      withNotify,
      withoutNotify,
      ratio: withNotify.rate / withoutNotify.rate,
      roundRatios: withNotify.roundRates.map((rate, i) => rate / withoutNotify.roundRates[i]!),
    });
  }
  return comparisons;
}

export function notifyTable(comparisons: readonly NotifyComparison[]): string {
  const rows = comparisons.map((c) => [
    c.scenario,
    formatRate(c.withNotify.rate),
    formatRate(c.withoutNotify.rate),
    formatRatio(c.ratio),
    `${formatRatio(Math.min(...c.roundRatios))}-${formatRatio(Math.max(...c.roundRatios))}`,
    `${formatMs(c.withNotify.p50Ms)} / ${formatMs(c.withoutNotify.p50Ms)}`,
    `${formatMs(c.withNotify.p99Ms)} / ${formatMs(c.withoutNotify.p99Ms)}`,
  ]);
  return markdownTable(
    ['scenario', 'notify on appends/s', 'notify off appends/s', 'on / off', 'per round', 'p50 ms on / off', 'p99 ms on / off'],
    rows,
    new Set([1, 2, 3, 4, 5, 6]),
  );
}
