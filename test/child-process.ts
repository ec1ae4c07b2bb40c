import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { testLogSink } from './log-capture';

/** A built app started as a child process, its JSON log lines collected. */
export interface Running {
  child: ChildProcess;
  /** Every JSON line it wrote, parsed. */
  lines: Record<string, unknown>[];
  /** Lines that are not JSON (only the first admin key's banner should ever be). */
  plain: string[];
  exited: Promise<number | null>;
}

/** Runs `main` (a file under dist/) with only PATH and `env`: nothing of the test's environment leaks in. */
export function startJsonLogging(main: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [main], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const plain: string[] = [];
  // Its JSON log lines join the run's log scan (test/log-scan.js); the plain lines are the key banner, printed on purpose.
  const sink = testLogSink(`child-${basename(main, '.js')}`);
  let buffered = '';
  const collect = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
        sink?.write(`${part}\n`);
      } catch {
        plain.push(part);
      }
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  void exited.then(() => sink?.end());
  return { child, lines, plain, exited };
}

/** A command's whole run: its exit code and everything it wrote. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `main` (a file under dist/) to its end with only PATH and `env`, e.g. a ledgerctl command. */
export function runToEnd(main: string, env: Record<string, string>, args: readonly string[]): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [main, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
