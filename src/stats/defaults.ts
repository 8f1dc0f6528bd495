/**
 * The analysis defaults of the whole service. Experiments, `POST /api/v1/analyze` and rollout
 * guardrails resolve every setting they are not given from here, so the same sums give the same
 * numbers wherever they are analysed; every result returns the settings it used. Why each value:
 * docs/decisions/0009-analysis-defaults.md.
 */
export const ANALYSIS_DEFAULTS = {
  alpha: 0.05,
  sided: 'two',
  engine: 'frequentist',
  /** Results are read many times a day: the always-valid interval keeps peeking honest. */
  sequential: true,
  /** N* of the confidence sequence when no plan sets it: the total units where it is tightest. */
  sequentialTuning: 5000,
  /** Applied wherever a pre-period exists (never to ratio metrics). */
  cuped: true,
  /** Across goal metrics × variations (and across the variations of one /analyze request). */
  correction: 'holm',
  /** Power a plan asks for when it does not say. */
  power: 0.8,
  prior: null,
} as const;
