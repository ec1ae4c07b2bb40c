/**
 * Closed-loop load and interleaved rounds: the measuring part of the store
 * benchmark, independent of what is being appended.
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

/** One contender's connection for one round: `append` is one operation. */
export interface Session {
  append(): Promise<void>;
  close(): Promise<void>;
}

export interface Contender {
  readonly name: string;
  /** A client with `concurrency` connections, each operation appending `eventsPerAppend` events to a new stream. */
  open(concurrency: number, eventsPerAppend: number): Promise<Session>;
}

export interface Scenario {
  name: string;
  concurrency: number;
  eventsPerAppend: number;
  contenders: readonly Contender[];
}

export interface RoundSettings {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface LoadResult {
  operations: number;
  seconds: number;
  latenciesMs: number[];
}

export interface ContenderResult {
  contender: string;
  /** Appends per second of each round, in round order. */
  roundRates: number[];
  /** Median of roundRates: robust to a round disturbed by another process on the machine. */
  rate: number;
  /** Over every append of every measured round. */
  p50Ms: number;
  p99Ms: number;
  operations: number;
}

export interface ScenarioResult {
  scenario: string;
  concurrency: number;
  eventsPerAppend: number;
  contenders: ContenderResult[];
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export function throwIfInterrupted(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted();
}

/**
 * `concurrency` workers, each starting its next append as soon as its last one
 * ends, until `seconds` have passed. Appends still in flight at the deadline
 * finish and count: the elapsed time runs until the last one ends, so the
 * rate is never flattered by dropping slow tails.
 */
export async function runClosedLoop(
  op: () => Promise<void>,
  concurrency: number,
  seconds: number,
  signal: AbortSignal,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  const worker = async () => {
    for (let now = performance.now(); now < deadline && !signal.aborted; ) {
      await op();
      const ended = performance.now();
      latenciesMs.push(ended - now);
      now = ended;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { operations: latenciesMs.length, seconds: (performance.now() - started) / 1_000, latenciesMs };
}

/**
 * Runs the contenders of a scenario in turns: every round gives each of them
 * a fresh client, a warm-up (connections, prepared statements, plan caches)
 * and one measured window. The order rotates from round to round so that no
 * contender always follows the same one (autovacuum, checkpoints and other
 * tenants of a shared machine then hit everyone alike).
 */
export async function runScenario(scenario: Scenario, settings: RoundSettings): Promise<ScenarioResult> {
  const { contenders, concurrency, eventsPerAppend } = scenario;
  const rates = contenders.map(() => [] as number[]);
  const latencies = contenders.map(() => [] as number[][]);
  for (let round = 0; round < settings.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (k + round) % contenders.length;
      const contender = contenders[index]!;
      throwIfInterrupted(settings.signal);
      const load = await measureOnce(contender, concurrency, eventsPerAppend, settings);
      const rate = load.operations / load.seconds;
      rates[index]!.push(rate);
      latencies[index]!.push(load.latenciesMs);
      settings.log(`  ${scenario.name} round ${round + 1}/${settings.rounds} ${contender.name}: ${formatRate(rate)} appends/s`);
    }
  }
  return {
    scenario: scenario.name,
    concurrency,
    eventsPerAppend,
    contenders: contenders.map((c, i) => summarize(c.name, rates[i]!, latencies[i]!.flat())),
  };
}

async function measureOnce(contender: Contender, concurrency: number, eventsPerAppend: number, settings: RoundSettings) {
  const session = await contender.open(concurrency, eventsPerAppend);
  try {
    const op = () => session.append();
    if (settings.warmupSeconds > 0) await runClosedLoop(op, concurrency, settings.warmupSeconds, settings.signal);
    throwIfInterrupted(settings.signal);
    return await runClosedLoop(op, concurrency, settings.seconds, settings.signal);
  } finally {
    await session.close();
  }
}

function summarize(contender: string, roundRates: number[], latenciesMs: number[]): ContenderResult {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    contender,
    roundRates,
    rate: median(roundRates),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    operations: latenciesMs.length,
  };
}

export function median(values: readonly number[]): number {
  return percentile(Float64Array.from(values).sort(), 50);
}

/** Nearest rank on an ascending array; NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function formatRate(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function formatMs(value: number): string {
  return Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : 'n/a';
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}

/** A markdown table, columns padded so that it also reads as plain text. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAligned.has(i) ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * What every results file starts with: the benchmark, when and how long it
 * ran, its settings (without the database URL, which may carry a password)
 * and the machine, with its load average at the end.
 */
export function runRecord<S extends { databaseUrl?: string }>(
  benchmark: string,
  run: { startedAt: string; seconds: number; settings: S; environment: object },
): Record<string, unknown> {
  const { databaseUrl: _url, ...settings } = run.settings;
  return {
    benchmark,
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round(run.seconds * 10) / 10,
    settings,
    environment: { ...run.environment, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
  };
}

/** Writes a run's results next to the sources (bench/results, git-ignored), whichever folder the build runs from. */
export function writeJson(fileName: string, results: object): string {
  const folder = resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(folder, { recursive: true });
  const ignore = join(folder, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n!.gitignore\n');
  const file = join(folder, fileName);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/** The first Ctrl-C asks the run to wind down (and clean up); the second quits at once. */
export function listenForInterrupt(message: string): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write(`${message}\n`);
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}

/** A numeric setting from the environment (BENCH_*), checked: a typo fails the run instead of measuring something else. */
export function envNumber(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got ${raw}`);
  return value;
}
