import { chanceToWin, credibleInterval, expectedLoss, gaussianPosterior } from './bayesian.js';
import { cupedAdjust } from './cuped.js';
import { absoluteEffect, relativeEffect, tTest, type TestResult } from './frequentist.js';
import { ANALYSIS_DEFAULTS } from './defaults.js';
import { mixtureRho, sequentialTest } from './sequential.js';
import { srmTest } from './srm.js';
import { summarize } from './summary.js';
import type {
  AnalyzeRequest,
  AnalyzeResponse,
  ArmSummary,
  Comparison,
  EffectResult,
  Estimate,
  MetricKind,
  ResolvedSettings,
  VariationInput,
} from './types.js';
import { validateRequest } from './validate-request.js';

/**
 * Every setting the request leaves out, from ANALYSIS_DEFAULTS. CUPED's default applies only where
 * it can: every variation has pre-period sums and the metric is not a ratio. The sequential test
 * is a frequentist one: the Bayesian engine resolves it to off, and its correction to none (there
 * is no p-value to adjust).
 */
export function resolveSettings(
  request: Pick<AnalyzeRequest, 'settings' | 'metric' | 'variations'>,
): ResolvedSettings {
  const settings = request.settings ?? {};
  const engine = settings.engine ?? ANALYSIS_DEFAULTS.engine;
  const frequentist = engine === 'frequentist';
  const cupedPossible =
    request.metric.kind !== 'ratio' && request.variations.every((v) => v.pre !== undefined);
  return {
    alpha: settings.alpha ?? ANALYSIS_DEFAULTS.alpha,
    sided: settings.sided ?? ANALYSIS_DEFAULTS.sided,
    engine,
    sequential: frequentist && (settings.sequential ?? ANALYSIS_DEFAULTS.sequential),
    sequentialTuning: settings.sequentialTuning ?? ANALYSIS_DEFAULTS.sequentialTuning,
    cuped: settings.cuped ?? (ANALYSIS_DEFAULTS.cuped && cupedPossible),
    correction: frequentist ? (settings.correction ?? ANALYSIS_DEFAULTS.correction) : 'none',
    prior: frequentist ? null : (settings.prior ?? ANALYSIS_DEFAULTS.prior),
  };
}

/**
 * How an estimate is turned into a p-value and an interval at a given α; kept so that multiple-
 * comparison corrections can re-form intervals at an adjusted α with the same method.
 */
export type IntervalMethod = (estimate: Estimate, alpha: number) => TestResult;

export function intervalMethod(settings: ResolvedSettings, totalN: number): IntervalMethod {
  if (!settings.sequential) return (est, alpha) => tTest(est, { alpha, sided: settings.sided });
  // ρ stays at its configured value whatever α the interval is formed at (see sequentialTest).
  const rho = mixtureRho(settings.alpha, settings.sequentialTuning);
  return (est, alpha) => sequentialTest(est, { alpha, sided: settings.sided, n: totalN, rho });
}

/** A comparison together with what produced it. */
export interface DetailedComparison {
  comparison: Comparison;
  absolute: Estimate | null;
  relative: Estimate | null;
  method: IntervalMethod;
}

/** Mean of an arm where one exists even if its variance does not (a single unit). */
function pointMean(v: VariationInput, kind: MetricKind): number | null {
  if (kind === 'ratio') return v.denominator && v.denominator.sum !== 0 ? v.sum / v.denominator.sum : null;
  return v.n > 0 ? v.sum / v.n : null;
}

function armPair(
  control: VariationInput,
  treatment: VariationInput,
  kind: MetricKind,
  cuped: boolean,
): [ArmSummary, ArmSummary] | null {
  if (cuped && kind !== 'ratio' && control.pre && treatment.pre) {
    const adjusted = cupedAdjust(
      { ...control, pre: control.pre },
      { ...treatment, pre: treatment.pre },
      kind,
    );
    return adjusted ? [adjusted.control, adjusted.treatment] : null;
  }
  const a = summarize(control, kind);
  const b = summarize(treatment, kind);
  return a && b ? [a, b] : null;
}

const EMPTY: EffectResult = { estimate: null, se: null, ci: [null, null], pValue: null };

/** Usable estimates have a positive, finite standard error; anything else has nothing to test. */
function usable(est: Estimate | null): est is Estimate {
  return est !== null && Number.isFinite(est.estimate) && est.se > 0 && Number.isFinite(est.se);
}

/** The estimate alone, when it exists but cannot be tested (zero variance). */
function pointEstimate(est: Estimate | null, fallback: number | null): number | null {
  return est !== null && Number.isFinite(est.estimate) ? est.estimate : fallback;
}

function frequentistResult(
  est: Estimate | null,
  fallback: number | null,
  method: IntervalMethod,
  alpha: number,
): EffectResult {
  if (!usable(est)) return { ...EMPTY, estimate: pointEstimate(est, fallback) };
  const { ci, pValue } = method(est, alpha);
  return { estimate: est.estimate, se: est.se, ci, pValue };
}

