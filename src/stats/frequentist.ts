import { tCdf, tQuantile } from './distributions.js';
import type { ArmSummary, Estimate, Sided } from './types.js';

/**
 * Welch–Satterthwaite degrees of freedom for a variance that is a sum of two independent
 * components, `componentA` estimated from `nA` units and `componentB` from `nB`.
 */
export function satterthwaiteDf(componentA: number, componentB: number, nA: number, nB: number): number {
  const total = componentA + componentB;
  const denominator = (componentA * componentA) / (nA - 1) + (componentB * componentB) / (nB - 1);
  return denominator > 0 ? (total * total) / denominator : Infinity;
}

/**
 * Welch's degrees of freedom from the arms' variances of the mean, `variance / n` per arm: the df of
 * the absolute effect, and (see `relativeEffect`) of the relative one.
 */
export function welchDf(control: ArmSummary, treatment: ArmSummary): number {
  return satterthwaiteDf(
    control.variance / control.n,
    treatment.variance / treatment.n,
    control.n,
    treatment.n,
  );
}

/** Absolute effect μB − μA with Welch's standard error and degrees of freedom. */
export function absoluteEffect(control: ArmSummary, treatment: ArmSummary): Estimate {
  const vA = control.variance / control.n;
  const vB = treatment.variance / treatment.n;
  return {
    estimate: treatment.mean - control.mean,
    se: Math.sqrt(vA + vB),
    df: welchDf(control, treatment),
  };
}

/**
 * Relative effect (μB − μA)/|μA| with the delta-method variance
 * sB²/(nB·μA²) + μB²·sA²/(nA·μA⁴). Dividing by |μA| keeps the sign of the relative effect equal
 * to that of the absolute one when the control mean is negative. Returns `null` when μA = 0.
 *
 * Degrees of freedom: Welch's, from the arms' variances — the same df as the absolute effect.
 * That is the convention of the reference engine, GrowthBook's gbstats (`TTest.dof` in
 * gbstats/frequentist/tests.py), so the same sums give the same interval and p-value in both. It
 * reproduces gbstats' published relative results to their 5 decimals, which the former convention
 * (Satterthwaite on the two delta-method components) missed: 14/28 against 16/30 conversions, df
 * 55.7 against 55.0, interval ends 1.6e-4 apart (tests/stats/gbstats-published.test.ts). Neither
 * df is derived for a ratio of means, and neither covers better at small n: in a seeded simulation
 * (20–50 units per arm, normal and lognormal metrics, 20,000 experiments per case;
 * tests/stats/relative-df-simulation.test.ts) their coverages differ by at most 0.0014, either way
 * round. Figures: docs/decisions/0005-analysis-conventions.md.
 */
export function relativeEffect(control: ArmSummary, treatment: ArmSummary): Estimate | null {
  const muA = control.mean;
  if (muA === 0) return null;
  const muB = treatment.mean;
  const vB = treatment.variance / (treatment.n * muA * muA);
  const vA = (muB * muB * control.variance) / (control.n * muA ** 4);
  return {
    estimate: (muB - muA) / Math.abs(muA),
    se: Math.sqrt(vA + vB),
    df: welchDf(control, treatment),
  };
}

export interface TestOptions {
  alpha: number;
  sided: Sided;
}

export interface TestResult {
  pValue: number;
  /** `null` marks the unbounded side of a one-sided interval. */
  ci: [number | null, number | null];
}

/**
 * Fixed-horizon t test and confidence interval of `estimate` against 0. `greater` tests
 * H1: effect > 0 and gives `[lower, ∞)`; `less` tests H1: effect < 0 and gives `(−∞, upper]`.
 * Expects `se > 0`.
 */
export function tTest(est: Estimate, { alpha, sided }: TestOptions): TestResult {
  const t = est.estimate / est.se;
  if (sided === 'two') {
    const q = tQuantile(1 - alpha / 2, est.df);
    const pValue = Math.min(1, 2 * tCdf(-Math.abs(t), est.df));
    return { pValue, ci: [est.estimate - q * est.se, est.estimate + q * est.se] };
  }
  const q = tQuantile(1 - alpha, est.df);
  if (sided === 'greater') {
    return { pValue: tCdf(-t, est.df), ci: [est.estimate - q * est.se, null] };
  }
  return { pValue: tCdf(t, est.df), ci: [null, est.estimate + q * est.se] };
}
