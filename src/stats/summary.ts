import type { ArmSummary, CrossMoments, MetricKind } from './types.js';

/** Sample variance from sums, `(Σx² − (Σx)²/n)/(n−1)`, clamped at 0 against rounding. */
export function sampleVariance(n: number, sum: number, sumSquares: number): number {
  return Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
}

/** Sample covariance from sums, `(Σxy − ΣxΣy/n)/(n−1)`. */
export function sampleCovariance(n: number, sumX: number, sumY: number, sumProduct: number): number {
  return (sumProduct - (sumX * sumY) / n) / (n - 1);
}

export interface SummaryInput {
  n: number;
  sum: number;
  sumSquares: number;
  denominator?: CrossMoments;
}

/**
 * Reduces one arm's sums to a mean and a per-unit variance such that `variance / n` is the squared
 * standard error of the mean. Returns `null` when the arm cannot support an estimate with a standard
 * error: fewer than two units, or (ratio metrics) a zero denominator total.
 *
 * Ratio metrics (Σnumerator / Σdenominator over units) use the delta method on the per-unit pair
 * (X, Y), R = x̄/ȳ: Var(R̂)·n ≈ (s²_X − 2R·s_XY + R²·s²_Y) / ȳ². That keeps every later formula
 * (Welch, relative effect, CUPED-free Bayesian) identical for all metric kinds.
 */
export function summarize(input: SummaryInput, kind: MetricKind): ArmSummary | null {
  const { n, sum, sumSquares } = input;
  if (!(n >= 2)) return null;
  if (kind === 'binomial') {
    const p = sum / n;
    return { n, mean: p, variance: p * (1 - p) };
  }
  if (kind === 'mean') {
    return { n, mean: sum / n, variance: sampleVariance(n, sum, sumSquares) };
  }
  const d = input.denominator;
  if (!d || d.sum === 0) return null;
  const meanY = d.sum / n;
  const ratio = sum / d.sum;
  const varX = sampleVariance(n, sum, sumSquares);
  const varY = sampleVariance(n, d.sum, d.sumSquares);
  const covXY = sampleCovariance(n, sum, d.sum, d.sumProduct);
  const variance = Math.max(0, (varX - 2 * ratio * covXY + ratio * ratio * varY) / (meanY * meanY));
  return { n, mean: ratio, variance };
}
