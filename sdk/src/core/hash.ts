// FNV-1a (32 bit) over UTF-16 code units, as every GrowthBook SDK hashes: the bucket a unit lands in
// must be identical across languages, so neither the algorithm nor the string encoding may drift.

/** Feeds `text` into an FNV-1a state; lets a hasher hash a constant seed prefix once. */
function fnv(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `fnv(String(n))` for an unsigned integer, without building the string: version 2's inner step. */
function fnvDigits(n: number): number {
  let d = 1;
  while (d * 10 <= n) d *= 10;
  let h = 0x811c9dc5;
  for (; d >= 1; d /= 10) h = Math.imul(h ^ (48 + (((n / d) % 10) | 0)), 0x01000193);
  return h >>> 0;
}

/**
 * FNV-1a 32-bit hash of a string (UTF-16 code units), as an unsigned integer.
 *
 * @example
 * fnv1a32('hello'); // 1335831723
 */
export const fnv1a32 = (text: string): number => fnv(text);

/** A `hash` with its seed and version bound. */
export type Hasher = (value: string) => number;

/**
 * Binds a seed and version once (compile time); `null` for an unknown version. Version 2 (what
 * Flagstaff writes) hashes twice to remove the correlation version 1 has between similar seeds.
 *
 * @example
 * const h = makeHasher('my-exp', 2);
 * h?.('user-1') === hash('my-exp', 'user-1', 2); // true
 */
export function makeHasher(seed: unknown, version: unknown): Hasher | null {
  // FNV-1a is sequential: hashing the seed prefix first, then the value, equals hashing both.
  const text = String(seed);
  const prefix = fnv(text);
  if (version === 2) return (value) => (fnvDigits(fnv(value, prefix)) % 10000) / 10000;
  if (version === 1) return (value) => (fnv(text, fnv(value)) % 1000) / 1000;
  return null;
}

/**
 * Hashes `value` with `seed` into [0, 1); `null` for an unknown version.
 *
 * @example
 * hash('seed', 'user-1', 2); // a number in [0, 1) with 4 decimals
 * hash('', 'a', 1); // 0.22
 */
export function hash(seed: string, value: string, version: number): number | null {
  const hasher = makeHasher(seed, version);
  return hasher && hasher(value);
}
