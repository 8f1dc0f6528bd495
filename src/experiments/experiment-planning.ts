// What an experiment's start derives from its plan: each goal metric's planned sample size from its
// minimum detectable effect and its pre-period baseline, and the sequential tuning N* set to the
// largest of them, so the confidence sequence is tightest where the decision will be made. Fixed
// from then on: a tuning that followed the data would void the always-valid guarantee.
// Why: docs/decisions/0009-analysis-defaults.md.
import type { Baseline } from '../analysis/metric-baseline.ts';
import { ANALYSIS_DEFAULTS, plannedSampleSize } from '../stats/index.ts';
import type {
  AnalysisMetric,
  ExperimentPlan,
  ExperimentPlanning,
  ExperimentSettings,
  MetricPlanning,
} from './analysis-spec.ts';
import type { Issue } from './experiment-rules.ts';

/** A plan's effects by metric must name goal metrics of the experiment. */
export function planIssues(plan: ExperimentPlan | null, goalMetrics: string[]): Issue[] {
  const mde = plan?.minimumDetectableEffect;
  if (mde === undefined || typeof mde === 'number') return [];
  return Object.keys(mde)
    .filter((key) => !goalMetrics.includes(key))
    .map((key) => ({
      path: `body.plan.minimumDetectableEffect.${key}`,
      message: `'${key}' is not a goal metric of the experiment`,
    }));
}

/** The relative minimum detectable effect the plan sets for a goal metric, or null. */
export function planEffect(plan: ExperimentPlan | null, metric: string): number | null {
  if (!plan) return null;
  const mde = plan.minimumDetectableEffect;
  return typeof mde === 'number' ? mde : (mde[metric] ?? null);
}

export interface PlanningInput {
  plan: ExperimentPlan | null;
  settings: ExperimentSettings;
  /** Weights of the variations, the control first. */
  weights: number[];
  goalMetrics: AnalysisMetric[];
  /** The goal metrics' baselines, by key (null: none measured). */
  baselines: Map<string, Baseline | null>;
  now: Date;
}

/** Control units for `effect` (relative) against treatment `k`'s share of traffic. */
function controlUnits(input: PlanningInput, baseline: Baseline, effect: number, k: number): number | null {
  const { settings, weights, plan } = input;
  const ratio = weights[k]! / weights[0]!;
  if (!(ratio > 0) || baseline.mean === 0 || !(baseline.variance > 0)) return null;
  const absolute = effect * Math.abs(baseline.mean) * (settings.sided === 'less' ? -1 : 1);
  return plannedSampleSize({
    variance: baseline.variance,
    effect: absolute,
    ratio,
    alpha: settings.alpha,
    sided: settings.sided,
    sequential: settings.engine === 'frequentist' && settings.sequential,
    power: plan?.power ?? ANALYSIS_DEFAULTS.power,
  });
}

export function derivePlanning(input: PlanningInput): ExperimentPlanning {
  const { plan, settings, weights, now } = input;
  const share0 = weights[0]! / weights.reduce((s, w) => s + w, 0);
  let largestPair = 0;
  let largestTotal = 0;
  const metrics: MetricPlanning[] = [];
  for (const metric of input.goalMetrics) {
    const effect = planEffect(plan, metric.key);
    if (effect === null) continue;
    const baseline = input.baselines.get(metric.key) ?? null;
    let plannedUnits: number | null = null;
    if (baseline) {
      for (let k = 1; k < weights.length; k++) {
        const n = controlUnits(input, baseline, effect, k);
        if (n === null) continue;
        const pair = Math.ceil(n * (1 + weights[k]! / weights[0]!));
        plannedUnits = Math.max(plannedUnits ?? 0, pair);
        largestPair = Math.max(largestPair, pair);
        largestTotal = Math.max(largestTotal, Math.ceil(n / share0));
      }
    }
    metrics.push({
      metric: metric.key,
      minimumDetectableEffect: effect,
      baseline: baseline && { units: baseline.units, mean: baseline.mean, variance: baseline.variance },
      plannedUnits,
    });
  }
  const plannedUnits = largestTotal > 0 ? largestTotal : null;
  const plannedDays =
    plannedUnits !== null && plan?.expectedUnitsPerDay ? plannedUnits / plan.expectedUnitsPerDay : null;
  const base = { derivedAt: now.toISOString(), plannedUnits, plannedDays, metrics };
  if (settings.sequentialTuning !== null)
    return {
      ...base,
      sequentialTuning: settings.sequentialTuning,
      source: 'explicit',
      reason: 'set in the experiment settings',
    };
  if (largestPair > 0)
    return {
      ...base,
      sequentialTuning: largestPair,
      source: 'plan',
      reason:
        'the planned sample size: the units that detect the minimum effect with the planned power ' +
        '(the largest over goal metrics and treatments)',
    };
  const why = !plan
    ? 'the experiment has no plan'
    : metrics.length === 0
      ? 'the plan names no goal metric of the experiment'
      : 'no goal metric had a usable baseline in its pre-period';
  return {
    ...base,
    sequentialTuning: ANALYSIS_DEFAULTS.sequentialTuning,
    source: 'default',
    reason: `the default (${ANALYSIS_DEFAULTS.sequentialTuning}): ${why}`,
  };
}
