import { analyze, analyzeDetailed, resolveSettings, type DetailedComparison } from './analyze.js';
import { adjustedIntervalAlpha, adjustPValues, type CorrectionMethod } from './corrections.js';
import type { AnalyzeRequest, AnalyzeResponse, EffectResult, ResolvedSettings } from './types.js';
import { StatsInputError, validateRequest } from './validate-request.js';

export interface FamilyOptions {
  method: CorrectionMethod;
  /** Family-level α for BH's rejections; the first request's α when omitted. */
  alpha?: number;
}

interface Slot {
  detail: DetailedComparison;
  which: 'absolute' | 'relative';
  result: EffectResult;
}

/**
 * Analyses several goal metrics of one experiment and corrects for multiplicity across
 * metrics × variations. Absolute and relative effects are two separate families (each of size
 * m = number of comparisons that have a p-value), because a reader looks at one or the other.
 * p-values are replaced by Holm or Benjamini–Hochberg adjusted ones; intervals are re-formed with
 * the same method (t or confidence sequence) at the level from `adjustedIntervalAlpha`.
 * Results from the Bayesian engine have no p-values and pass through unchanged. A malformed request
 * throws `StatsInputError` with its index in front of the field, e.g. `[1].variations[0].sum`.
 */
export function analyzeFamily(requests: AnalyzeRequest[], options: FamilyOptions): AnalyzeResponse[] {
  const analyses = requests.map((request, i) => {
    try {
      return analyzeDetailed(request);
    } catch (error) {
      // Name the failing request too, e.g. `[1].variations[0].sum`; the route prefixes its array.
      if (error instanceof StatsInputError) throw new StatsInputError(`[${i}].${error.field}`, error.reason);
      throw error;
    }
  });
  const alpha = options.alpha ?? analyses[0]?.settings.alpha ?? 0.05;
  const responses = analyses.map(({ response }) => ({
    srm: response.srm,
    comparisons: response.comparisons.map((c) => ({
      ...c,
      absolute: { ...c.absolute },
      relative: { ...c.relative },
    })),
  }));

  for (const which of ['absolute', 'relative'] as const) {
    const slots: Slot[] = [];
    analyses.forEach((analysis, i) => {
      analysis.details.forEach((detail, j) => {
        const result = responses[i].comparisons[j][which];
        if (result.pValue !== null && detail[which] !== null) slots.push({ detail, which, result });
      });
    });
    const raw = slots.map((s) => s.result.pValue as number);
    const adjusted = adjustPValues(raw, options.method);
    const intervalAlpha = adjustedIntervalAlpha(raw, alpha, options.method);
    slots.forEach((slot, k) => {
      const estimate = slot.detail[slot.which];
      if (estimate) slot.result.ci = slot.detail.method(estimate, intervalAlpha).ci;
      slot.result.pValue = adjusted[k];
    });
  }
  return responses;
}

/**
 * One metric analysed as an experiment reports its only goal metric: every treatment against the
 * control, the comparisons corrected together with the settings' correction (none for one
 * treatment or the Bayesian engine), and the settings resolved from ANALYSIS_DEFAULTS. What
 * `POST /api/v1/analyze` answers.
 */
export function analyzeCorrected(request: AnalyzeRequest): AnalyzeResponse & { settings: ResolvedSettings } {
  validateRequest(request);
  const settings = resolveSettings(request);
  const [response] =
    settings.correction === 'none'
      ? [analyze(request)]
      : analyzeFamily([request], { method: settings.correction, alpha: settings.alpha });
  return { ...response!, settings };
}
