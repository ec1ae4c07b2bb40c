import { InvalidAppendError } from './errors';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Deeper than this is refused: it also stops cycles. */
const MAX_DEPTH = 64;

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units, no
 * white space, numbers and strings as ECMAScript's JSON.stringify writes them.
 *
 * It validates while it writes, because everything the store accepts must
 * survive a round trip through PostgreSQL's jsonb unchanged (or the hash chain
 * could not be re-checked): only plain objects, arrays, finite numbers, booleans,
 * null and well-formed strings without NUL (jsonb refuses \u0000).
 */
export function canonicalJson(value: unknown, path = '$'): string {
  const trail: (string | number)[] = [];
  try {
    return write(value, trail);
  } catch (error) {
    if (error instanceof Refusal) throw new InvalidAppendError(pathOf(path, trail), error.message);
    throw error;
  }
}

/** Thrown deep inside write; the path is only spelled out then, not for every key written. */
class Refusal extends Error {}

function pathOf(root: string, trail: readonly (string | number)[]): string {
  let out = root;
  for (const step of trail) out += typeof step === 'number' ? `[${step}]` : /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  return out;
}

function write(value: unknown, trail: (string | number)[]): string {
  if (trail.length > MAX_DEPTH) throw new Refusal(`nested deeper than ${MAX_DEPTH} levels (or circular)`);
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(`${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          trail.push(i);
          out += write(value[i], trail);
          trail.pop();
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? 'object';
        throw new Refusal(`a ${name} is not plain JSON (convert it to a string, number or plain object)`);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        trail.push(key);
        const item = record[key];
        if (item === undefined) throw new Refusal('undefined is not JSON (omit the key or use null)');
        if (i > 0) out += ',';
        out += writeString(key) + ':' + write(item, trail);
        trail.pop();
      }
      return out + '}';
    }
    default:
      throw new Refusal(`a ${typeof value} is not JSON`);
  }
}

function writeString(value: string): string {
  if (value.includes('\u0000')) throw new Refusal('contains a NUL character (\\u0000), which PostgreSQL cannot store');
  if (!value.isWellFormed()) throw new Refusal('contains a lone UTF-16 surrogate (not valid Unicode)');
  return JSON.stringify(value);
}

export function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
