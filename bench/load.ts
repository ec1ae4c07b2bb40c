/**
 * Closed-loop load for commands, and interleaved rounds of several runners:
 * the approach of harness.ts (fresh client, warm-up and one window per
 * round, order rotating, median round), for operations that may fail (an
 * HTTP command answering other than 201 is counted, not thrown) and that
 * draw on a supply prepared beforehand (a runner whose supply runs out stops
 * early instead of spinning, and says so).
 */
import { addCpu, cpuBetween, type CpuUse, sampleCpu } from './cpu';
import { formatMs, formatRate, median, percentile, throwIfInterrupted } from './harness';

/** `done`: nothing left to do (the supply ran out, or the planned count is reached). */
export type Outcome = 'ok' | 'error' | 'done';

export interface LoadSession {
  op(): Promise<Outcome>;
  close(): Promise<void>;
}

export interface LoadRunner {
  readonly name: string;
  /** A fresh client of `concurrency` connections, able to run for `seconds` (warm-up included). */
  open(concurrency: number, seconds: number): Promise<LoadSession>;
  /** Error answers by kind (e.g. `409 LICENSE_ALREADY_BOUND`), over every window so far. */
  errorsByKind?(): Record<string, number>;
}

export interface Window {
  ok: number;
  errors: number;
  seconds: number;
  /** Of the operations that succeeded. */
  latenciesMs: number[];
  /** A worker found nothing left to do before the deadline. */
  ranOut: boolean;
}

/**
 * `concurrency` workers, each starting its next operation as soon as its
 * last one ends, until `seconds` have passed or there is nothing left.
 * Operations in flight at the deadline finish and count (as in harness.ts).
 */
export async function closedLoop(op: () => Promise<Outcome>, concurrency: number, seconds: number, signal: AbortSignal): Promise<Window> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let errors = 0;
  let ranOut = false;
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  const worker = async () => {
    for (let now = performance.now(); now < deadline && !signal.aborted; ) {
      const outcome = await op();
      const ended = performance.now();
      if (outcome === 'done') {
        ranOut = true;
        return;
      }
      if (outcome === 'ok') {
        ok++;
        latenciesMs.push(ended - now);
      } else errors++;
      now = ended;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, errors, seconds: (performance.now() - started) / 1_000, latenciesMs, ranOut };
}

export interface RunnerResult {
  runner: string;
  concurrency: number;
  /** Successful operations per second of each round, in round order. */
  roundRates: number[];
  /** Median of roundRates. */
  rate: number;
  /** Over every successful operation of every measured window. */
  p50Ms: number;
  p99Ms: number;
  operations: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Rounds whose window ended early because the supply ran out. */
  roundsRanOut: number;
  /** Over the measured windows (warm-ups excluded). */
  cpu: CpuUse | null;
}

export interface RoundsPlan {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  signal: AbortSignal;
  log: (line: string) => void;
  ledgerPid: number | readonly number[];
  /** Runs before each round's runners (untimed): e.g. preparing the supply of a round. */
  beforeRound?: (round: number) => Promise<void>;
  /** Runs before each runner's window (untimed): e.g. letting background work of the one before settle. */
  beforeRunner?: () => Promise<void>;
}

export async function runRounds(runners: readonly LoadRunner[], plan: RoundsPlan): Promise<RunnerResult[]> {
  const windows = runners.map(() => [] as Window[]);
  const cpu = runners.map(() => [] as (CpuUse | null)[]);
  for (let round = 0; round < plan.rounds; round++) {
    throwIfInterrupted(plan.signal);
    await plan.beforeRound?.(round);
    for (let k = 0; k < runners.length; k++) {
      const index = (k + round) % runners.length;
      const runner = runners[index]!;
      throwIfInterrupted(plan.signal);
      await plan.beforeRunner?.();
      const session = await runner.open(plan.concurrency, plan.warmupSeconds + plan.seconds);
      let window: Window;
      try {
        const op = () => session.op();
        if (plan.warmupSeconds > 0) await closedLoop(op, plan.concurrency, plan.warmupSeconds, plan.signal);
        throwIfInterrupted(plan.signal);
        const before = sampleCpu();
        window = await closedLoop(op, plan.concurrency, plan.seconds, plan.signal);
        // Before closing: a pool's connections (PostgreSQL backends) take their CPU time with them.
        cpu[index]!.push(cpuBetween(before, sampleCpu(), plan.ledgerPid));
      } finally {
        await session.close();
      }
      windows[index]!.push(window);
      const sorted = Float64Array.from(window.latenciesMs).sort();
      plan.log(
        `  round ${round + 1}/${plan.rounds} ${runner.name}: ${formatRate(window.ok / window.seconds)}/s, ` +
          `p50 ${formatMs(percentile(sorted, 50))} ms, p99 ${formatMs(percentile(sorted, 99))} ms` +
          `${window.errors ? `, ${window.errors} errors` : ''}${window.ranOut ? `, supply ran out after ${window.seconds.toFixed(1)} s` : ''}`,
      );
    }
  }
  return runners.map((runner, i) => summarize(runner.name, plan.concurrency, windows[i]!, cpu[i]!, runner.errorsByKind?.() ?? {}));
}

export function summarize(
  name: string,
  concurrency: number,
  windows: readonly Window[],
  cpu: readonly (CpuUse | null)[],
  errorsByKind: Record<string, number>,
): RunnerResult {
  const roundRates = windows.map((w) => w.ok / w.seconds);
  const sorted = Float64Array.from(windows.flatMap((w) => w.latenciesMs)).sort();
  return {
    runner: name,
    concurrency,
    roundRates,
    rate: median(roundRates),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    operations: windows.reduce((s, w) => s + w.ok, 0),
    errors: windows.reduce((s, w) => s + w.errors, 0),
    errorsByKind,
    roundsRanOut: windows.filter((w) => w.ranOut).length,
    cpu: addCpu(cpu),
  };
}
