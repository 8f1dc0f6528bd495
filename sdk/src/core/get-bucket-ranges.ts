// Turning weights into slices of [0, 1) and hashes into variations. Ranges are laid out in
// variation order from 0, each as wide as coverage × weight, so raising coverage or a later
// variation's weight only ever extends ranges at their ends and never reshuffles units.
import { hash } from './hash.js';

/** A slice [start, end) of the unit interval. */
export type BucketRange = [number, number];

/**
 * `n` equal weights summing to 1 (empty for n < 1).
 *
 * @example
 * getEqualWeights(4); // [0.25, 0.25, 0.25, 0.25]
 */
export function getEqualWeights(n: number): number[] {
  if (!(n >= 1)) return [];
  return new Array<number>(n).fill(1 / n);
}

/**
 * Bucket ranges for `numVariations` variations. Coverage is clamped to [0, 1]; weights that do
 * not match the variation count or do not sum to 1 (±0.01) fall back to equal weights.
 *
 * @example
 * getBucketRanges(2, 0.5, [0.4, 0.6]); // [[0, 0.2], [0.4, 0.7]]
 */
export function getBucketRanges(
  numVariations: number,
  coverage: number = 1,
  weights?: number[] | null,
): BucketRange[] {
  const cover = coverage < 0 ? 0 : coverage > 1 ? 1 : Number.isFinite(coverage) ? coverage : 1;
  let w = weights;
  if (!Array.isArray(w) || w.length !== numVariations || !validSum(w)) {
    w = getEqualWeights(numVariations);
  }
  const ranges: BucketRange[] = [];
  let cumulative = 0;
  for (const weight of w) {
    const start = cumulative;
    cumulative += weight;
    ranges.push([start, start + cover * weight]);
  }
  return ranges;
}

function validSum(weights: number[]): boolean {
  let sum = 0;
  for (const x of weights) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return false;
    sum += x;
  }
  return sum >= 0.99 && sum <= 1.01;
}

/**
 * Whether `n` lies in [start, end).
 *
 * @example
 * inRange(0.5, [0.5, 1]); // true
 */
export function inRange(n: number, range: readonly [number, number]): boolean {
  return Array.isArray(range) && n >= range[0] && n < range[1];
}

/**
 * Index of the first range containing `n`, or -1.
 *
 * @example
 * chooseVariation(0.6, [[0, 0.5], [0.5, 1]]); // 1
 */
export function chooseVariation(n: number, ranges: readonly (readonly [number, number])[]): number {
  if (!Array.isArray(ranges)) return -1;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    if (Array.isArray(r) && n >= r[0] && n < r[1]) return i;
  }
  return -1;
}

/**
 * Whether a unit falls in a namespace slice `[id, start, end)`. Namespaces hash with version 1 and
 * the seed `__<id>`, shared by every experiment in the namespace, so non-overlapping slices are
 * mutually exclusive.
 *
 * @example
 * inNamespace('user-1', ['checkout', 0, 0.5]);
 */
export function inNamespace(hashValue: string, namespace: readonly [string, number, number]): boolean {
  if (!Array.isArray(namespace)) return false;
  const n = hash('__' + namespace[0], hashValue, 1);
  return n !== null && n >= namespace[1] && n < namespace[2];
}
