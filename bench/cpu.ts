/**
 * Where the machine's CPU went during a measured window, from /proc (Linux
 * only; elsewhere every sample is null): this benchmark (the load
 * generator), the ledger process, PostgreSQL's processes, and everything
 * else on the machine (other tenants: the noise).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  atMs: number;
  /** Ticks of every process by pid, with its command name. */
  processes: Map<number, { comm: string; ticks: number }>;
  /** user + nice + system: time some process was charged for. */
  machineProcesses: number;
  /** irq + softirq + steal: time charged to no process (loopback TCP is mostly softirq) or taken by the hypervisor. */
  machineKernel: number;
}

/** CPU used over a window, in cores (CPU seconds per second), and per operation. */
export interface CpuUse {
  seconds: number;
  loadGenerator: number;
  ledger: number;
  postgres: number;
  /** Every other process: other tenants of the machine, i.e. noise. */
  other: number;
  /** Interrupts, softirqs (the loopback network) and steal: charged to no process. */
  kernel: number;
  machine: number;
  /** The busiest other processes (`comm` summed over pids), in cores. */
  topOther: { comm: string; cores: number }[];
}

export function sampleCpu(): CpuSample | null {
  try {
    const processes = new Map<number, { comm: string; ticks: number }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      // Fields 14 and 15 of the line (utime, stime) are 11 and 12 after comm.
      processes.set(Number(name), { comm: stat.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    }
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return { atMs: performance.now(), processes, machineProcesses: user + nice + system, machineKernel: irq + softirq + steal };
  } catch {
    return null;
  }
}

/** Processes started during the window count whole; processes gone before its end are lost (sample before closing pools). */
export function cpuBetween(before: CpuSample | null, after: CpuSample | null, ledgerPids: number | readonly number[]): CpuUse | null {
  if (!before || !after) return null;
  // Several ledger processes (bench:commands runs one with and one without authentication) count as the ledger together.
  const ledgers = new Set([ledgerPids].flat());
  const seconds = (after.atMs - before.atMs) / 1_000;
  const delta = (pid: number) => {
    const a = after.processes.get(pid);
    return a ? a.ticks - (before.processes.get(pid)?.ticks ?? 0) : 0;
  };
  let postgres = 0;
  const others = new Map<string, number>();
  for (const [pid, p] of after.processes) {
    if (p.comm === 'postgres') postgres += delta(pid);
    else if (pid !== process.pid && !ledgers.has(pid)) others.set(p.comm, (others.get(p.comm) ?? 0) + delta(pid));
  }
  const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
  const loadGenerator = cores(delta(process.pid));
  const ledger = cores([...ledgers].reduce((sum, pid) => sum + delta(pid), 0));
  const pg = cores(postgres);
  const charged = cores(after.machineProcesses - before.machineProcesses);
  const kernel = cores(after.machineKernel - before.machineKernel);
  const topOther = [...others]
    .map(([comm, ticks]) => ({ comm, cores: Math.round(cores(ticks) * 100) / 100 }))
    .filter((o) => o.cores >= 0.02)
    .sort((a, b) => b.cores - a.cores)
    .slice(0, 3);
  return { seconds, loadGenerator, ledger, postgres: pg, other: Math.max(0, charged - loadGenerator - ledger - pg), kernel, machine: charged + kernel, topOther };
}

/** Sums windows, weighting each by its length. */
export function addCpu(uses: readonly (CpuUse | null)[]): CpuUse | null {
  const present = uses.filter((u): u is CpuUse => u !== null);
  if (present.length === 0) return null;
  const seconds = present.reduce((s, u) => s + u.seconds, 0);
  const mean = (key: 'loadGenerator' | 'ledger' | 'postgres' | 'other' | 'kernel' | 'machine') => present.reduce((s, u) => s + u[key] * u.seconds, 0) / seconds;
  const others = new Map<string, number>();
  for (const u of present) for (const o of u.topOther) others.set(o.comm, (others.get(o.comm) ?? 0) + o.cores * u.seconds);
  const topOther = [...others]
    .map(([comm, cpuSeconds]) => ({ comm, cores: Math.round((cpuSeconds / seconds) * 100) / 100 }))
    .sort((a, b) => b.cores - a.cores)
    .slice(0, 3);
  return {
    seconds,
    loadGenerator: mean('loadGenerator'),
    ledger: mean('ledger'),
    postgres: mean('postgres'),
    other: mean('other'),
    kernel: mean('kernel'),
    machine: mean('machine'),
    topOther,
  };
}
