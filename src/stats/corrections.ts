/** Multiple-comparison corrections over a family of p-values (goal metrics × variations). */

export type CorrectionMethod = 'holm' | 'benjamini-hochberg';

/** Indices of `values` sorted ascending (stable). */
function ascendingOrder(values: number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}

/**
 * Holm–Bonferroni adjusted p-values: for the i-th smallest p (1-based),
 * max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎). Controls the family-wise error rate.
 */
export function holm(pValues: number[]): number[] {
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 0;
  ascendingOrder(pValues).forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values): for the i-th smallest p,
 * min over j ≥ i of min(1, m·p₍ⱼ₎/j). Controls the false discovery rate.
 */
export function benjaminiHochberg(pValues: number[]): number[] {
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  const order = ascendingOrder(pValues);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank];
    running = Math.min(running, (m * pValues[index]) / (rank + 1));
    adjusted[index] = running;
  }
  return adjusted;
}

export function adjustPValues(pValues: number[], method: CorrectionMethod): number[] {
  return method === 'holm' ? holm(pValues) : benjaminiHochberg(pValues);
}

/**
 * The significance level at which to form each adjusted interval.
 *
 * Holm has no interval that is both simple and consistent with its step-down rejections, so the
 * standard choice is the Bonferroni interval at α/m: simultaneous coverage 1 − α for the family
 * (conservative; Holm may reject a hypothesis whose Bonferroni interval still contains 0).
 *
 * Benjamini–Hochberg pairs with the false-coverage-rate intervals of Benjamini & Yekutieli (2005):
 * with R hypotheses rejected by BH at level α, intervals at level 1 − R·α/m. BY define them for
 * the rejected (selected) hypotheses; we give the others the same level, using R = 1 when nothing
 * is rejected (i.e. Bonferroni), so that every interval in the family is on one footing. With a
 * test and interval that agree, the intervals then exclude 0 exactly for the BH rejections.
 */
export function adjustedIntervalAlpha(pValues: number[], alpha: number, method: CorrectionMethod): number {
  const m = pValues.length;
  if (m === 0) return alpha;
  if (method === 'holm') return alpha / m;
  const rejected = benjaminiHochberg(pValues).filter((q) => q <= alpha).length;
  return (Math.max(rejected, 1) * alpha) / m;
}
