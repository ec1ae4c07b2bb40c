/**
 * Property-based fuzzing of the HTTP API (fast-check): value pools of hostile
 * input (SQL and JSON injection, prototype pollution, huge and negative
 * numbers, very long text, broken Unicode, deep nesting), ways to splice them
 * into a request (a body field, a path segment, a query parameter, raw JSON
 * text), and the checks every answer must pass: never a 5xx, nothing written
 * on a 4xx, an RFC 9457 problem with a code, no SQL or stack trace shown.
 */
import fc from 'fast-check';
import type { Response } from 'supertest';
import type { TestLedger } from './app';

// ---------------------------------------------------------------- value pools

/**
 * Strings that have broken parsers and queries before. None holds `SELECT `,
 * `INSERT INTO` or `syntax error` itself: an answer showing those leaked them.
 */
export const NASTY_STRINGS: readonly string[] = [
  // SQL injection and LIKE / placeholder metacharacters
  "' OR 1=1 --",
  "'; DROP TABLE events; --",
  "'; DROP TABLE ledger_events; --",
  "' OR '1'='1",
  '" OR ""="',
  "1' union select null, version() --",
  "'; select pg_sleep(3); --",
  "1) or pg_sleep(3) is null --",
  "$1",
  '$$',
  '$fn$ begin end $fn$',
  '%',
  '%%',
  '_',
  '\\',
  "\\'",
  '\u0000',
  'a\u0000b',
  '%00',
  '\t\n\r',
  ' ',
  '',
  '::uuid',
  "E'\\x00'",
  // JSON-ish and object keys with a meaning in JavaScript
  '{"$gt":""}',
  '{"$ne":null}',
  '[]',
  '{}',
  'null',
  'true',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__defineGetter__',
  // numbers as text
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '-0',
  '0x10',
  '1e309',
  '9007199254740993',
  '99999999999999999999',
  '1.5',
  ' 1',
  '١٢٣', // Arabic-Indic digits
  // paths, templates, markup
  '../../etc/passwd',
  '..%2F..%2F',
  '/',
  '%2F',
  '%zz',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  // Shaped like an API key but one character short: a full-shaped one in a URL lands in the request log, which the run's log scan refuses.
  'ldg_000000000000_' + 'A'.repeat(42),
  // Unicode: emoji, RTL override, combining marks, zero-width, lone surrogates, non-characters
  '😀👨‍👩‍👧‍👦',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗̻͊',
  '\u200B\uFEFF',
  '\uD800',
  '\uDC00x',
  'x\uDBFF',
  '\uFFFF\uFFFE',
  'İıſ', // case folding that changes length
  // very long
  'a'.repeat(10_000),
  "'".repeat(5_000),
  '😀'.repeat(3_000),
  'A'.repeat(101),
  'A'.repeat(201),
];

/** JSON text spliced in as is: values JSON.stringify cannot write, or writes otherwise. */
export class RawJson {
  constructor(readonly text: string) {}
  toString(): string {
    return `raw(${this.text.length > 60 ? `${this.text.slice(0, 60)}…` : this.text})`;
  }
  [fc.toStringMethod](): string {
    return this.toString();
  }
}

export const RAW_VALUES: readonly RawJson[] = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '1.0000000000000001',
  '-0',
  '0.0',
  '1E2',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '"\\u0000"',
  '"a\\u0000b"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":1,"a":2}',
  '['.repeat(500) + ']'.repeat(500),
].map((t) => new RawJson(t));

/** Objects built by JSON.parse: a `__proto__` key there is an own property, as a client sends it. */
const parsed = (text: string) => JSON.parse(text) as unknown;

export const NASTY_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  -0.5,
  1.5,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  [],
  [null],
  [[[[[[[[[[[]]]]]]]]]]],
  Array.from({ length: 2_000 }, (_, i) => i),
  {},
  parsed('{"__proto__":{"polluted":true}}'),
  parsed('{"constructor":{"prototype":{"polluted":true}}}'),
  parsed('{"$gt":""}'),
  parsed('{"toString":"x","valueOf":1}'),
  parsed('{"length":1e9}'),
  parsed('[{"__proto__":{"polluted":true}}]'),
];

