/**
 * Versioned schema migrations, applied in order on start. Append-only: an
 * applied migration is never edited (its checksum is checked), a change is a
 * new migration.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const eventsTables = `
CREATE TABLE ledger_epochs (
  epoch      integer PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  reason     text NOT NULL
);
INSERT INTO ledger_epochs (epoch, reason) VALUES (1, 'store created');

CREATE TABLE ledger_streams (
  stream_id   text COLLATE "C" PRIMARY KEY,
  stream_type text NOT NULL,
  version     bigint NOT NULL CHECK (version > 0),
  head_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_events (
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
  epoch           integer NOT NULL,
  stream_id       text COLLATE "C" NOT NULL,
  stream_position bigint NOT NULL,
  event_id        uuid NOT NULL,
  event_type      text NOT NULL,
  schema_version  integer NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL,
  recorded_at     timestamptz NOT NULL,
  hash            bytea NOT NULL,
  PRIMARY KEY (stream_id, stream_position),
  CONSTRAINT ledger_events_event_id_key UNIQUE (event_id)
);
-- No separate index on global_position: the identity makes it unique, and
-- the feed is read through (epoch, tx_id, global_position). One index fewer
-- is a quarter less index work on every append.
CREATE INDEX ledger_events_feed ON ledger_events (epoch, tx_id, global_position);

-- History is append-only. A superuser can still get round this (that is what
-- the hash chain and verify are for), but no ordinary statement can.
CREATE FUNCTION ledger_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'ledger events are immutable: % refused', TG_OP USING ERRCODE = 'LV403';
END
$fn$;
CREATE TRIGGER ledger_events_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_events
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_events_immutable();

CREATE TABLE ledger_commands (
  command_id  text PRIMARY KEY,
  result      jsonb,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_checkpoints (
  name       text PRIMARY KEY,
  epoch      integer NOT NULL,
  tx_id      xid8 NOT NULL,
  position   bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

/*
 * ledger_append(streams, events, metadata, new_streams, other_streams, command_id, result):
 * the whole append in one statement, so one round trip and one implicit
 * transaction when called alone.
 *
 * streams:  one line per stream, sorted by the writer in byte order (the lock
 *           order, so that concurrent appends cannot deadlock), tab-separated:
 *           id, type, expected ('no_stream' | 'stream_exists' | 'any' | a
 *           version), event count, index of its first event line minus one,
 *           and for a new stream the hash of its last event (hex).
 * events:   one line per event, grouped by stream in that order, tab-separated:
 *           stream id, index in the append for this stream (1-based), event
 *           id, type, schema version, metadata (canonical JSON, or empty for
 *           the append's standard metadata), hash (hex; empty for streams
 *           chained here), data (canonical JSON). Canonical JSON escapes tabs
 *           and newlines; ids and types hold none.
 * metadata: the append's standard metadata (canonical JSON); its recordedAt
 *           is every event's recorded_at.
 *
 * A stream expected to be new has a known chain start (the empty hash): the
 * writer hashes it and it is inserted set-wise (a claimed key opens thousands).
 * Every other stream is locked, checked and chained here from its stored head.
 *
 * The hash of the event at position N of a stream is
 *   sha256(previous hash ‖ utf8(canonical JSON of {data, eventId, metadata,
 *          schemaVersion, streamId, type, version: N}))
 * and the previous hash of a stream's first event is empty. Canonical JSON is
 * RFC 8785; the keys above are in its order, so it is built by concatenation.
 *
 * No array subscripts on big arrays in SQL here: in PL/pgSQL's first (custom)
 * plans an array variable is a flat constant and arr[i] walks it from the start.
 */
