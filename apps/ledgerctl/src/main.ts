/**
 * ledgerctl: the operators' and auditors' command line (docs/operations.md).
 * A plain Node program on the ledger's store settings: DATABASE_URL (with
 * DATABASE_SCHEMA, DATABASE_POOL_SIZE) or, without it, the PGlite folder
 * LEDGER_DATA_DIR (default ./data), which one process only can open.
 *
 * Exit codes: 0 done / everything matches; 1 a verification found a
 * difference; 2 usage; 3 the command failed (store unavailable, locked...)
 * or the ledger refused it (keys: a JSON line {error, message} on stderr).
 * `keys` (API keys) lives in keys.ts.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type EventStore,
  FEED_START,
  type FeedCheckpoint,
  type RecordedEvent,
  type VerifyReport,
  formatFeedCheckpoint,
  parseFeedCheckpoint,
} from '@ledger/event-store';
import { type LedgerEvent, ROLES, fold, streamKind } from '@ledger/licensing';
import {
  LEDGER_READ_MODELS,
  type ReadModel,
  type ReadModelVerifyReport,
  migrateReadModels,
  rebuildReadModel,
  verifyReadModel,
} from '@ledger/read-models';
import { EXIT, UsageError, err, out } from './cli';
import { keys } from './keys';
import { Progress } from './progress';
import { type StoreSettings, openStore, storeSettings } from './store';

const USAGE = `Usage: ledgerctl <command> [options]

Commands:
  verify                         hash chains of every stream, and every read model against a rebuild
  rebuild <projector> | --all    rebuild read models from position 0 and swap them in
  replay --stream ID [--as-of T] a stream's events up to T (ISO instant or global position) and its folded state, as JSON
  export [--after CHECKPOINT] [--output FILE]
                                 the event log in feed order as NDJSON (stdout by default)
  migrate                        apply the store's, the write-side index's and the read models' migrations
  keys create --account ID --role ROLE --name NAME [--device ID] [--server ID] [--expires ISO] [--quiet]
                                 record a new API key (granted as admin: whoever runs ledgerctl has the database) and print
                                 it ONCE: {"keyId","prefix","key","accountId","role","name","expiresAt"} on one line, or with
                                 --quiet the key alone. --device for device keys only, --server for license-server keys only
  keys list [--account ID] [--limit N]
                                 API keys by key id as NDJSON (all of them without --limit); never a key or its digest
  keys revoke KEYID [--reason TEXT]
                                 revoke a key (KEYID: the 12 characters after ldg_, or ldg_<KEYID>); prints {"keyId","revokedAt"};
                                 refused from the next request on, in every ledger process. Revoking again changes nothing
  keys generate                  print a fresh, well-formed API key and record nothing (for LEDGER_ADMIN_KEY)

Projectors: ${LEDGER_READ_MODELS.map((m) => m.name).join(', ')}
Roles: ${ROLES.join(', ')} (admin and auditor keys belong to the vendor's account only)
Store: DATABASE_URL (+ DATABASE_SCHEMA, DATABASE_POOL_SIZE), or the PGlite folder LEDGER_DATA_DIR (default ./data).
A PGlite folder can be open in one process only: stop the ledger first.
API key secret (keys create only): LEDGER_SECRET, the ledger's own (32 characters or more); unset, on the PGlite store only,
  the file <LEDGER_DATA_DIR>/ledger-secret the ledger uses. DATABASE_URL and NODE_ENV=production need LEDGER_SECRET.
Exit codes: 0 ok, 1 a verification found differences, 2 usage (a flag or setting of ledgerctl's is missing or wrong,
  LEDGER_SECRET included), 3 the command failed: the store was unavailable or locked, or the ledger refused the command
  (then stderr has one line {"error": CODE, "message": ...}, e.g. ROLE_NOT_FOR_ACCOUNT, ACCOUNT_NOT_FOUND, API_KEY_NOT_FOUND,
  INVALID_COMMAND).
`;

/** Scratch schema of a verification: per store schema, so verifying two schemas of one server at once cannot collide. */
function scratchSchema(schema: string, model: ReadModel): string {
  const name = schema === 'public' ? `ledger_verify_${model.name}` : `${schema}_verify_${model.name}`;
  return name.length <= 63 ? name : `ledger_verify_${model.name}_${Buffer.from(schema).toString('hex').slice(-16)}`.slice(0, 63);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

// ------------------------------------------------------------------ verify

async function verify(store: EventStore, schema: string): Promise<number> {
  const head = await store.headPosition();
  const chains = new Progress('verify hash chains', head);
  const report: VerifyReport = await store.verify({ maxFailures: 1_000, onProgress: (n) => chains.update(n) });
  chains.finish(`${report.eventsChecked.toLocaleString('en-US')} events in ${report.streamsChecked.toLocaleString('en-US')} streams`);

  const models: ReadModelVerifyReport[] = [];
  for (const model of LEDGER_READ_MODELS) {
    const progress = new Progress(`verify read model ${model.name}`, head);
    const r = await verifyReadModel(store, model, { scratchSchema: scratchSchema(schema, model), onProgress: (n) => progress.update(n) });
    progress.finish(`${r.eventsReplayed.toLocaleString('en-US')} events replayed`);
    models.push(r);
  }

  // An empty log with no projector run yet is not a difference: there is nothing to project.
  for (const m of models) if (m.problem === 'no live generation' && report.eventsChecked === 0) Object.assign(m, { ok: true, problem: 'no live generation (empty log)' });
  const rows: string[][] = [['CHECK', 'RESULT', 'DETAIL']];
  rows.push([
    'event store hash chains',
    report.ok ? 'ok' : 'DIFFERS',
    `${report.streamsChecked} streams, ${report.eventsChecked} events${report.ok ? '' : `, ${report.failures.length} failure(s)`}`,
  ]);
  for (const m of models) {
    if (m.problem) {
      rows.push([`read model ${m.projector}`, m.ok ? 'ok' : 'DIFFERS', m.problem]);
      continue;
    }
    for (const t of m.tables) {
      const same = t.liveDigest === t.rebuiltDigest;
      rows.push([
        `read model ${m.projector}: ${t.table}`,
        same ? 'ok' : 'DIFFERS',
        `${t.liveRows} rows live, ${t.rebuiltRows} rebuilt at position ${m.checkpoint.position}${same ? '' : `; differing keys: ${t.differingKeys.join(', ')}`}`,
      ]);
    }
  }
  out(table(rows));

  const ok = report.ok && models.every((m) => m.ok);
  if (!report.ok) {
    out();
    out('Streams that no longer match their hash chain:');
    out(table([['STREAM', 'POSITION', 'REASON'], ...report.failures.map((f) => [f.streamId, String(f.streamPosition), f.reason])]));
  }
  const differing = models.filter((m) => !m.ok);
  if (differing.length > 0) {
    out();
    out('Read-model tables that differ from a rebuild (fix: ledgerctl rebuild <projector>):');
    for (const m of differing)
      for (const t of m.tables.filter((t) => t.liveDigest !== t.rebuiltDigest)) out(`  ${m.projector}: ${t.table}: ${t.differingKeys.join(', ') || '(row counts differ)'}`);
    for (const m of differing.filter((m) => m.problem)) out(`  ${m.projector}: ${m.problem} (the projectors have not run on this store)`);
  }
  out();
  out(ok ? 'verify: everything matches' : 'verify: DIFFERENCES FOUND');
  return ok ? EXIT.ok : EXIT.differs;
}

// ------------------------------------------------------------------ rebuild

async function rebuild(store: EventStore, names: string[], all: boolean): Promise<number> {
  if (all === names.length > 0) throw new UsageError('rebuild takes one projector name or --all');
  const models = all ? [...LEDGER_READ_MODELS] : names.map((name) => LEDGER_READ_MODELS.find((m) => m.name === name) ?? unknownProjector(name));
  await migrateReadModels(store);
  for (const model of models) {
    const progress = new Progress(`rebuild ${model.name}`, await store.headPosition());
    const report = await rebuildReadModel(store, model, { onProgress: (p) => progress.update(p.eventsApplied) });
    progress.finish(`${report.eventsApplied.toLocaleString('en-US')} events in ${report.seconds.toFixed(1)} s`);
    out(
      `rebuilt ${model.name}: generation ${report.generation}${report.replaced === null ? '' : ` replaced ${report.replaced}`}, ` +
        `${report.eventsApplied} events, at position ${report.checkpoint.position}, ${report.seconds.toFixed(2)} s`,
    );
  }
  return EXIT.ok;
}

function unknownProjector(name: string): never {
  throw new UsageError(`unknown projector ${JSON.stringify(name)}; one of: ${LEDGER_READ_MODELS.map((m) => m.name).join(', ')}`);
}

// ------------------------------------------------------------------ replay

async function replay(store: EventStore, streamId: string | undefined, asOf: string | undefined): Promise<number> {
  if (!streamId) throw new UsageError('replay needs --stream ID (e.g. license-<uuid>)');
  let kind: ReturnType<typeof streamKind>;
  try {
    kind = streamKind(streamId);
  } catch {
    throw new UsageError(`${streamId} is not a ledger stream id (<kind>-<id>, kind one of account, model, po, key, license, device, serial, deployment)`);
  }
  let options: { toPosition?: number; toRecordedAt?: string } = {};
  if (asOf !== undefined) {
    if (/^\d+$/.test(asOf)) options = { toPosition: Number(asOf) };
    else if (/^\d{4}-\d{2}-\d{2}T/.test(asOf) && !Number.isNaN(Date.parse(asOf))) options = { toRecordedAt: new Date(asOf).toISOString() };
    else throw new UsageError(`--as-of must be an ISO-8601 instant (2026-01-31T12:00:00Z) or a global position, got ${JSON.stringify(asOf)}`);
  }
  const read = await store.readStream(streamId, options);
  const state = fold(kind, read.events.map((e) => ({ type: e.type, data: e.data }) as unknown as LedgerEvent));
  out(
    JSON.stringify(
      {
        streamId,
        asOf: options.toPosition !== undefined ? { position: options.toPosition } : options.toRecordedAt ? { recordedAt: options.toRecordedAt } : null,
        version: read.version,
        events: read.events.map(exportLine),
        state,
      },
      null,
      2,
    ),
  );
  return read.version === 0 ? (err(`stream ${streamId} has no events${asOf ? ' as of then' : ''}`), EXIT.ok) : EXIT.ok;
}

// ------------------------------------------------------------------ export

const formatCheckpoint = formatFeedCheckpoint;

function parseCheckpoint(text: string): FeedCheckpoint {
  const checkpoint = parseFeedCheckpoint(text);
  if (!checkpoint) throw new UsageError(`--after must be a checkpoint epoch.txId.position (as printed by a previous export or GET /v1/events), got ${JSON.stringify(text)}`);
  return checkpoint;
}

function exportLine(e: RecordedEvent) {
  return {
    checkpoint: formatCheckpoint({ epoch: e.epoch, txId: e.txId, position: e.globalPosition }),
    position: e.globalPosition,
    streamId: e.streamId,
    streamPosition: e.streamPosition,
    eventId: e.eventId,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
    hash: e.hash,
  };
}

async function exportLog(store: EventStore, after: string | undefined, output: string | undefined): Promise<number> {
  let checkpoint = after === undefined ? FEED_START : parseCheckpoint(after);
  const sink: NodeJS.WritableStream = output ? createWriteStream(output) : process.stdout;
  const write = (text: string) => (sink.write(text) ? Promise.resolve() : new Promise<void>((r) => sink.once('drain', () => r())));
  const head = await store.headPosition();
  const progress = new Progress('export', Math.max(0, head - checkpoint.position));
  let count = 0;
  const batch = 1_000;
  for (;;) {
    const read = await store.readFeed({ after: checkpoint, limit: batch });
    if (read.events.length > 0) await write(read.events.map((e) => `${JSON.stringify(exportLine(e))}\n`).join(''));
    count += read.events.length;
    checkpoint = read.checkpoint;
    progress.update(count);
    if (read.events.length < batch) break;
  }
  if (output) await new Promise<void>((done, fail) => (sink as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? fail(e) : done())));
  progress.finish(`${count.toLocaleString('en-US')} events`);
  err(`exported ${count} events${output ? ` to ${output}` : ''}; continue later with --after ${formatCheckpoint(checkpoint)}`);
  return EXIT.ok;
}

