// Power and days left per goal metric and treatment: how many units the target relative effect (the
// plan's minimum detectable effect, or the service's default) needs at the configured α and power,
// and how long the current traffic takes to bring them.
// Conventions: docs/decisions/0005-analysis-conventions.md (Power / days left).
import { planEffect } from '../experiments/experiment-planning.ts';
import { ANALYSIS_DEFAULTS, minimumDetectableEffect, requiredSampleSize } from '../stats/index.ts';
import type { AnalysisSpec } from './analysis-spec.ts';
import { DAY_MS } from './metric-sql.ts';
import type { MetricSums } from './metric-sums.ts';
import { armSummary, cupedControlVariance, phaseWeights } from './stats-input.ts';

export interface PowerEstimate {
  metric: string;
  variation: string;
  /** Relative effect planned for: the plan's minimum detectable effect, or the default target. */
  targetRelativeEffect: number;
  targetSource: 'plan' | 'default';
  /** Power planned for. */
  targetPower: number;
  /** Relative effect detectable with 80% power at the current sample size. */
  currentRelativeMde: number | null;
  /** Control units needed for the target (treatment in proportion to its weight). */
  requiredControlUnits: number | null;
  controlUnitsPerDay: number | null;
  /** Days until the target is reachable at the current traffic; 0 when already reached. */
  daysLeft: number | null;
  /** Why `daysLeft` is null (decisive already, no traffic yet, nothing to plan from); null otherwise. */
  reason: string | null;
}

/** How many more days the current traffic needs to detect the target relative effect. */
export function powerEstimates(
  spec: AnalysisSpec,
  sums: MetricSums[][],
  start: number,
  end: number,
  defaultTarget: number,
  /** Whether a comparison already has its answer (a verdict other than inconclusive). */
  decisive: (metric: string, variation: string) => boolean,
) {
  const s = spec.experiment.settings;
  const plan = spec.experiment.plan ?? null;
  const elapsedDays = Math.max((end - start) / DAY_MS, 1 / 24);
  const weights = phaseWeights(spec);
  const out: PowerEstimate[] = [];
  spec.metrics.forEach((metric, i) => {
    if (metric.role !== 'goal') return;
    const control = sums[i]![0]!;
    const summary = armSummary(metric, control);
    const planned = planEffect(plan, metric.key);
    const target = planned ?? defaultTarget;
    const targetPower = plan?.power ?? ANALYSIS_DEFAULTS.power;
    spec.variations.slice(1).forEach((v, k) => {
      const ratio = weights[k + 1]! / weights[0]!;
      const base: PowerEstimate = {
        metric: metric.key,
        variation: v.key,
        targetRelativeEffect: target,
        targetSource: planned === null ? 'default' : 'plan',
        targetPower,
        currentRelativeMde: null,
        requiredControlUnits: null,
        controlUnitsPerDay: control.n > 0 ? control.n / elapsedDays : null,
        daysLeft: null,
        reason: null,
      };
      const variance =
        summary && (cupedControlVariance(spec, metric, control, sums[i]![k + 1]!) ?? summary.variance);
      if (!summary || !variance || variance <= 0 || summary.mean === 0 || !(ratio > 0))
        return out.push({
          ...base,
          reason:
            control.n === 0
              ? 'No traffic yet: no units in the control.'
              : 'Not enough data to estimate the variance and the control mean yet.',
        });
      const design = {
        variance,
        ratio,
        alpha: s.alpha,
        sided: s.sided,
        sequential: s.engine === 'frequentist' && s.sequential,
        sequentialTuning: s.sequentialTuning,
      };
      const scale = Math.abs(summary.mean);
      const effect = target * scale * (s.sided === 'less' ? -1 : 1);
      const required = Math.ceil(requiredSampleSize({ ...design, effect, power: targetPower }));
      const perDay = control.n / elapsedDays;
      const estimate = {
        ...base,
        currentRelativeMde: minimumDetectableEffect({ ...design, n: control.n, power: targetPower }) / scale,
        requiredControlUnits: required,
      };
      out.push(
        decisive(metric.key, v.key)
          ? { ...estimate, reason: 'Decisive already: the verdict is in, no more days are needed.' }
          : { ...estimate, daysLeft: Math.max(0, Math.ceil((required - control.n) / perDay)) },
      );
    });
  });
  return out;
}
