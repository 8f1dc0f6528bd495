// Power and days left per goal metric and treatment: how many units the target relative effect
// needs at the configured α, and how long the current traffic takes to bring them.
// Conventions: docs/decisions/0005-analysis-conventions.md (Power / days left).
import { minimumDetectableEffect, requiredSampleSize } from '../stats/index.ts';
import type { AnalysisSpec } from './analysis-spec.ts';
import { DAY_MS } from './metric-sql.ts';
import type { MetricSums } from './metric-sums.ts';
import { armSummary, cupedControlVariance, phaseWeights } from './stats-input.ts';

export interface PowerEstimate {
  metric: string;
  variation: string;
  /** Relative effect planned for. */
  targetRelativeEffect: number;
  /** Relative effect detectable with 80% power at the current sample size. */
  currentRelativeMde: number | null;
  /** Control units needed for the target (treatment in proportion to its weight). */
  requiredControlUnits: number | null;
  controlUnitsPerDay: number | null;
  /** Days until the target is reachable at the current traffic; 0 when already reached. */
  daysLeft: number | null;
}

/** How many more days the current traffic needs to detect the target relative effect. */
export function powerEstimates(
  spec: AnalysisSpec,
  sums: MetricSums[][],
  start: number,
  end: number,
  target: number,
) {
  const s = spec.experiment.settings;
  const elapsedDays = Math.max((end - start) / DAY_MS, 1 / 24);
  const weights = phaseWeights(spec);
  const out: PowerEstimate[] = [];
  spec.metrics.forEach((metric, i) => {
    if (metric.role !== 'goal') return;
    const control = sums[i]![0]!;
    const summary = armSummary(metric, control);
    spec.variations.slice(1).forEach((v, k) => {
      const ratio = weights[k + 1]! / weights[0]!;
      const base = {
        metric: metric.key,
        variation: v.key,
        targetRelativeEffect: target,
        currentRelativeMde: null,
        requiredControlUnits: null,
        controlUnitsPerDay: control.n > 0 ? control.n / elapsedDays : null,
        daysLeft: null,
      };
      const variance =
        summary && (cupedControlVariance(spec, metric, control, sums[i]![k + 1]!) ?? summary.variance);
      if (!summary || !variance || variance <= 0 || summary.mean === 0 || !(ratio > 0)) return out.push(base);
      const plan = {
        variance,
        ratio,
        alpha: s.alpha,
        sided: s.sided,
        sequential: s.engine === 'frequentist' && s.sequential,
        sequentialTuning: s.sequentialTuning,
      };
      const scale = Math.abs(summary.mean);
      const effect = target * scale * (s.sided === 'less' ? -1 : 1);
      const required = Math.ceil(requiredSampleSize({ ...plan, effect }));
      const perDay = control.n / elapsedDays;
      out.push({
        ...base,
        currentRelativeMde: minimumDetectableEffect({ ...plan, n: control.n }) / scale,
        requiredControlUnits: required,
        daysLeft: Math.max(0, Math.ceil((required - control.n) / perDay)),
      });
    });
  });
  return out;
}