function compare(
  control: VariationInput,
  treatment: VariationInput,
  request: AnalyzeRequest,
  settings: ResolvedSettings,
): DetailedComparison {
  const { kind, direction } = request.metric;
  const pair = armPair(control, treatment, kind, settings.cuped);
  const absolute = pair ? absoluteEffect(pair[0], pair[1]) : null;
  const relative = pair ? relativeEffect(pair[0], pair[1]) : null;
  const method = intervalMethod(settings, control.n + treatment.n);
  const muA = pointMean(control, kind);
  const muB = pointMean(treatment, kind);
  const rawAbsolute = muA !== null && muB !== null ? muB - muA : null;
  const rawRelative = rawAbsolute !== null && muA ? rawAbsolute / Math.abs(muA) : null;

  if (settings.engine === 'frequentist') {
    return {
      comparison: {
        variation: treatment.key,
        absolute: frequentistResult(absolute, rawAbsolute, method, settings.alpha),
        relative: frequentistResult(relative, rawRelative, method, settings.alpha),
      },
      absolute,
      relative,
      method,
    };
  }

  // Bayesian: the prior is stated on the relative scale; on the absolute scale it is rescaled by
  // the control mean so that both posteriors express the same belief.
  const { prior, alpha, sided } = settings;
  const controlMean = pair ? pair[0].mean : 0;
  const bayes = (est: Estimate | null, fallback: number | null, scale: number) => {
    if (!usable(est))
      return { result: { ...EMPTY, estimate: pointEstimate(est, fallback) }, posterior: null };
    const scaled =
      prior && scale !== 0 ? { mean: prior.mean * scale, variance: prior.variance * scale * scale } : null;
    const posterior = gaussianPosterior(est.estimate, est.se, scaled);
    const result: EffectResult = {
      estimate: posterior.mean,
      se: posterior.sd,
      ci: credibleInterval(posterior, alpha, sided),
      pValue: null,
    };
    return { result, posterior };
  };
  const abs = bayes(absolute, rawAbsolute, Math.abs(controlMean));
  const rel = bayes(relative, rawRelative, 1);
  const decisive = rel.posterior ?? abs.posterior;
  return {
    comparison: {
      variation: treatment.key,
      absolute: abs.result,
      relative: rel.result,
      chanceToWin: decisive ? chanceToWin(decisive, direction) : null,
      risk: rel.posterior ? expectedLoss(rel.posterior, direction) : [null, null],
    },
    absolute,
    relative,
    method,
  };
}

/**
 * Last line of defence for the JSON contract: input near the limits of double precision (sums
 * around 1e154 and up overflow when squared) could still yield ±Infinity or NaN somewhere;
 * those become `null` like every other unsupported quantity.
 */
function finite(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}

function sanitize(c: Comparison): Comparison {
  const effect = (e: EffectResult): EffectResult => ({
    estimate: finite(e.estimate),
    se: finite(e.se),
    ci: [finite(e.ci[0]), finite(e.ci[1])],
    pValue: finite(e.pValue),
  });
  const out: Comparison = {
    variation: c.variation,
    absolute: effect(c.absolute),
    relative: effect(c.relative),
  };
  if (c.chanceToWin !== undefined) out.chanceToWin = finite(c.chanceToWin);
  if (c.risk !== undefined) out.risk = [finite(c.risk[0]), finite(c.risk[1])];
  return out;
}

/** `analyze` plus the estimates behind each comparison (for `analyzeFamily`). */
export function analyzeDetailed(request: AnalyzeRequest): {
  response: AnalyzeResponse;
  details: DetailedComparison[];
  settings: ResolvedSettings;
} {
  validateRequest(request);
  const settings = resolveSettings(request);
  const { variations } = request;
  const srm = srmTest(
    variations.map((v) => v.n),
    variations.map((v) => v.weight),
  );
  const [control, ...treatments] = variations;
  const details = treatments
    .map((t) => compare(control, t, request, settings))
    .map((d) => ({ ...d, comparison: sanitize(d.comparison) }));
  return {
    response: {
      srm: { pValue: srm.pValue, healthy: srm.healthy },
      comparisons: details.map((d) => d.comparison),
    },
    details,
    settings,
  };
}

/**
 * Analyses one metric of an experiment: sample-ratio check plus each treatment against the first
 * variation (the control). Throws `StatsInputError` (with the offending `field`) for malformed
 * input; returns `null` fields for quantities the data cannot support.
 *
 * @example
 * analyze({
 *   metric: { kind: 'binomial', direction: 'higher' },
 *   variations: [
 *     { key: 'control', weight: 0.5, n: 1000, sum: 100, sumSquares: 100 },
 *     { key: 'new-checkout', weight: 0.5, n: 1000, sum: 130, sumSquares: 130 },
 *   ],
 *   settings: { alpha: 0.05, sided: 'two', engine: 'frequentist', sequential: false, cuped: false },
 * }).comparisons[0].relative; // { estimate: 0.3, se: …, ci: […], pValue: … }
 */
export function analyze(request: AnalyzeRequest): AnalyzeResponse {
  return analyzeDetailed(request).response;
}
