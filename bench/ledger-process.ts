/**
 * The built ledger API as a child process of the benchmark, so that the load
 * generator and the server each have an event loop of their own (as a client
 * and a deployed server would).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Compiled to dist/bench: the ledger's entry point is beside it in dist/apps. */
export const LEDGER_MAIN = resolve(__dirname, '..', 'apps', 'ledger', 'src', 'main.js');
/** The same ledger with its access guard admitting every request: the baseline of authentication's cost. */
export const UNAUTHENTICATED_LEDGER_MAIN = resolve(__dirname, 'unauthenticated-ledger.js');

export interface LedgerProcessOptions {
  databaseUrl: string;
  schema: string;
  poolSize: number;
  vendorAccountId: string;
  /** Extra Node flags for the child, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Extra settings for the child (e.g. LEDGER_PROJECTORS, LEDGER_SECRET, LEDGER_ADMIN_KEY). */
  env?: Record<string, string>;
  /** Run bench/unauthenticated-ledger.ts instead of the ledger's main. */
  unauthenticated?: boolean;
  log: (line: string) => void;
}

export interface LedgerProcess {
  readonly baseUrl: string;
  readonly pid: number;
  /** The child's last lines of output (JSON logs at warn and above), for a failure report. */
  recentOutput(): string[];
  /** Lines of output seen in all (at LOG_LEVEL=warn: warnings, such as 4xx answers, and errors). */
  outputLines(): number;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Removes the temporary folder. */
  stop(graceMs?: number): Promise<number | null>;
}

/** A port nobody listens on right now (PORT=0 would do, but at LOG_LEVEL=warn the ledger does not log the port it got). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

const KEEP_LINES = 40;

export async function startLedger(options: LedgerProcessOptions): Promise<LedgerProcess> {
  const main = options.unauthenticated ? UNAUTHENTICATED_LEDGER_MAIN : LEDGER_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (npm run bench:commands does)`);
  const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-commands-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeFlags ?? []), '--enable-source-maps', main], {
    cwd: folder,
    env: {
      PATH: process.env['PATH'] ?? '',
      DATABASE_URL: options.databaseUrl,
      DATABASE_SCHEMA: options.schema,
      DATABASE_POOL_SIZE: String(options.poolSize),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LEDGER_DATA_DIR: join(folder, 'data'),
      LEDGER_SIGNING_KEY_FILE: join(folder, 'signing-key.pem'),
      LEDGER_VENDOR_ACCOUNT_ID: options.vendorAccountId,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  let seen = 0;
  let partial = '';
  const collect = (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      seen++;
      recent.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (recent.length > KEEP_LINES) recent.shift();
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const baseUrl = `http://127.0.0.1:${port}`;

  const stop = async (graceMs = 15_000) => {
    try {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child.exitCode;
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };

  try {
    await waitForHealth(baseUrl, child, 60_000);
  } catch (error) {
    await stop(2_000);
    throw new Error(`${(error as Error).message}; its last output:\n${recent.join('\n')}`);
  }
  options.log(`ledger API${options.unauthenticated ? ' (no authentication)' : ''} started as process ${child.pid} on ${baseUrl} (schema ${options.schema}, pool ${options.poolSize})`);
  return { baseUrl, pid: child.pid!, recentOutput: () => [...recent], outputLines: () => seen, stop };
}

async function waitForHealth(baseUrl: string, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the ledger exited with code ${child.exitCode} before answering /health`);
    try {
      const res = await fetch(`${baseUrl}/health`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the ledger did not answer GET /health with 200 within ${ms / 1_000} s`);
}

/** The built projector process (apps/projector) on the same schema: the read models of both ledger processes of a run. */
export const PROJECTOR_MAIN = resolve(__dirname, '..', 'apps', 'projector', 'src', 'main.js');

export interface ProjectorProcess {
  readonly pid: number;
  stop(graceMs?: number): Promise<number | null>;
}

export function startProjector(options: Pick<LedgerProcessOptions, 'databaseUrl' | 'schema' | 'log'>): ProjectorProcess {
  if (!existsSync(PROJECTOR_MAIN)) throw new Error(`${PROJECTOR_MAIN} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, ['--enable-source-maps', PROJECTOR_MAIN], {
    env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: options.databaseUrl, DATABASE_SCHEMA: options.schema, DATABASE_POOL_SIZE: '4', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  options.log(`projector started as process ${child.pid} (schema ${options.schema})`);
  return {
    pid: child.pid!,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
