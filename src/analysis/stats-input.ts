// Sufficient statistics of an experiment's metric → a request for the pure stats engine.
import {
  cupedAdjust,
  summarize,
  type AnalyzeRequest,
  type AnalyzeSettings,
  type ArmSummary,
  type MetricKind,
} from '../stats/index.ts';
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import { usesCuped } from './metric-sql.ts';
import type { MetricSums } from './metric-sums.ts';

/** The engine's kind: `repeat` is a conversion (binomial), `nps` a mean of +100 / 0 / −100 per respondent. */
export function statsKind(metric: AnalysisMetric): MetricKind {
  if (metric.kind === 'binomial' || metric.kind === 'retention' || metric.kind === 'repeat')
    return 'binomial';
  return metric.kind === 'ratio' ? 'ratio' : 'mean';
}

export function statsSettings(spec: AnalysisSpec, metric: AnalysisMetric): AnalyzeSettings {
  const s = spec.experiment.settings;
  const frequentist = s.engine === 'frequentist';
  return {
    alpha: s.alpha,
    sided: s.sided,
    engine: s.engine,
    sequential: frequentist && s.sequential,
    sequentialTuning: s.sequentialTuning,
    cuped: usesCuped(spec, metric),
    prior: frequentist ? null : (s.prior ?? null),
  };
}

/** Configured weight of each variation in the current phase. */
export function phaseWeights(spec: AnalysisSpec): number[] {
  return spec.variations.map((v, i) => spec.phase.weights[i] ?? v.weight);
}

export function statsRequest(spec: AnalysisSpec, metric: AnalysisMetric, arms: MetricSums[]): AnalyzeRequest {
  const weights = phaseWeights(spec);
  const kind = statsKind(metric);
  return {
    metric: { kind, direction: metric.direction },
    variations: spec.variations.map((v, i) => {
      const arm = arms[i]!;
      return {
        key: v.key,
        weight: weights[i]! > 0 ? weights[i]! : 1e-9,
        n: arm.n,
        sum: arm.sum,
        sumSquares: kind === 'binomial' ? arm.sum : arm.sumSquares,
        ...(arm.pre && usesCuped(spec, metric) ? { pre: arm.pre } : {}),
        ...(arm.denominator ? { denominator: arm.denominator } : {}),
      };
    }),
    settings: statsSettings(spec, metric),
  };
}

/** The arm's mean on the metric's scale (a ratio metric: Σnumerator / Σdenominator); null without data. */
export function armMean(metric: AnalysisMetric, arm: MetricSums): number | null {
  if (metric.kind === 'ratio') {
    const d = arm.denominator?.sum ?? 0;
    return d > 0 ? arm.sum / d : null;
  }
  return arm.n > 0 ? arm.sum / arm.n : null;
}

/** Per-unit mean and variance of an arm (delta method for ratios), for planning. */
export function armSummary(metric: AnalysisMetric, arm: MetricSums): ArmSummary | null {
  return summarize(
    {
      n: arm.n,
      sum: arm.sum,
      sumSquares: arm.sumSquares,
      ...(arm.denominator ? { denominator: arm.denominator } : {}),
    },
    statsKind(metric),
  );
}

/**
 * The control arm's per-unit variance after CUPED against `treatment`, as the analysis adjusts it
 * (θ pooled over the pair); null where CUPED does not apply. Planning with it keeps "days left"
 * from counting on the variance CUPED already removes.
 */
export function cupedControlVariance(
  spec: AnalysisSpec,
  metric: AnalysisMetric,
  control: MetricSums,
  treatment: MetricSums,
): number | null {
  const kind = statsKind(metric);
  if (kind === 'ratio' || !usesCuped(spec, metric) || !control.pre || !treatment.pre) return null;
  const pair = cupedAdjust({ ...control, pre: control.pre }, { ...treatment, pre: treatment.pre }, kind);
  return pair?.control.variance ?? null;
}
