/**
 * The built ledger as an operator runs it (`npm start` runs this same file
 * after building): start, answer, stop cleanly on SIGTERM, refuse bad settings.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateApiKey } from '../apps/ledger/src/auth/credentials';
import { DEFAULT_VENDOR } from '../apps/ledger/src/config/ledger.config';
import { type Running, startJsonLogging } from './child-process';

const MAIN = resolve(__dirname, '../dist/apps/ledger/src/main.js');
/**
 * The bootstrap admin key of every ledger started here: without LEDGER_ADMIN_KEY a ledger with no key
 * prints its first one in a banner meant for a terminal, and every line here must be JSON.
 */
const ADMIN_KEY = generateApiKey().key;

function start(env: Record<string, string>): Running {
  return startJsonLogging(MAIN, { PORT: '0', HOST: '127.0.0.1', LEDGER_ADMIN_KEY: ADMIN_KEY, ...env });
}

async function waitForLine(running: Running, predicate: (line: Record<string, unknown>) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = running.lines.find(predicate);
    if (found) return found;
    if (running.child.exitCode !== null) throw new Error(`exited early: ${JSON.stringify(running.lines)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no such log line within ${ms} ms: ${JSON.stringify(running.lines)}`);
}

describe('the ledger process', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
  });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ledger-proc-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on the embedded store, answers /health, and stops cleanly on SIGTERM', async () => {
    const ledger = start({ LEDGER_DATA_DIR: dataDir });
    children.push(ledger.child);
    const listening = await waitForLine(ledger, (l) => l['msg'] === 'ledger listening');
    const res = await fetch(`http://127.0.0.1:${listening['port']}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', store: { backend: 'pglite', reachable: true } });
    expect(existsSync(join(dataDir, 'ledger.lock'))).toBe(true);
    // LEDGER_ADMIN_KEY was recorded: it opens the API; nothing else does.
    const vendor = `http://127.0.0.1:${listening['port']}/v1/accounts/${DEFAULT_VENDOR.accountId}`;
    const authed = await fetch(vendor, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
    expect(authed.status).toBe(200);
    expect(await authed.json()).toMatchObject({ accountId: DEFAULT_VENDOR.accountId, kind: 'vendor' });
    expect((await fetch(vendor)).status).toBe(401);
    expect(ledger.lines).toContainEqual(expect.objectContaining({ msg: 'bootstrap admin API key recorded from LEDGER_ADMIN_KEY', keyId: ADMIN_KEY.slice(4, 16) }));
    // Its secret part is never logged.
    expect(JSON.stringify(ledger.lines)).not.toContain(ADMIN_KEY.slice(17));

    ledger.child.kill('SIGTERM');
    expect(await ledger.exited).toBe(0);
    const messages = ledger.lines.map((l) => l['msg']);
    expect(ledger.plain).toEqual([]);
    expect(messages).toEqual(expect.arrayContaining(['shutting down', 'event store closed', 'stopped']));
    expect(messages.indexOf('event store closed')).toBeLessThan(messages.indexOf('stopped'));
    expect(existsSync(join(dataDir, 'ledger.lock'))).toBe(false);
  });

  it('without LEDGER_ADMIN_KEY, creates the first admin key and prints it once, never into the JSON logs', async () => {
    const first = start({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_KEY: '' });
    children.push(first.child);
    const listening = await waitForLine(first, (l) => l['msg'] === 'ledger listening');
    const printed = first.plain.join('\n').match(/ldg_[0-9a-z]{12}_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(new Set(printed).size).toBe(1);
    const key = printed[0]!;
    expect(first.plain.join('\n')).toContain('shown this once only');
    expect(JSON.stringify(first.lines)).not.toContain(key.slice(17));
    expect(first.lines).toContainEqual(expect.objectContaining({ msg: 'first admin API key created', keyId: key.slice(4, 16) }));
    // The server secret was made once, readable by its owner only.
    expect(statSync(join(dataDir, 'ledger-secret')).mode & 0o777).toBe(0o600);
    const vendor = (port: unknown) => `http://127.0.0.1:${port}/v1/accounts/${DEFAULT_VENDOR.accountId}`;
    expect((await fetch(vendor(listening['port']), { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // The second start prints nothing: the ledger has a key; the printed one still opens it.
    const again = start({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_KEY: '' });
    children.push(again.child);
    const relistening = await waitForLine(again, (l) => l['msg'] === 'ledger listening');
    expect(again.plain).toEqual([]);
    expect((await fetch(vendor(relistening['port']), { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('refuses a second ledger on the same data folder, with a JSON reason and a non-zero exit', async () => {
    const first = start({ LEDGER_DATA_DIR: dataDir });
    children.push(first.child);
    await waitForLine(first, (l) => l['msg'] === 'ledger listening');
    const second = start({ LEDGER_DATA_DIR: dataDir });
    children.push(second.child);
    expect(await second.exited).toBe(1);
    expect(second.lines).toContainEqual(expect.objectContaining({ level: 'fatal', code: 'DATA_DIR_LOCKED' }));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('refuses to start with invalid settings and names each one', async () => {
    const ledger = start({ LEDGER_DATA_DIR: dataDir, PORT: 'http', LOG_LEVEL: 'chatty' });
    children.push(ledger.child);
    expect(await ledger.exited).toBe(1);
    const [line] = ledger.lines;
    expect(line).toMatchObject({ level: 'fatal', code: 'INVALID_CONFIGURATION' });
    expect(line!['problems']).toEqual([expect.stringContaining('LOG_LEVEL'), expect.stringContaining('PORT')]);
  });

  it('refuses a malformed LEDGER_ADMIN_KEY and a short LEDGER_SECRET without echoing either', async () => {
    const badKey = `${ADMIN_KEY.slice(0, 17)}hunter2`;
    const shortSecret = 'short-secret-hunter3';
    const ledger = start({ LEDGER_DATA_DIR: dataDir, LEDGER_ADMIN_KEY: badKey, LEDGER_SECRET: shortSecret });
    children.push(ledger.child);
    expect(await ledger.exited).toBe(1);
    const [line] = ledger.lines;
    expect(line).toMatchObject({ level: 'fatal', code: 'INVALID_CONFIGURATION' });
    expect(line!['problems']).toEqual([expect.stringContaining('LEDGER_SECRET'), expect.stringContaining('LEDGER_ADMIN_KEY')]);
    const output = JSON.stringify(ledger.lines);
    expect(output).not.toContain('hunter2');
    expect(output).not.toContain('hunter3');
  });
});
