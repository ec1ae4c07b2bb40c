import { type ChildProcess, spawn } from 'node:child_process';

/** A built app started as a child process, its JSON log lines collected. */
export interface Running {
  child: ChildProcess;
  /** Every line it wrote, parsed: a line that is not JSON fails the test that reads it. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Runs `main` (a file under dist/) with only PATH and `env`: nothing of the test's environment leaks in. */
export function startJsonLogging(main: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [main], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  const collect = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, lines, exited };
}
