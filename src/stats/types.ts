/**
 * The plain-number contract of the statistics engine. These mirror `POST /api/v1/analyze` one to one;
 * the route owns the zod schemas and keeps them in step with these types.
 */

export type MetricKind = 'mean' | 'binomial' | 'ratio';
export type Direction = 'higher' | 'lower';
export type Sided = 'two' | 'greater' | 'less';
export type Engine = 'frequentist' | 'bayesian';
export type Correction = 'holm' | 'benjamini-hochberg' | 'none';

/** Sums of a second per-unit quantity y alongside the metric x: Σy, Σy², Σx·y. */
export interface CrossMoments {
  sum: number;
  sumSquares: number;
  sumProduct: number;
}

export interface VariationInput {
  key: string;
  /** Configured traffic weight; only the proportions between variations matter. */
  weight: number;
  /** Number of experimental units. */
  n: number;
  /** Σx; for binomial metrics the number of converted units. */
  sum: number;
  /** Σx²; for binomial metrics equal to `sum`. */
  sumSquares: number;
  /** Pre-period covariate for CUPED: Σpre, Σpre², Σpost·pre. */
  pre?: CrossMoments;
  /** Ratio metrics: per-unit denominator Σd, Σd², Σnumerator·d. */
  denominator?: CrossMoments;
}

export interface GaussianPrior {
  /** Prior mean of the relative effect (0.02 = +2 %). */
  mean: number;
  /** Prior variance of the relative effect. */
  variance: number;
}

export interface AnalyzeSettings {
  /** Significance level. Every default: ANALYSIS_DEFAULTS (defaults.ts). */
  alpha?: number;
  sided?: Sided;
  engine?: Engine;
  /** Always-valid (peeking-safe) inference; frequentist engine only. On by default. */
  sequential?: boolean;
  /** N* of the normal-mixture confidence sequence: the total sample size where it is tightest. */
  sequentialTuning?: number;
  /** On by default where every variation has `pre` sums (and the metric is not a ratio). */
  cuped?: boolean;
  /** Across the comparisons of a family (`analyzeFamily`); `analyze` alone does not correct. */
  correction?: Correction;
  /** Bayesian engine only; a flat prior when omitted. */
  prior?: GaussianPrior | null;
}

export interface AnalyzeRequest {
  metric: { kind: MetricKind; direction: Direction };
  /** The first variation is the control. */
  variations: VariationInput[];
  settings?: AnalyzeSettings;
}

/**
 * A confidence interval (or credible interval) as `[lower, upper]`. `null` marks an unbounded side
 * (one-sided tests) or a value that the data cannot support (see `EffectResult`).
 */
export type Interval = [number | null, number | null];

/**
 * One effect. When the data cannot support a quantity — fewer than two units in an arm, zero
 * variance in both arms, a control mean of zero for a relative effect — the affected fields are
 * `null` rather than NaN or ±Infinity, so the result always serialises to valid JSON.
 */
export interface EffectResult {
  estimate: number | null;
  se: number | null;
  ci: Interval;
  /** Always `null` with the Bayesian engine, which reports `chanceToWin` instead. */
  pValue: number | null;
}

export interface Comparison {
  variation: string;
  absolute: EffectResult;
  relative: EffectResult;
  /** Bayesian engine only: posterior probability that the variation beats the control. */
  chanceToWin?: number | null;
  /** Bayesian engine only: expected relative loss of shipping `[control, treatment]`. */
  risk?: [number | null, number | null];
}

export interface SrmResult {
  /** χ² goodness-of-fit p-value; `null` when no units have been counted. */
  pValue: number | null;
  healthy: boolean;
}

export interface AnalyzeResponse {
  srm: SrmResult;
  comparisons: Comparison[];
}

/** Settings with every default filled in: what an analysis actually used. */
export interface ResolvedSettings {
  alpha: number;
  sided: Sided;
  engine: Engine;
  sequential: boolean;
  sequentialTuning: number;
  cuped: boolean;
  correction: Correction;
  prior: GaussianPrior | null;
}

/** Per-arm sufficient statistics after reduction: `variance / n` is the squared standard error. */
export interface ArmSummary {
  n: number;
  mean: number;
  variance: number;
}

/** An estimate with its standard error and the degrees of freedom of its t reference distribution. */
export interface Estimate {
  estimate: number;
  se: number;
  /** `Infinity` means a normal reference distribution. */
  df: number;
}
