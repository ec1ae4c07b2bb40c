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
 * ledger_append(streams, events, metadata, hashes, command_id, result): the
 * whole append in one statement, so one round trip and one implicit
 * transaction when called alone.
 *
 * streams:  [{"id","type","expected","count","at"}] sorted by id by the caller,
 *           so that concurrent appends lock rows in one order and cannot
 *           deadlock; "at" is the index of the stream's first event minus one;
 *           expected is 'no_stream' | 'stream_exists' | 'any' | a version number.
 * events:   one line per event, grouped by stream in that order, five fields
 *           separated by tabs: event id, type, schema version, index into
 *           metadata (0-based), canonical JSON of the data. Canonical JSON
 *           escapes tabs and newlines, ids and types hold none.
 * metadata: canonical JSON texts, one per line; the first is the append's
 *           standard metadata, whose recordedAt every event shares.
 * hashes:   hex, 64 characters per event in line order. For a stream expected
 *           to be new the writer knows the chain's start (the empty hash), so
 *           it computes the chain itself and the stream is inserted set-wise;
 *           for every other stream the slots are zeros and the chain is
 *           computed here from the stored head, under the row lock.
 *
 * The hash of the event at position N of a stream is
 *   sha256(previous hash ‖ utf8(canonical JSON of {data, eventId, metadata,
 *          schemaVersion, streamId, type, version: N}))
 * and the previous hash of a stream's first event is empty. Canonical JSON is
 * RFC 8785; the keys above are in its order, so it is built by concatenation.
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

CREATE FUNCTION ledger_append(p_streams jsonb, p_events text, p_metadata text, p_hashes text,
                              p_command_id text, p_result jsonb)
