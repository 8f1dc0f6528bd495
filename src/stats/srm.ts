import { chiSquareSurvival, logGamma } from './distributions.js';

/** Sample-ratio mismatch is flagged below this p-value: strict, because SRM checks run constantly. */
export const SRM_THRESHOLD = 0.001;

export interface SrmTest {
  statistic: number;
  df: number;
  /** `null` when no units have been counted yet. */
  pValue: number | null;
  healthy: boolean;
}

function proportions(weights: number[]): number[] {
  // Scaled by the largest first: a sum of weights near the double limit would overflow to Infinity.
  const largest = Math.max(...weights);
  const total = weights.reduce((s, w) => s + w / largest, 0);
  return weights.map((w) => w / largest / total);
}

/**
 * The arms that take part in the test: a variation configured at 0 (paused by a weight change)
 * expects no unit, so without units it says nothing about the split, and its 0/0 term would be NaN.
 * `starved`: one of them has units after all, a certain mismatch.
 */
function activeArms(counts: number[], weights: number[]) {
  const active = counts.map((_, i) => i).filter((i) => weights[i]! > 0 || counts[i]! > 0);
  return {
    counts: active.map((i) => counts[i]!),
    weights: active.map((i) => weights[i]!),
    starved: active.some((i) => !(weights[i]! > 0)),
  };
}

/**
 * Pearson χ² goodness of fit of the units per variation against the configured weights
 * (k − 1 degrees of freedom, k the variations with a weight or units). With no units there is no
 * evidence either way: healthy, p = null.
 */
export function srmTest(allCounts: number[], allWeights: number[], threshold = SRM_THRESHOLD): SrmTest {
  const total = allCounts.reduce((s, c) => s + c, 0);
  if (total <= 0 || allCounts.length < 2)
    return { statistic: 0, df: allCounts.length - 1, pValue: null, healthy: true };
  const { counts, weights, starved } = activeArms(allCounts, allWeights);
  const df = counts.length - 1;
  if (starved) return { statistic: Infinity, df, pValue: 0, healthy: false };
  if (df < 1) return { statistic: 0, df, pValue: 1, healthy: true };
  const expected = proportions(weights).map((p) => p * total);
  const statistic = counts.reduce((s, c, i) => s + (c - expected[i]) ** 2 / expected[i], 0);
  const pValue = chiSquareSurvival(statistic, df);
  return { statistic, df, pValue, healthy: pValue >= threshold };
}

/** Default prior concentration of the sequential SRM test (see `sequentialSrmTest`). */
export const DEFAULT_SRM_CONCENTRATION = 1000;

export interface SequentialSrmTest {
  logBayesFactor: number;
  /** Anytime-valid p-value, min(1, 1/BF). */
  pValue: number;
  healthy: boolean;
}

/** ln B(a) = Σ lnΓ(aᵢ) − lnΓ(Σaᵢ), the log multivariate beta function. */
function logMultivariateBeta(a: number[]): number {
  return a.reduce((s, x) => s + logGamma(x), 0) - logGamma(a.reduce((s, x) => s + x, 0));
}

/**
 * Sequential SRM test: a Dirichlet–multinomial Bayes factor of "assignment probabilities p ~
 * Dirichlet(c·π)" against "p = π" (π the configured proportions),
 * BF = B(c·π + counts)/B(c·π) / Ππᵢ^countsᵢ.
 * Under H0 the BF, evaluated unit by unit, is a nonnegative martingale with mean 1, so by Ville's
 * inequality P(BF ever ≥ 1/α) ≤ α: monitoring it after every unit keeps its error rate at α,
 * unlike repeating the χ² test. The prior is centred on the configured split; its concentration
 * c (default 1000) sets which deviations it is quickest to detect — a prior standard deviation
 * of about √(π(1−π)/c), 1.6 percentage points for a 50/50 split, the size of typical SRM bugs.
 */
export function sequentialSrmTest(
  allCounts: number[],
  allWeights: number[],
  { concentration = DEFAULT_SRM_CONCENTRATION, threshold = SRM_THRESHOLD } = {},
): SequentialSrmTest {
  const { counts, weights, starved } = activeArms(allCounts, allWeights);
  if (starved) return { logBayesFactor: Infinity, pValue: 0, healthy: false };
  const pi = proportions(weights);
  const prior = pi.map((p) => concentration * p);
  const posterior = prior.map((a, i) => a + counts[i]);
  const logLikelihoodH0 = counts.reduce((s, c, i) => s + (c === 0 ? 0 : c * Math.log(pi[i])), 0);
  const logBayesFactor = logMultivariateBeta(posterior) - logMultivariateBeta(prior) - logLikelihoodH0;
  const pValue = Math.min(1, Math.exp(-logBayesFactor));
  return { logBayesFactor, pValue, healthy: pValue >= threshold };
}