/** Arbitrary text: any code point, lone surrogates among them, and pool strings glued together. */
export const arbitraryText = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '\uD800', '\uDFFF', '\u0000', "'", '"', '\\', '%', '/', ' ', 'é', '😀'), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length < 200)), fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length < 200))).map(([a, b]) => a + b) },
);

export const nastyString: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) }, { weight: 2, arbitrary: arbitraryText });

/** Any JSON value (numbers include huge ones, -0 and tiny ones), then the pools. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_VALUES) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() }, // NaN and ±Infinity go out as null, as JSON.stringify writes them
  { weight: 2, arbitrary: anyJson },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, nastyString, { maxKeys: 3 }) },
);

/** Field names to add: the pool's and random ones. */
export const nastyKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', '$where', '', ' ', 'a.b', 'id', 'position', 'now', 'successorSeed', 'licenseIdSeed', 'keyCodes', 'digest', 'grantorRole'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** A UUID of the right shape that names nothing (v4 and every other version and variant fast-check draws; upper case too). */
export const unknownUuid: fc.Arbitrary<string> = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()));

// ---------------------------------------------------------------- building requests

/** Whole bodies sent as raw text with Content-Type: application/json (and a few other media types). */
export const RAW_BODIES: readonly { text: string; contentType?: string }[] = [
  { text: '{"a":' },
  { text: '[1,2' },
  { text: '"\\ud800"' },
  { text: '{"a":"\\ud800"}' },
  { text: '' },
  { text: ' ' },
  { text: 'null' },
  { text: '0' },
  { text: '"x"' },
  { text: 'true' },
  { text: '[]' },
  { text: '[{}]' },
  { text: '{}}' },
  { text: '{"a":1,}' },
  { text: "{'a':1}" },
  { text: 'nul' },
  { text: '\u0000' },
  { text: '\uFEFF{}' },
  { text: '{"__proto__":{"polluted":true}}' },
  { text: '{"constructor":{"prototype":{"polluted":true}}}' },
  // Deep nesting: JSON.parse takes it, anything recursive over the parsed body may not.
  { text: '['.repeat(10_000) + ']'.repeat(10_000) },
  { text: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) },
  { text: JSON.stringify({ a: 'x'.repeat(1_100_000) }) }, // over the 1 MiB limit: 413
  { text: '{"a":1e400}' },
  { text: '{}', contentType: 'application/json; charset=utf-16' },
  { text: '{}', contentType: 'application/json; charset=latin1' },
  { text: '{}', contentType: 'application/merge-patch+json' },
  { text: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
  { text: '{}', contentType: 'text/plain' },
  { text: '<a/>', contentType: 'application/xml' },
];

let rawCounter = 0;

/**
 * The JSON text of a body; RawJson values are spliced in verbatim. An own
 * `__proto__` key (JSON.parse made it) is written like any other key.
 */
export function jsonText(value: unknown): string {
  const raws = new Map<string, string>();
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      const marker = `\u0001raw${rawCounter++}\u0001`;
      raws.set(JSON.stringify(marker), v.text);
      return marker;
    }
    return v;
  });
  if (text === undefined) return '';
  let out = text;
  for (const [marker, raw] of raws) out = out.replace(marker, raw);
  return out;
}

export type JsonPath = (string | number)[];

/** Every place in a body a value can be put at (not the root), with the containers fields can be added to. */
export function pathsOf(value: unknown, at: JsonPath = []): { leaves: JsonPath[]; containers: JsonPath[] } {
  const leaves: JsonPath[] = [];
  const containers: JsonPath[] = [];
  if (value !== null && typeof value === 'object') {
    containers.push(at);
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    for (const [k, v] of entries) {
      leaves.push([...at, k]);
      const inner = pathsOf(v, [...at, k]);
      leaves.push(...inner.leaves);
      containers.push(...inner.containers);
    }
  }
  return { leaves, containers };
}

