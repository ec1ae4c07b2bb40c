/**
 * Jest globalSetup / globalTeardown: the logs of every ledger the run started
 * (test/log-capture.ts) must hold no API key, no bearer token and no server
 * secret. The scan fails the run; a run that logged nothing has nothing to scan.
 */
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const SECRETS = [
  ['an API key', /ldg_[0-9a-z]{12}_[A-Za-z0-9_-]{43}/],
  ['a bearer token (JWT)', /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/],
  ['the ledger secret of the tests', /test-secret-[A-Za-z0-9_-]{20,}/],
];

async function setup() {
  process.env.LEDGER_TEST_LOG_DIR = mkdtempSync(join(tmpdir(), 'ledger-test-logs-'));
}

async function teardown() {
  const dir = process.env.LEDGER_TEST_LOG_DIR;
  if (!dir) return;
  try {
    const files = readdirSync(dir);
    if (files.length === 0) return;
    let lines = 0;
    let redacted = 0;
    const found = [];
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      lines += text.split('\n').length - 1;
      redacted += text.split('[redacted]').length - 1;
      for (const [what, pattern] of SECRETS) {
        const match = pattern.exec(text);
        if (!match) continue;
        // Where it was, with the secret itself cut short: enough to find the leak, not to use it.
        const line = text.slice(text.lastIndexOf('\n', match.index) + 1, text.indexOf('\n', match.index));
        found.push(`${what} in ${file}: ${line.replace(match[0], `${match[0].slice(0, 20)}…`).slice(0, 600)}`);
      }
    }
    process.stdout.write(`log scan: ${files.length} ledger logs, ${lines} lines, ${redacted} redactions, ${found.length} secrets found\n`);
    if (found.length > 0) throw new Error(`the logs hold secrets: ${found.join('; ')}`);
    // Proof the scan looked at logs of authenticated requests, not at an empty capture.
    if (redacted === 0) throw new Error('the logs hold no redacted credential: the capture did not see the authenticated requests');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { setup, teardown };
