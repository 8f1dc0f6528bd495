// Turning weights into slices of [0, 1) and hashes into variations. Ranges are laid out in
// variation order from 0, each as wide as coverage × weight, so raising coverage or a later
// variation's weight only ever extends ranges at their ends and never reshuffles units.
import { makeHasher } from './hash.js';
import type { Hasher } from './hash.js';

/** A slice [start, end) of the unit interval. */
export type BucketRange = [number, number];

/**
 * `n` equal weights summing to 1 (empty for n < 1).
 *
 * @example
 * getEqualWeights(4); // [0.25, 0.25, 0.25, 0.25]
 */
export function getEqualWeights(n: number): number[] {
  return n >= 1 ? new Array<number>(n).fill(1 / n) : [];
}

/**
 * Bucket ranges for `numVariations` variations. Coverage is clamped to [0, 1]; weights that do
 * not match the variation count or do not sum to 1 (±0.01) fall back to equal weights.
 *
 * @example
 * getBucketRanges(2, 0.5, [0.4, 0.6]); // [[0, 0.2], [0.4, 0.7]]
 */
export function getBucketRanges(numVariations: number, coverage = 1, weights?: unknown): BucketRange[] {
  // NaN and non-numbers cover everything, like a missing coverage.
  const cover = coverage < 0 ? 0 : coverage <= 1 ? coverage : 1;
  let sum = NaN;
  if (Array.isArray(weights) && weights.length === numVariations)
    sum = weights.reduce((a: number, w) => a + (typeof w === 'number' ? w : NaN), 0);
  let start = 0;
  return (sum >= 0.99 && sum <= 1.01 ? (weights as number[]) : getEqualWeights(numVariations)).map((w) => {
    const range: BucketRange = [start, start + cover * w];
    start += w;
    return range;
  });
}

/**
 * Whether `n` lies in [start, end).
 *
 * @example
 * inRange(0.5, [0.5, 1]); // true
 */
export const inRange = (n: number, range: readonly [number, number]): boolean =>
  n >= range[0] && n < range[1];

/**
 * Index of the first range containing `n`, or -1.
 *
 * @example
 * chooseVariation(0.6, [[0, 0.5], [0.5, 1]]); // 1
 */
export const chooseVariation = (n: number, ranges: readonly (readonly [number, number])[]): number =>
  ranges.findIndex((range) => inRange(n, range));

/**
 * Whether a unit falls in a namespace slice `[id, start, end)`. Namespaces hash with version 1 and
 * the seed `__<id>`, shared by every experiment in the namespace, so non-overlapping slices are
 * mutually exclusive.
 *
 * @example
 * inNamespace('user-1', ['checkout', 0, 0.5]);
 */
export function inNamespace(hashValue: string, namespace: readonly [string, number, number]): boolean {
  const n = (makeHasher('__' + namespace[0], 1) as Hasher)(hashValue);
  return n >= namespace[1] && n < namespace[2];
}
