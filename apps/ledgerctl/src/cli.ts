/** What every ledgerctl command shares: exit codes, usage errors, output lines. */

export const EXIT = { ok: 0, differs: 1, usage: 2, failed: 3 } as const;

/** The command line or a setting is wrong: usage is printed and the exit code is 2. */
export class UsageError extends Error {}

export const out = (line = '') => process.stdout.write(`${line}\n`);
export const err = (line = '') => process.stderr.write(`${line}\n`);
