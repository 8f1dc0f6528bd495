import { sampleCovariance, sampleVariance } from './summary.js';
import type { ArmSummary, CrossMoments, MetricKind } from './types.js';

export interface CupedArmInput {
  n: number;
  sum: number;
  sumSquares: number;
  pre: CrossMoments;
}

/** Centred sums of one arm: S_xy = Σxy − ΣxΣy/n and S_xx = Σx² − (Σx)²/n. */
function centred(arm: CupedArmInput): { sxy: number; sxx: number } {
  return {
    sxy: arm.pre.sumProduct - (arm.sum * arm.pre.sum) / arm.n,
    sxx: arm.pre.sumSquares - (arm.pre.sum * arm.pre.sum) / arm.n,
  };
}

/**
 * θ = Cov(post, pre)/Var(pre) pooled over the arms *within* arms: ΣS_xy / ΣS_xx. Pooling within
 * arms (rather than over the combined sample) keeps a treatment effect on the metric out of θ, and
 * makes θ exactly the pre-period coefficient of the ANCOVA regression post ~ arm + pre.
 * θ = 0 when the covariate is constant (nothing to adjust with).
 */
export function cupedTheta(arms: CupedArmInput[]): number {
  let sxy = 0;
  let sxx = 0;
  for (const arm of arms) {
    const c = centred(arm);
    sxy += c.sxy;
    sxx += c.sxx;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

export interface CupedAdjustment {
  theta: number;
  control: ArmSummary;
  treatment: ArmSummary;
}

/**
 * CUPED-adjusted summaries of a control/treatment pair: per-unit values y − θ(x − x̄), x̄ the pooled
 * pre-period mean of the pair, so adjusted means stay on the metric's scale (which the relative
 * effect needs) and their difference is (ȳB − ȳA) − θ(x̄B − x̄A). Adjusted per-unit variance is
 * s²_y − 2θ·s_xy + θ²·s²_x per arm, treating θ as known (its estimation error is O(1/n)).
 * For binomial metrics s²_y is p(1 − p), as everywhere else. Returns `null` for arms with n < 2.
 */
export function cupedAdjust(
  control: CupedArmInput,
  treatment: CupedArmInput,
  kind: Exclude<MetricKind, 'ratio'>,
): CupedAdjustment | null {
  if (!(control.n >= 2 && treatment.n >= 2)) return null;
  const theta = cupedTheta([control, treatment]);
  const preMean = (control.pre.sum + treatment.pre.sum) / (control.n + treatment.n);
  const adjust = (arm: CupedArmInput): ArmSummary => {
    const mean = arm.sum / arm.n;
    const varY = kind === 'binomial' ? mean * (1 - mean) : sampleVariance(arm.n, arm.sum, arm.sumSquares);
    const varX = sampleVariance(arm.n, arm.pre.sum, arm.pre.sumSquares);
    const covXY = sampleCovariance(arm.n, arm.sum, arm.pre.sum, arm.pre.sumProduct);
    return {
      n: arm.n,
      mean: mean - theta * (arm.pre.sum / arm.n - preMean),
      variance: Math.max(0, varY - 2 * theta * covXY + theta * theta * varX),
    };
  };
  return { theta, control: adjust(control), treatment: adjust(treatment) };
}
