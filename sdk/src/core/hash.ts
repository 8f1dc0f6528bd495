// FNV-1a (32 bit) over UTF-16 code units, as every GrowthBook SDK hashes: the bucket a unit lands in
// must be identical across languages, so neither the algorithm nor the string encoding may drift.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Feeds `text` into an FNV-1a state; lets callers hash a constant prefix once (see `makeHasher`). */
function fnvUpdate(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/**
 * FNV-1a 32-bit hash of a string (UTF-16 code units), as an unsigned integer.
 *
 * @example
 * fnv1a32('hello'); // 1335831723
 */
export function fnv1a32(text: string): number {
  return fnvUpdate(FNV_OFFSET_BASIS, text) >>> 0;
}

/** Hashes the decimal digits of an unsigned 32-bit integer without building the string. */
function fnvDigits(value: number): number {
  let divisor = 1;
  while (divisor * 10 <= value) divisor *= 10;
  let h = FNV_OFFSET_BASIS;
  let rest = value;
  while (divisor >= 1) {
    const digit = Math.floor(rest / divisor);
    rest -= digit * divisor;
    h ^= 48 + digit;
    h = Math.imul(h, FNV_PRIME);
    divisor /= 10;
  }
  return h >>> 0;
}

/**
 * Hashes `value` with `seed` into [0, 1). Version 2 (what Flagstaff writes) hashes twice to remove
 * the correlation version 1 has between experiments with similar seeds. Unknown versions: `null`.
 *
 * @example
 * hash('seed', 'user-1', 2); // a number in [0, 1) with 4 decimals
 * hash('', 'a', 1); // 0.22
 */
export function hash(seed: string, value: string, version: number): number | null {
  // FNV-1a is sequential, so hashing the seed prefix first then the value equals hashing
  // `seed + value` (version 1: `value + seed`): one implementation for both entry points.
  const hasher = makeHasher(seed, version);
  return hasher === null ? null : hasher(value);
}

/** A `hash` with its seed and version bound; `null` when the version is unknown. */
export type Hasher = (value: string) => number;

/**
 * Binds a seed and version once (compile time): version 2 hashes the seed prefix a single time.
 *
 * @example
 * const h = makeHasher('my-exp', 2);
 * h?.('user-1') === hash('my-exp', 'user-1', 2); // true
 */
export function makeHasher(seed: string, version: number): Hasher | null {
  if (version === 2) {
    const prefix = fnvUpdate(FNV_OFFSET_BASIS, seed);
    return (value) => (fnvDigits(fnvUpdate(prefix, value) >>> 0) % 10000) / 10000;
  }
  if (version === 1) {
    return (value) => ((fnvUpdate(fnvUpdate(FNV_OFFSET_BASIS, value), seed) >>> 0) % 1000) / 1000;
  }
  return null;
}