const appendFunction = `
CREATE FUNCTION ledger_raise_conflict(p_stream text, p_expected text, p_actual bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'stream % is at version %, expected %', p_stream, p_actual, p_expected
    USING ERRCODE = 'LV409',
          DETAIL = json_build_object('streamId', p_stream, 'expected', p_expected, 'actual', p_actual)::text;
END
$fn$;

CREATE FUNCTION ledger_append(p_streams text, p_events text, p_metadata text, p_new_streams integer,
                              p_other_streams integer, p_command_id text, p_result jsonb)
RETURNS jsonb LANGUAGE plpgsql
-- generate_series-sized estimates would make the planner JIT-compile plans
-- that run in milliseconds: compiling costs more than it saves.
SET jit = off
AS $fn$
DECLARE
  v_metadata  jsonb := p_metadata::jsonb;
  v_recorded  timestamptz := (v_metadata->>'recordedAt')::timestamptz;
  v_epoch     integer;
  v_count     integer;
  v_first     bigint;
  v_last      bigint;
  v_lo        bigint;
  v_hi        bigint;
  v_taken     text;
  v_stream    record;
  v_lines     text[];
  v_f         text[];
  v_current   bigint;
  v_head      bytea;
  v_done      boolean;
  v_ex_lines  text[] := '{}';
  v_ex_pos    bigint[] := '{}';
  v_ex_hash   bytea[] := '{}';
  v_existing  jsonb := '{}';
  v_outcome   jsonb;
BEGIN
  IF p_command_id IS NOT NULL THEN
    -- Taken first: a concurrent retry of the same command waits here for us,
    -- then finds our outcome instead of writing a second time.
    INSERT INTO ledger_commands (command_id) VALUES (p_command_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT result INTO v_outcome FROM ledger_commands WHERE command_id = p_command_id;
      RETURN jsonb_set(v_outcome, '{duplicate}', 'true');
    END IF;
  END IF;
  SELECT max(epoch) INTO v_epoch FROM ledger_epochs;

  IF p_new_streams > 0 THEN
    INSERT INTO ledger_streams (stream_id, stream_type, version, head_hash)
    SELECT f[1], f[2], f[4]::bigint, decode(f[6], 'hex')
    FROM unnest(string_to_array(p_streams, E'\\n')) AS l, string_to_array(l, E'\\t') AS f
    WHERE f[3] = 'no_stream' AND f[4] <> '0'
    ON CONFLICT (stream_id) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count < p_new_streams THEN
      -- Some stream exists already: name the first one not created by us.
      SELECT s.id, st.version INTO v_taken, v_current
      FROM (SELECT f[1] AS id FROM unnest(string_to_array(p_streams, E'\\n')) WITH ORDINALITY AS u(l, k),
                   string_to_array(l, E'\\t') AS f
            WHERE f[3] = 'no_stream' AND f[4] <> '0' ORDER BY k) AS s
      JOIN ledger_streams st ON st.stream_id = s.id
      WHERE st.xmin <> pg_current_xact_id()::xid
      LIMIT 1;
      PERFORM ledger_raise_conflict(v_taken, 'no_stream', coalesce(v_current, 0));
    END IF;

    WITH written AS (
      INSERT INTO ledger_events (epoch, stream_id, stream_position, event_id, event_type, schema_version,
                                 data, metadata, recorded_at, hash)
      SELECT v_epoch, f[1], f[2]::bigint, f[3]::uuid, f[4], f[5]::integer, f[8]::jsonb,
             CASE WHEN f[6] = '' THEN v_metadata ELSE f[6]::jsonb END, v_recorded, decode(f[7], 'hex')
      FROM unnest(string_to_array(p_events, E'\\n')) AS l, string_to_array(l, E'\\t') AS f
      WHERE f[7] <> ''
      RETURNING global_position
    )
    SELECT min(global_position), max(global_position) INTO v_first, v_last FROM written;
  END IF;

  IF p_other_streams > 0 THEN
    v_lines := string_to_array(p_events, E'\\n');
    FOR v_stream IN
      SELECT f[1] AS id, f[2] AS type, f[3] AS expected, f[4]::integer AS count, f[5]::integer AS at
      FROM unnest(string_to_array(p_streams, E'\\n')) WITH ORDINALITY AS u(l, k), string_to_array(l, E'\\t') AS f
      WHERE NOT (f[3] = 'no_stream' AND f[4] <> '0')
      ORDER BY k
    LOOP
      v_done := false;
      WHILE NOT v_done LOOP
        IF v_stream.count = 0 THEN
          -- Check only: share-lock the row so that it cannot change before we commit.
          SELECT version INTO v_current FROM ledger_streams WHERE stream_id = v_stream.id FOR SHARE;
          v_current := coalesce(v_current, 0);
        ELSE
          SELECT version, head_hash INTO v_current, v_head FROM ledger_streams WHERE stream_id = v_stream.id FOR UPDATE;
          IF NOT FOUND THEN
            v_current := 0;
            v_head := ''::bytea;
          END IF;
        END IF;

        -- CASE, not OR: SQL promises CASE's order, so the cast only meets numbers.
        -- (Parenthesised, or PL/pgSQL would end the IF condition at the first WHEN's THEN.)
        IF (CASE v_stream.expected
              WHEN 'any' THEN false
              WHEN 'no_stream' THEN v_current <> 0
              WHEN 'stream_exists' THEN v_current = 0
              ELSE v_current <> v_stream.expected::bigint
            END) THEN
          PERFORM ledger_raise_conflict(v_stream.id, v_stream.expected, v_current);
        END IF;

        FOR i IN 1 .. v_stream.count LOOP
          v_f := string_to_array(v_lines[v_stream.at + i], E'\\t');
          v_head := sha256(v_head || convert_to(
            '{"data":' || v_f[8] || ',"eventId":"' || v_f[3] || '","metadata":' || CASE WHEN v_f[6] = '' THEN p_metadata ELSE v_f[6] END
            || ',"schemaVersion":' || v_f[5] || ',"streamId":' || to_json(v_stream.id)::text
            || ',"type":"' || v_f[4] || '","version":' || (v_current + i) || '}', 'UTF8'));
          v_ex_lines := v_ex_lines || v_lines[v_stream.at + i];
          v_ex_pos := v_ex_pos || (v_current + i);
          v_ex_hash := v_ex_hash || v_head;
        END LOOP;

        IF v_stream.count = 0 THEN
          v_done := true;
        ELSIF v_current = 0 THEN
          INSERT INTO ledger_streams (stream_id, stream_type, version, head_hash)
            VALUES (v_stream.id, v_stream.type, v_stream.count, v_head)
            ON CONFLICT (stream_id) DO NOTHING;
          -- Not inserted: created meanwhile by a transaction that has committed;
          -- 'any' takes it from there (next round), anything else is a conflict.
          v_done := FOUND;
          IF NOT v_done THEN
            v_ex_lines := v_ex_lines[1:coalesce(array_length(v_ex_lines, 1), 0) - v_stream.count];
            v_ex_pos := v_ex_pos[1:coalesce(array_length(v_ex_pos, 1), 0) - v_stream.count];
            v_ex_hash := v_ex_hash[1:coalesce(array_length(v_ex_hash, 1), 0) - v_stream.count];
            IF v_stream.expected <> 'any' THEN
              SELECT version INTO v_current FROM ledger_streams WHERE stream_id = v_stream.id;
              PERFORM ledger_raise_conflict(v_stream.id, v_stream.expected, v_current);
            END IF;
          END IF;
        ELSE
          UPDATE ledger_streams SET version = v_current + v_stream.count, head_hash = v_head, updated_at = now()
            WHERE stream_id = v_stream.id;
          v_done := true;
        END IF;
      END LOOP;
      v_existing := v_existing || jsonb_build_object(v_stream.id, v_current + v_stream.count);
    END LOOP;

    IF coalesce(array_length(v_ex_lines, 1), 0) > 0 THEN
      WITH written AS (
        INSERT INTO ledger_events (epoch, stream_id, stream_position, event_id, event_type, schema_version,
                                   data, metadata, recorded_at, hash)
        SELECT v_epoch, f[1], x.pos, f[3]::uuid, f[4], f[5]::integer, f[8]::jsonb,
               CASE WHEN f[6] = '' THEN v_metadata ELSE f[6]::jsonb END, v_recorded, x.hash
        FROM unnest(v_ex_lines, v_ex_pos, v_ex_hash) AS x(l, pos, hash), string_to_array(x.l, E'\\t') AS f
        RETURNING global_position
      )
      SELECT min(global_position), max(global_position) INTO v_lo, v_hi FROM written;
      v_first := least(v_first, v_lo);
      v_last := greatest(v_last, v_hi);
    END IF;
  END IF;

  -- Versions of existing streams; a new stream's version is its event count, which the writer knows.
  v_outcome := jsonb_build_object('duplicate', false, 'commandId', p_command_id, 'existing', v_existing,
                                  'firstPosition', v_first, 'lastPosition', v_last, 'result', p_result);
  IF p_command_id IS NOT NULL THEN
    -- A retry must be answered without its request: store every stream's version.
    v_outcome := v_outcome || jsonb_build_object('streams', (
      SELECT jsonb_agg(jsonb_build_object('streamId', f[1], 'version', coalesce((v_existing->>f[1])::bigint, f[4]::bigint)) ORDER BY k)
      FROM unnest(string_to_array(p_streams, E'\\n')) WITH ORDINALITY AS u(l, k), string_to_array(l, E'\\t') AS f));
    UPDATE ledger_commands SET result = v_outcome - 'existing' WHERE command_id = p_command_id;
  END IF;
  RETURN v_outcome;
END
$fn$;
`;

// No NOTIFY trigger: feed wake-ups are sent by the writer after its commit
// (SqlEventStore), because a transaction that notifies serialises its commit
// with every other notifying one. See docs/event-store.md, Feed wake-ups.
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'event store tables', sql: eventsTables },
  { version: 2, name: 'append function', sql: appendFunction },
];
