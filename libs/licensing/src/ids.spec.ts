import { KEY_ALPHABET, KEY_PAYLOAD_LENGTH, UUID, deriveId, formatKeyCode, keyCheckSymbol, parseKeyCode } from './ids';
import { keyCodeFor } from './test-builders';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A random payload of 19 key symbols. */
function randomPayload(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(KEY_PAYLOAD_LENGTH));
  return [...bytes].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]!).join('');
}

describe('deriveId', () => {
  const seed = '0190f5c2-7b3a-7c4d-8e9f-0123456789ab';

  it('gives the seed itself for n = 0', () => {
    expect(deriveId(seed, 0)).toBe(seed);
    const random = crypto.randomUUID();
    expect(deriveId(random, 0)).toBe(random);
  });

  it('gives a distinct id for every n', () => {
    const ids = Array.from({ length: 2000 }, (_, n) => deriveId(seed, n));
    expect(new Set(ids).size).toBe(2000);
    expect(deriveId(seed, 1)).toBe('0190f5c2-7b3a-7c4d-8e9f-0123456789ac');
    expect(deriveId(seed, 16)).toBe('0190f5c2-7b3a-7c4d-8e9f-0123456789bb');
  });

  it('is deterministic', () => {
    expect(deriveId(seed, 42)).toBe(deriveId(seed, 42));
  });

  it('keeps a v7 UUID a v7 UUID (timestamp, version and variant untouched), even when the random part wraps', () => {
    for (const n of [0, 1, 255, 65_536, 49_999]) {
      const derived = deriveId(seed, n);
      expect(derived).toMatch(V7);
      expect(derived).toMatch(UUID);
      expect(derived.slice(0, 24)).toBe(seed.slice(0, 24));
    }
    const top = '0190f5c2-7b3a-7c4d-8e9f-ffffffffffff';
    expect(deriveId(top, 1)).toBe('0190f5c2-7b3a-7c4d-8e9f-000000000000');
    expect(deriveId(top, 1)).toMatch(V7);
  });

  it('refuses a seed that is not a lower-case UUID and an index that is not a whole number ≥ 0', () => {
    expect(() => deriveId(seed.toUpperCase(), 1)).toThrow();
    expect(() => deriveId('not-a-uuid', 1)).toThrow();
    expect(() => deriveId(seed, -1)).toThrow();
    expect(() => deriveId(seed, 1.5)).toThrow();
  });
});

describe('key codes', () => {
  it('formats 19 symbols and a check symbol as four groups of five', () => {
    const payload = randomPayload();
    const code = formatKeyCode(payload);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    expect(code.replace(/-/g, '')).toBe(payload + keyCheckSymbol(payload));
  });

  it('parses what formatKeyCode writes', () => {
    for (let i = 0; i < 50; i++) {
      const code = formatKeyCode(randomPayload());
      expect(parseKeyCode(code)).toBe(code);
    }
    const builderCode = keyCodeFor(crypto.randomUUID());
    expect(parseKeyCode(builderCode)).toBe(builderCode);
  });

  it('rejects every single-symbol change of a valid code', () => {
    for (const payload of [randomPayload(), randomPayload(), '0123456789ABCDEFGHJ', '0'.repeat(KEY_PAYLOAD_LENGTH)]) {
      const symbols = [...formatKeyCode(payload).replace(/-/g, '')];
      for (let position = 0; position < symbols.length; position++) {
        for (const symbol of KEY_ALPHABET) {
          if (symbol === symbols[position]) continue;
          const changed = [...symbols];
          changed[position] = symbol;
          expect({ position, symbol, parsed: parseKeyCode(changed.join('')) }).toEqual({ position, symbol, parsed: null });
        }
      }
    }
  });

  it('normalizes case, dashes, spaces and the look-alikes O → 0, I and L → 1', () => {
    const code = formatKeyCode('0123456789ABCDEFGHJ');
    expect(code).toContain('0');
    expect(code).toContain('1');
    expect(parseKeyCode(code.toLowerCase())).toBe(code);
    expect(parseKeyCode(code.replace(/-/g, ''))).toBe(code);
    expect(parseKeyCode(` ${code.replace(/-/g, ' ')} `)).toBe(code);
    expect(parseKeyCode(code.replace(/0/g, 'O'))).toBe(code);
    expect(parseKeyCode(code.replace(/0/g, 'o'))).toBe(code);
    expect(parseKeyCode(code.replace(/1/g, 'I'))).toBe(code);
    expect(parseKeyCode(code.replace(/1/g, 'l'))).toBe(code);
    expect(parseKeyCode(code.replace(/1/g, 'L').replace(/0/g, 'o').toLowerCase().replace(/-/g, ''))).toBe(code);
  });

  it('rejects codes of the wrong length or with symbols outside the alphabet', () => {
    const code = formatKeyCode(randomPayload());
    expect(parseKeyCode('')).toBeNull();
    expect(parseKeyCode(code.slice(0, -1))).toBeNull();
    expect(parseKeyCode(`${code}0`)).toBeNull();
    expect(parseKeyCode(`U${code.slice(1)}`)).toBeNull();
    expect(parseKeyCode(`*${code.slice(1)}`)).toBeNull();
  });
});
