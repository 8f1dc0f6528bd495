import { bisect, normalCdf, normalQuantile } from './distributions.js';
import {
  DEFAULT_SEQUENTIAL_TUNING,
  mixtureRho,
  oneSidedSequentialMultiplier,
  sequentialMultiplier,
} from './sequential.js';
import type { Sided } from './types.js';

/**
 * Planning for a two-arm comparison of means under a normal approximation with known variance,
 * the convention of statsmodels' `NormalIndPower`: control has `n` units, treatment `ratio·n`, the
 * per-unit variance is `variance` in both arms, SE = √(variance·(1/n + 1/(ratio·n))).
 * Two-sided power counts rejections in both tails, as statsmodels does.
 */
export interface PlanningInput {
  /** Per-unit variance of the metric (p(1 − p) for a conversion rate). */
  variance: number;
  /** Units in the control arm. */
  n: number;
  /** Treatment units per control unit; 1 when omitted. */
  ratio?: number;
  alpha?: number;
  sided?: Sided;
  /** Plan for the always-valid sequential test instead of a single fixed-horizon look. */
  sequential?: boolean;
  sequentialTuning?: number;
}

function standardError({ variance, n, ratio = 1 }: PlanningInput): number {
  return Math.sqrt(variance * (1 / n + 1 / (ratio * n)));
}

/**
 * Critical value of |z|. For the sequential test it is the confidence sequence's boundary at the
 * planned total N = n(1 + ratio): the power of rejecting *at the final look*, a lower bound on the
 * power of rejecting at some look when monitoring continuously.
 */
function criticalValue(input: PlanningInput): number {
  const { alpha = 0.05, sided = 'two', n, ratio = 1 } = input;
  if (!input.sequential) return normalQuantile(sided === 'two' ? 1 - alpha / 2 : 1 - alpha);
  const rho = mixtureRho(alpha, input.sequentialTuning ?? DEFAULT_SEQUENTIAL_TUNING);
  const total = n * (1 + ratio);
  return sided === 'two'
    ? sequentialMultiplier(total, rho, alpha)
    : oneSidedSequentialMultiplier(total, rho, alpha);
}

/**
 * Probability of a significant result when the true absolute effect is `effect`. For `less` the
 * effect is expected negative (power against effect < 0).
 */
export function power(input: PlanningInput & { effect: number }): number {
  const shift = input.effect / standardError(input);
  const c = criticalValue(input);
  const sided = input.sided ?? 'two';
  if (sided === 'greater') return normalCdf(shift - c);
  if (sided === 'less') return normalCdf(-shift - c);
  return normalCdf(shift - c) + normalCdf(-shift - c);
}

/**
 * Minimum detectable (absolute) effect: the effect size, as a positive magnitude, that reaches
 * `targetPower` (default 0.8). One-sided it is (c + z_power)·SE; two-sided the small contribution
 * of the far tail is included, so it is solved numerically below that bound.
 */
export function minimumDetectableEffect(input: PlanningInput & { power?: number }): number {
  const targetPower = input.power ?? 0.8;
  const se = standardError(input);
  const upper = (criticalValue(input) + normalQuantile(targetPower)) * se;
  if ((input.sided ?? 'two') !== 'two') return upper;
  return bisect((effect) => power({ ...input, effect }) - targetPower, 0, upper, 1e-14);
}

/**
 * Units needed in the control arm (treatment gets `ratio` times as many) to detect `effect` with
 * `targetPower`; a real number, round up for planning. Useful for how long a ramp step must run.
 */
export function requiredSampleSize(
  input: Omit<PlanningInput, 'n'> & { effect: number; power?: number },
): number {
  const targetPower = input.power ?? 0.8;
  const gap = (n: number) => power({ ...input, n }) - targetPower;
  let hi = 2;
  while (gap(hi) < 0 && hi < 1e15) hi *= 2;
  return bisect(gap, hi / 2, hi, 1e-12);
}

/**
 * The plan of a sequential experiment: the control units `n` at which the confidence sequence,
 * tuned to be tightest at that very size (N* = n(1 + ratio), the pair's total), reaches
 * `targetPower` against `effect`. At N = N* the boundary in standard errors does not depend on N
 * (Nρ² is fixed by α alone), so power grows with n and the root is unique. A fixed-horizon plan is
 * `requiredSampleSize` as is. Returns the control units; the pair's total is `n(1 + ratio)`.
 *
 * @example
 * // 10% baseline conversion, +5% relative (0.005 absolute), equal split, 80% power:
 * plannedSampleSize({ variance: 0.09, effect: 0.005, sequential: true }); // ≈ 90,000 control units
 */
export function plannedSampleSize(
  input: Omit<PlanningInput, 'n' | 'sequentialTuning'> & { effect: number; power?: number },
): number {
  if (!input.sequential) return requiredSampleSize(input);
  const ratio = input.ratio ?? 1;
  const targetPower = input.power ?? 0.8;
  const gap = (n: number) => power({ ...input, n, sequentialTuning: n * (1 + ratio) }) - targetPower;
  let hi = 2;
  while (gap(hi) < 0 && hi < 1e15) hi *= 2;
  return bisect(gap, hi / 2, hi, 1e-12);
}
