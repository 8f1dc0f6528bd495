import { ANALYSIS_DEFAULTS } from './defaults.js';
import { bisect, normalCdf } from './distributions.js';
import type { TestOptions, TestResult } from './frequentist.js';
import type { Estimate } from './types.js';

/** Default N*: the total sample size at which the confidence sequence is tightest. */
export const DEFAULT_SEQUENTIAL_TUNING: number = ANALYSIS_DEFAULTS.sequentialTuning;

/**
 * Mixing scale ρ of the normal-mixture confidence sequence, chosen so that the boundary is
 * (approximately) tightest when the total sample size reaches `tuning` (N*):
 * ρ = √((−2 ln α + ln(1 − 2 ln α)) / N*).
 */
export function mixtureRho(alpha: number, tuning = DEFAULT_SEQUENTIAL_TUNING): number {
  const logAlpha = Math.log(alpha);
  return Math.sqrt((-2 * logAlpha + Math.log(1 - 2 * logAlpha)) / tuning);
}

export interface SequentialOptions extends TestOptions {
  /** Total units across both arms, N = nA + nB. */
  n: number;
  /** Mixing scale from `mixtureRho`, fixed by the configured α and N*. */
  rho: number;
}

/**
 * Half-width multiplier of the two-sided sequence in standard errors:
 * √(2(Nρ²+1)/(Nρ²) · ln(√(Nρ²+1)/α)), i.e. the half-width
 * √(N·SE²)·√(2(Nρ²+1)·ln(√(Nρ²+1)/α)/(Nρ)²) divided by SE.
 */
export function sequentialMultiplier(n: number, rho: number, alpha: number): number {
  const v = n * rho * rho;
  return Math.sqrt(Math.max(0, ((2 * (v + 1)) / v) * Math.log(Math.sqrt(v + 1) / alpha)));
}

/**
 * log of the one-sided mixture likelihood ratio Λ₊(z) = 2Φ(bz)·e^{b²z²/2}/√(1+Nρ²), b² = Nρ²/(1+Nρ²):
 * the Gaussian mixture over positive drifts only (half-normal mixing). Increasing in z.
 */
function logOneSidedMixture(z: number, v: number): number {
  const b = Math.sqrt(v / (1 + v));
  const phi = normalCdf(b * z);
  return Math.log(2) + Math.log(phi) + (b * b * z * z) / 2 - 0.5 * Math.log(1 + v);
}

/** z at which the one-sided mixture reaches 1/α: the one-sided boundary in standard errors. */
export function oneSidedSequentialMultiplier(n: number, rho: number, alpha: number): number {
  const v = n * rho * rho;
  const b = Math.sqrt(v / (1 + v));
  const target = -Math.log(alpha);
  // Φ(bz) ≥ ½ for z ≥ 0 bounds the root from above.
  const upper = Math.sqrt(2 * (target + 0.5 * Math.log(1 + v))) / b;
  return bisect((z) => logOneSidedMixture(z, v) - target, 0, upper);
}

/**
 * Always-valid test and confidence sequence for an asymptotically normal estimate.
 *
 * Two-sided: the p-value is the smallest α at which the sequence (with ρ held at its configured
 * value) excludes 0. Solving |estimate| = SE·multiplier(α) for α gives the closed form
 * p = min(1, √(Nρ²+1)·exp(−z²·Nρ²/(2(Nρ²+1)))), z = estimate/SE, which is 1/Λ for the Gaussian
 * mixture martingale Λ; Ville's inequality makes it valid at every look.
 *
 * One-sided: the mixture is restricted to drifts in the tested direction (half-normal mixing);
 * p = min(1, 1/Λ₊(±z)) and the finite end of the interval solves Λ₊ = 1/α numerically.
 * Expects `se > 0`.
 */
export function sequentialTest(est: Estimate, { alpha, sided, n, rho }: SequentialOptions): TestResult {
  const z = est.estimate / est.se;
  const v = n * rho * rho;
  if (sided === 'two') {
    const half = est.se * sequentialMultiplier(n, rho, alpha);
    const pValue = Math.min(1, Math.sqrt(v + 1) * Math.exp((-z * z * v) / (2 * (v + 1))));
    return { pValue, ci: [est.estimate - half, est.estimate + half] };
  }
  const half = est.se * oneSidedSequentialMultiplier(n, rho, alpha);
  const directed = sided === 'greater' ? z : -z;
  const pValue = Math.min(1, Math.exp(-logOneSidedMixture(directed, v)));
  return sided === 'greater'
    ? { pValue, ci: [est.estimate - half, null] }
    : { pValue, ci: [null, est.estimate + half] };
}