// ------------------------------------------------------------------ migrate

async function migrate(settings: StoreSettings): Promise<number> {
  const { store, migration } = await openStore(settings, true);
  try {
    out(`event store: applied [${(migration?.applied ?? []).join(', ')}], schema version ${migration?.schemaVersion ?? '?'}${migration?.newEpoch ? `, new epoch ${migration.newEpoch}` : ''}`);
    // Loaded here only: the application lib brings the Nest decorators of its handlers with it.
    await import('reflect-metadata');
    const { migrateLicenseIndex } = await import('@ledger/application');
    for (const report of [await migrateLicenseIndex(store), await migrateReadModels(store)])
      out(`${report.component}: applied [${report.applied.join(', ')}], version ${report.version}`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

// ------------------------------------------------------------------ main

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Asked for or not, usage is not a run: exit 2, so a script never mistakes it for work done.
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return EXIT.usage;
  }
  const spec = {
    verify: {},
    rebuild: { all: { type: 'boolean' } },
    replay: { stream: { type: 'string' }, 'as-of': { type: 'string' } },
    export: { after: { type: 'string' }, output: { type: 'string', short: 'o' } },
    migrate: {},
  } as const;
  if (command === 'keys') return keys(rest, process.env, USAGE);
  if (!(command in spec)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const name = command as keyof typeof spec;
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...spec[name], help: { type: 'boolean', short: 'h' } }, allowPositionals: name === 'rebuild', strict: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values['help']) {
    out(USAGE);
    return EXIT.usage;
  }
  const settings = storeSettings(process.env);
  if (name === 'migrate') return migrate(settings);
  if (name === 'rebuild' && Boolean(parsed.values['all']) === parsed.positionals.length > 0) throw new UsageError('rebuild takes one projector name or --all');
  if (name === 'rebuild') for (const p of parsed.positionals) if (!LEDGER_READ_MODELS.some((m) => m.name === p)) unknownProjector(p);
  if (name === 'replay' && !parsed.values['stream']) throw new UsageError('replay needs --stream ID (e.g. license-<uuid>)');
  if (name === 'export' && typeof parsed.values['after'] === 'string') parseCheckpoint(parsed.values['after']);

  const { store } = await openStore(settings, false);
  try {
    switch (name) {
      case 'verify':
        return await verify(store, settings.schema);
      case 'rebuild':
        return await rebuild(store, parsed.positionals, Boolean(parsed.values['all']));
      case 'replay':
        return await replay(store, parsed.values['stream'] as string | undefined, parsed.values['as-of'] as string | undefined);
      case 'export':
        return await exportLog(store, parsed.values['after'] as string | undefined, parsed.values['output'] as string | undefined);
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      err(`ledgerctl: ${error.message}\n`);
      err(USAGE);
      process.exitCode = EXIT.usage;
      return;
    }
    const e = error as { message?: string; code?: string };
    err(`ledgerctl: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(error)}`);
    // 42P01 undefined_table: nothing was ever migrated in this folder or schema.
    if (e?.code === '42P01') err('ledgerctl: this store has no ledger tables yet: check DATABASE_URL / DATABASE_SCHEMA / LEDGER_DATA_DIR, or run "ledgerctl migrate"');
    process.exitCode = EXIT.failed;
  },
);
