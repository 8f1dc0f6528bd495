import { normalCdf, normalPdf, normalQuantile } from './distributions.js';
import type { Direction, GaussianPrior, Sided } from './types.js';

export interface Gaussian {
  mean: number;
  sd: number;
}

/**
 * Gaussian posterior of an effect from its asymptotically normal estimate (likelihood
 * N(estimate, se²)) and an optional Gaussian prior; a flat prior returns the likelihood itself.
 * Precision weighting: 1/σ²_post = 1/se² + 1/τ², μ_post = σ²_post·(estimate/se² + m/τ²).
 */
export function gaussianPosterior(estimate: number, se: number, prior?: GaussianPrior | null): Gaussian {
  if (!prior) return { mean: estimate, sd: se };
  const precision = 1 / (se * se) + 1 / prior.variance;
  const variance = 1 / precision;
  return { mean: variance * (estimate / (se * se) + prior.mean / prior.variance), sd: Math.sqrt(variance) };
}

/** E[max(X, 0)] for X ~ N(μ, σ²): μΦ(μ/σ) + σφ(μ/σ). */
function expectedPositivePart({ mean, sd }: Gaussian): number {
  if (sd === 0) return Math.max(mean, 0);
  const z = mean / sd;
  return mean * normalCdf(z) + sd * normalPdf(z);
}

/**
 * Posterior probability that the treatment beats the control, in the metric's own direction:
 * P(effect > 0) when higher is better, P(effect < 0) when lower is better.
 */
export function chanceToWin(posterior: Gaussian, direction: Direction): number {
  const p = posterior.sd === 0 ? (posterior.mean > 0 ? 1 : 0) : normalCdf(posterior.mean / posterior.sd);
  return direction === 'higher' ? p : 1 - p;
}

/**
 * Expected loss of shipping each arm, `[control, treatment]`, in the units of the effect: shipping
 * the control loses the effect when the treatment is better, E[max(δ, 0)]; shipping the treatment
 * loses E[max(−δ, 0)] (signs swapped when lower is better).
 */
export function expectedLoss(posterior: Gaussian, direction: Direction): [number, number] {
  const gain = direction === 'higher' ? posterior : { mean: -posterior.mean, sd: posterior.sd };
  const loss = { mean: -gain.mean, sd: gain.sd };
  return [expectedPositivePart(gain), expectedPositivePart(loss)];
}

/** Equal-tailed credible interval (one-sided when `sided` is), `null` for the unbounded side. */
export function credibleInterval(
  posterior: Gaussian,
  alpha: number,
  sided: Sided,
): [number | null, number | null] {
  const { mean, sd } = posterior;
  if (sided === 'two') {
    const q = normalQuantile(1 - alpha / 2);
    return [mean - q * sd, mean + q * sd];
  }
  const q = normalQuantile(1 - alpha);
  return sided === 'greater' ? [mean - q * sd, null] : [null, mean + q * sd];
}
