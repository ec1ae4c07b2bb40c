import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * Every ledger a suite starts writes its log lines to the run's log folder
 * (LEDGER_TEST_LOG_DIR, made by test/log-scan.js), which is searched for key
 * secrets and tokens once the whole run is over.
 */
export function testLogSink(label: string): { write(line: string): void; end(): Promise<void> } | undefined {
  const dir = process.env['LEDGER_TEST_LOG_DIR'];
  if (!dir) return undefined;
  const stream = createWriteStream(join(dir, `${process.pid}-${label}-${Date.now()}.log`), { flags: 'a' });
  return {
    write: (line) => void stream.write(line),
    end: () => new Promise<void>((done) => stream.end(done)),
  };
}