RETURNS jsonb LANGUAGE plpgsql
-- generate_series makes the planner expect millions of rows, enough to JIT
-- compile a plan that runs in milliseconds: compiling costs more than it saves.
SET jit = off
AS $fn$
DECLARE
  v_lines      text[];
  v_meta_texts text[];
  v_metas      jsonb[];
  v_recorded   timestamptz;
  v_total      integer;
  v_raw        bytea;
  v_hashes     bytea[];
  v_stream     record;
  v_line       text[];
  v_taken      text;
  v_current    bigint;
  v_head       bytea;
  v_done       boolean;
  v_base_ids   text[] := '{}';
  v_bases      bigint[] := '{}';
  v_versions   jsonb;
  v_first      bigint;
  v_last       bigint;
  v_outcome    jsonb;
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

  v_lines := string_to_array(p_events, E'\\n');
  v_total := coalesce(array_length(v_lines, 1), 0);
  v_raw := decode(p_hashes, 'hex');
  IF length(v_raw) <> v_total * 32
     OR v_total <> (SELECT coalesce(sum(count), 0) FROM jsonb_to_recordset(p_streams) AS s(count integer)) THEN
    RAISE EXCEPTION 'ledger_append: % event lines and % hash bytes do not match the streams announced', v_total, length(v_raw)
      USING ERRCODE = '22023';
  END IF;
  v_hashes := ARRAY(SELECT substring(v_raw FROM (i - 1) * 32 + 1 FOR 32) FROM generate_series(1, v_total) AS i);
  v_meta_texts := string_to_array(p_metadata, E'\\n');
  v_metas := ARRAY(SELECT m::jsonb FROM unnest(v_meta_texts) WITH ORDINALITY AS t(m, k) ORDER BY k);
  v_recorded := (v_metas[1]->>'recordedAt')::timestamptz;

  -- New streams, all in one statement (a claimed key can open thousands).
  -- Joins on unnest, never v_array[i] in SQL: in the first (custom) plans an
  -- array variable is a flat constant, and subscripting one walks it from the start.
  WITH wanted AS (
    SELECT s.id, s.type, s.count, h.hash AS head
    FROM jsonb_to_recordset(p_streams) AS s(id text, type text, expected text, count integer, at integer)
    JOIN unnest(v_hashes) WITH ORDINALITY AS h(hash, n) ON h.n = s.at + s.count
    WHERE s.expected = 'no_stream' AND s.count > 0
  ), created AS (
    INSERT INTO ledger_streams (stream_id, stream_type, version, head_hash)
    SELECT id, type, count, head FROM wanted ORDER BY id
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING stream_id
  )
  SELECT w.id INTO v_taken FROM wanted w
  WHERE NOT EXISTS (SELECT 1 FROM created c WHERE c.stream_id = w.id)
  ORDER BY w.id LIMIT 1;
  IF v_taken IS NOT NULL THEN
    SELECT version INTO v_current FROM ledger_streams WHERE stream_id = v_taken;
    PERFORM ledger_raise_conflict(v_taken, 'no_stream', coalesce(v_current, 0));
  END IF;

  -- Every other stream: lock, check, chain from the stored head.
  FOR v_stream IN
    SELECT * FROM jsonb_to_recordset(p_streams) AS s(id text, type text, expected text, count integer, at integer)
    WHERE NOT (s.expected = 'no_stream' AND s.count > 0)
    ORDER BY s.id
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
        v_line := string_to_array(v_lines[v_stream.at + i], E'\\t');
        v_head := sha256(v_head || convert_to(
          '{"data":' || v_line[5] || ',"eventId":"' || v_line[1] || '","metadata":' || v_meta_texts[v_line[4]::integer + 1]
          || ',"schemaVersion":' || v_line[3] || ',"streamId":' || to_json(v_stream.id)::text
          || ',"type":"' || v_line[2] || '","version":' || (v_current + i) || '}', 'UTF8'));
        v_hashes[v_stream.at + i] := v_head;
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
        IF NOT v_done AND v_stream.expected <> 'any' THEN
          SELECT version INTO v_current FROM ledger_streams WHERE stream_id = v_stream.id;
          PERFORM ledger_raise_conflict(v_stream.id, v_stream.expected, v_current);
        END IF;
      ELSE
        UPDATE ledger_streams SET version = v_current + v_stream.count, head_hash = v_head, updated_at = now()
          WHERE stream_id = v_stream.id;
        v_done := true;
      END IF;
    END LOOP;
    v_base_ids := v_base_ids || v_stream.id;
    v_bases := v_bases || v_current;
  END LOOP;

  IF v_total > 0 THEN
    WITH lines AS MATERIALIZED ( -- materialized: each line is split once, not once per field
      SELECT l.n, string_to_array(l.line, E'\\t') AS f, l.hash
      FROM unnest(v_lines, v_hashes) WITH ORDINALITY AS l(line, hash, n)
    ), slots AS (
      SELECT s.at + g AS n, s.id, coalesce(b.base, 0) + g AS pos
      FROM jsonb_to_recordset(p_streams) AS s(id text, count integer, at integer)
      LEFT JOIN unnest(v_base_ids, v_bases) AS b(id, base) ON b.id = s.id
      CROSS JOIN LATERAL generate_series(1, s.count) AS g
    ), written AS (
      INSERT INTO ledger_events (epoch, stream_id, stream_position, event_id, event_type, schema_version,
                                 data, metadata, recorded_at, hash)
      SELECT (SELECT max(epoch) FROM ledger_epochs), slots.id, slots.pos, l.f[1]::uuid, l.f[2], l.f[3]::integer,
             l.f[5]::jsonb, v_metas[l.f[4]::integer + 1], v_recorded, l.hash
      FROM lines l JOIN slots USING (n)
      ORDER BY n
      RETURNING global_position
    )
    SELECT min(global_position), max(global_position) INTO v_first, v_last FROM written;
  END IF;

  SELECT jsonb_agg(jsonb_build_object('streamId', s.id, 'version', coalesce(b.base, 0) + s.count) ORDER BY s.at, s.id)
    INTO v_versions
    FROM jsonb_to_recordset(p_streams) AS s(id text, count integer, at integer)
    LEFT JOIN unnest(v_base_ids, v_bases) AS b(id, base) ON b.id = s.id;

  v_outcome := jsonb_build_object('duplicate', false, 'commandId', p_command_id, 'streams', v_versions,
                                  'firstPosition', v_first, 'lastPosition', v_last, 'result', p_result);
  IF p_command_id IS NOT NULL THEN
    UPDATE ledger_commands SET result = v_outcome WHERE command_id = p_command_id;
  END IF;
  RETURN v_outcome;
END
$fn$;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'event store tables', sql: eventsTables },
  { version: 2, name: 'append function', sql: appendFunction },
];
