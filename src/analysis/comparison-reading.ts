// How a comparison reads: the settings an analysis used (with the kind of interval they give), and
// per comparison the headline, the summary sentence and the call. Shared by the results' metrics
// and their breakdowns, so a segment reads the same way as the whole.
import { headline, type Comparison, type Headline } from '../stats/index.ts';
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import { summarySentence } from './summary-sentence.ts';

/** The settings an analysis used, and what kind of interval they give. */
export type ResultSettings = AnalysisSpec['experiment']['settings'] & {
  interval: Headline['interval'];
  /** Where the sequential tuning came from (the start's planning), or null for older experiments. */
  sequentialTuningSource: 'plan' | 'explicit' | 'default' | null;
};

export function resultSettings(spec: AnalysisSpec): ResultSettings {
  const s = spec.experiment.settings;
  const frequentist = s.engine === 'frequentist';
  return {
    ...s,
    sequential: frequentist && s.sequential,
    correction: frequentist ? s.correction : 'none',
    prior: frequentist ? null : (s.prior ?? null),
    interval: !frequentist ? 'credible' : s.sequential ? 'always-valid' : 'fixed-horizon',
    sequentialTuningSource: spec.experiment.planning?.source ?? null,
  };
}

export interface ComparisonReading {
  /** The answer: the metric's headline effect, its interval, p-value or chance to win, and verdict. */
  headline: Headline;
  /** The headline as a sentence to paste into a channel. */
  summary: string;
  /** The headline's p-value (or chance to win) beats α after the correction of the metric's role. */
  significant: boolean;
  verdict: Headline['verdict'];
}

/** `segment`: a breakdown's "country = US", said at the start of the sentence. */
export function readComparison(
  spec: AnalysisSpec,
  metric: AnalysisMetric,
  comparison: Comparison,
  segment?: string,
): ComparisonReading {
  const settings = resultSettings(spec);
  const head = headline(comparison, {
    direction: metric.direction,
    effect: metric.headlineEffect ?? 'relative',
    settings,
  });
  const significant =
    head.chanceToWin !== undefined
      ? head.verdict !== 'inconclusive'
      : head.pValue != null && head.pValue < settings.alpha;
  const summary = summarySentence({
    variation: comparison.variation,
    metricName: metric.name,
    kind: metric.kind,
    direction: metric.direction,
    alpha: settings.alpha,
    headline: head,
    ...(segment === undefined ? {} : { segment }),
  });
  return { headline: head, summary, significant, verdict: head.verdict };
}