/** A deep copy with the value at `path` replaced (or deleted); own properties only, so `__proto__` stays a plain key. */
export function withValueAt(body: unknown, path: JsonPath, value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(body) ? [...(body as unknown[])] : { ...(body as object) }) as Record<string | number, unknown>;
  const next = rest.length === 0 ? value : withValueAt((body as Record<string | number, unknown>)[head!], rest, value, remove);
  if (remove && rest.length === 0) {
    if (Array.isArray(copy)) (copy as unknown[]).splice(head as number, 1);
    else delete copy[head!];
  } else {
    Object.defineProperty(copy, head!, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A key added to the object (or an element to the array) at `path`. */
export function withAddedAt(body: unknown, path: JsonPath, key: string, value: unknown): unknown {
  const container = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], body);
  if (Array.isArray(container)) return withValueAt(body, path, [...container, value]);
  const copy = { ...(container as object) };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return withValueAt(body, path, copy);
}

/**
 * A path segment as a client would send it. A lone surrogate cannot be
 * encoded as UTF-8 (encodeURIComponent throws): it goes out as the bytes a
 * careless client would send (WTF-8), which are not valid UTF-8.
 */
export function encodeSegment(text: string): string {
  let out = '';
  for (const ch of text) {
    try {
      out += encodeURIComponent(ch);
    } catch {
      const c = ch.charCodeAt(0);
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    }
  }
  return out;
}

