/**
 * Ids enter through the command (a replay must decide the same), but one
 * command may create thousands of licenses. The command brings one fresh
 * UUIDv7 as a seed and the n-th new id is the seed with n added to its last
 * 48 bits: the random part of a v7 UUID, so ids of different commands do not
 * collide, and version and variant bits stay as they are.
 */
export function deriveId(seed: string, n: number): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(seed)) throw new Error(`not a lower-case UUID: ${seed}`);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not an id index: ${n}`);
  if (n === 0) return seed;
  const low = (Number.parseInt(seed.slice(24), 16) + n) % 2 ** 48;
  return seed.slice(0, 24) + low.toString(16).padStart(12, '0');
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Key codes are typed by people from an e-mail: Crockford base32 (no I, L, O,
 * U), 19 random symbols (95 bits) and a Luhn mod 32 check symbol that catches
 * every single mistyped symbol and most swaps of neighbours, shown as four
 * groups of five: `7K3QD-M2XRT-9FHVB-W4NPC`.
 */
export const KEY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const KEY_PAYLOAD_LENGTH = 19;

export function keyCheckSymbol(payload: string): string {
  const n = KEY_ALPHABET.length;
  let sum = 0;
  let factor = 2;
  for (let i = payload.length - 1; i >= 0; i--) {
    const value = KEY_ALPHABET.indexOf(payload[i]!);
    if (value < 0) throw new Error(`not a key symbol: ${payload[i]}`);
    const addend = factor * value;
    sum += Math.floor(addend / n) + (addend % n);
    factor = factor === 2 ? 1 : 2;
  }
  return KEY_ALPHABET[(n - (sum % n)) % n]!;
}

/** The key code for 19 payload symbols: check symbol appended, grouped by five. */
export function formatKeyCode(payload: string): string {
  const symbols = payload + keyCheckSymbol(payload);
  return symbols.match(/.{5}/g)!.join('-');
}

/**
 * The canonical key code for what a person typed (any case, spaces or dashes
 * anywhere, O for 0 and I or L for 1), or null when it is not a key code.
 */
export function parseKeyCode(typed: string): string | null {
  const symbols = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (symbols.length !== KEY_PAYLOAD_LENGTH + 1 || [...symbols].some((c) => !KEY_ALPHABET.includes(c))) return null;
  const payload = symbols.slice(0, KEY_PAYLOAD_LENGTH);
  return keyCheckSymbol(payload) === symbols[KEY_PAYLOAD_LENGTH] ? formatKeyCode(payload) : null;
}