/** A query string from pairs (a key may repeat); `raw` pairs go out unencoded. */
export function queryString(pairs: readonly (readonly [string, string])[], raw: readonly string[] = []): string {
  const parts = [...pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`), ...raw];
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Query string pieces sent unencoded: nesting, arrays and pollution in qs syntax, broken escapes. */
export const RAW_QUERY_PARTS: readonly string[] = [
  'a[b]=c',
  'limit[]=1',
  'limit[0]=1',
  'cursor[$gt]=',
  '__proto__[polluted]=1',
  '__proto__.polluted=1',
  'constructor[prototype][polluted]=1',
  'q=%zz',
  'q=%',
  'q=%ED%A0%80',
  'q=%00',
  '=',
  '&&',
  'limit',
  'limit=1&limit=2',
  'q=a&q=b',
  'after=0&after=0.0.0',
];

// ---------------------------------------------------------------- the checks

export interface StoreSnapshot {
  events: number;
  head: string;
  streams: number;
  commands: number;
  keys: number;
  revokedKeys: number;
}

/** What a request could write: events, streams, command results, API keys and their revocations. */
export async function snapshot(ledger: TestLedger): Promise<StoreSnapshot> {
  const [row] = await ledger.store.sql.query<StoreSnapshot>(
    `SELECT (SELECT count(*)::int FROM ledger_events) AS events,
            (SELECT coalesce(max(global_position), 0)::text FROM ledger_events) AS head,
            (SELECT count(*)::int FROM ledger_streams) AS streams,
            (SELECT count(*)::int FROM ledger_commands) AS commands,
            (SELECT count(*)::int FROM access_api_keys) AS keys,
            (SELECT count(revoked_at)::int FROM access_api_keys) AS "revokedKeys"`,
  );
  return row!;
}

/** Text that must never reach a client: SQL, driver errors, stack frames, file paths of the server. */
const LEAKS: readonly RegExp[] = [
  /SELECT /,
  /INSERT INTO/,
  /UPDATE \w+ SET/,
  /syntax error/i,
  /\bat Object\./,
  /\n\s+at [^\n]+:\d+:\d+\)?/,
  /\bat (?:async )?[\w$.<>]+ \((?:\/|node:)[^)]*:\d+:\d+\)/,
  /node_modules\//,
  /\/work\//,
  /\b(?:PostgresError|error: relation|duplicate key value|violates (?:unique|check|not-null|foreign key) constraint)\b/,
  /invalid input syntax for type/,
  /TypeError|ReferenceError|RangeError|Cannot read propert/,
];

export interface SentRequest {
  method: string;
  url: string;
  body?: string;
  contentType?: string;
  /** The sender of the request (for the report). */
  as: string;
}

export interface Answered {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

export function describeExchange(req: SentRequest, res: Answered): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  return (
    `${req.method} ${cut(req.url, 400)} as ${req.as}` +
    (req.body !== undefined ? `\n  ${req.contentType ?? 'application/json'}: ${cut(req.body, 600)}` : '') +
    `\n  → ${res.status} ${res.contentType} in ${res.ms} ms: ${cut(res.text, 800)}`
  );
}

/** Sends one request and answers its raw text, whatever its media type. */
export async function send(ledger: TestLedger, key: string, req: SentRequest): Promise<Answered> {
  const method = req.method.toLowerCase() as 'get' | 'post' | 'delete';
  let call = ledger.http(key)[method](req.url);
  if (req.body !== undefined) call = call.set('Content-Type', req.contentType ?? 'application/json').send(req.body);
  const started = Date.now();
  const res: Response = await call.buffer(true).parse((stream, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
    stream.on('error', (e: Error) => done(e, undefined));
  });
  return { status: res.status, contentType: String(res.headers['content-type'] ?? ''), text: String(res.body ?? ''), ms: Date.now() - started };
}

export interface CheckOptions {
  /** A GET: it never writes, whatever it answers. */
  readOnly: boolean;
  /** 503 READ_MODELS_BEHIND is the documented answer to a minPosition past the log's head. */
  minPositionAheadOf?: (head: string) => boolean;
}

/**
 * The properties of one exchange: no 5xx; a 4xx (any answer to a GET) wrote
 * nothing; a 4xx is a problem with a code; nothing leaks; no query slept on
 * an injected pg_sleep.
 */
export function checkExchange(req: SentRequest, res: Answered, before: StoreSnapshot, after: StoreSnapshot, options: CheckOptions): void {
  const fail = (why: string) => {
    throw new Error(`${why}\n${describeExchange(req, res)}`);
  };
  if (res.status >= 500) {
    const behind = res.status === 503 && /READ_MODELS_BEHIND/.test(res.text) && options.minPositionAheadOf?.(before.head) === true;
    if (!behind) fail(`a ${res.status} answer`);
  }
  const wrote = JSON.stringify(before) !== JSON.stringify(after);
  if (wrote && (options.readOnly || (res.status >= 400 && res.status < 500)))
    fail(`a ${res.status} answer wrote to the store: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  // Node's HTTP parser answers a request line and headers over its limit (16 KiB) itself, before the app: 431, no body.
  const nodeRefusedHeaders = res.status === 431 && res.text === '' && req.url.length > 8_000;
  if (res.status >= 400 && res.status < 500 && !nodeRefusedHeaders) {
    if (!/^application\/problem\+json/.test(res.contentType)) fail(`a ${res.status} answer that is not application/problem+json`);
    let problem: { code?: unknown; status?: unknown } | undefined;
    try {
      problem = JSON.parse(res.text) as typeof problem;
    } catch {
      fail(`a ${res.status} answer whose body is not JSON`);
    }
    if (typeof problem?.code !== 'string' || problem.code === '') fail(`a ${res.status} problem without a code`);
    if (problem?.status !== res.status) fail(`a ${res.status} problem whose status says ${String(problem?.status)}`);
  }
  const sent = `${req.url}\n${req.body ?? ''}`;
  for (const leak of LEAKS) {
    const found = leak.exec(res.text);
    if (found && !sent.includes(found[0])) fail(`the answer shows ${JSON.stringify(found[0])} (${leak})`);
  }
  if (res.ms >= 2_900 && /pg_sleep/.test(sent)) fail(`the answer took ${res.ms} ms: an injected pg_sleep ran`);
}
