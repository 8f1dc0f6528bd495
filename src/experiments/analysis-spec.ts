/**
 * What the analysis (src/analysis/) needs to know about one experiment: its settings, the current
 * phase, the variations in order (the first is the control) and the full definitions of its metrics.
 * Produced by `ExperimentService.getAnalysisSpec(key)` as a plain object (no ORM rows, no Hono).
 */

export type MetricRole = 'goal' | 'secondary' | 'guardrail';
export type MetricKindName = 'binomial' | 'mean' | 'count' | 'ratio' | 'retention';
export type MetricDirection = 'higher' | 'lower';
export type ExperimentStatus = 'draft' | 'running' | 'stopped' | 'shipped' | 'abandoned';

/** Winsorization: cap each unit's value at a fixed value, or at a percentile (0..1) of the pooled values. */
export type MetricCapping = { type: 'value'; value: number } | { type: 'percentile'; percentile: number };

export interface ExperimentSettings {
  /** Significance level, default 0.05. */
  alpha: number;
  sided: 'two' | 'greater' | 'less';
  engine: 'frequentist' | 'bayesian';
  /** Always-valid (peeking-safe) inference, default true. */
  sequential: boolean;
  /** N* of the normal-mixture confidence sequence, default 5000. */
  sequentialTuning: number;
  /** CUPED variance reduction with the pre-exposure period, default true. */
  cuped: boolean;
  /** Multiple-comparison correction across goal metrics × variations, default 'holm'. */
  correction: 'holm' | 'benjamini-hochberg';
  /** Bayesian engine only: prior on the relative effect; `null` = flat. */
  prior: { mean: number; variance: number } | null;
}

export interface AnalysisMetric {
  role: MetricRole;
  key: string;
  name: string;
  kind: MetricKindName;
  /** The event counted/summed (the numerator for ratio metrics). */
  eventName: string;
  /** Ratio metrics only: the denominator event; otherwise `null`. */
  denominatorEventName: string | null;
  direction: MetricDirection;
  /** Conversion window after the unit's first exposure; `null` = until the end of the experiment/phase. */
  windowHours: number | null;
  /** Retention metrics only: the unit fired the event between day `fromDays` and `toDays` after first exposure. */
  retention: { fromDays: number; toDays: number } | null;
  capping: MetricCapping | null;
  /** Days before first exposure used as the CUPED pre-period. */
  cupedLookbackDays: number;
}

export interface AnalysisSpec {
  experiment: {
    /** Primary key of the experiment row (`experiment_snapshots.experiment_id`). */
    id: string;
    key: string;
    /** Exposures and events are stored with the environment *id*, not its key. */
    environmentId: string;
    environmentKey: string;
    flagKey: string;
    status: ExperimentStatus;
    settings: ExperimentSettings;
  };
  /** The current (latest) phase; analyses count exposures from `startedAt` until `endedAt` (or now). */
  phase: {
    number: number;
    startedAt: Date;
    endedAt: Date | null;
    /** Weights of the variations in this phase, in variation order. */
    weights: number[];
    coverage: number;
  };
  /** In order; the first is the control. Weights are the current phase's. */
  variations: { key: string; weight: number }[];
  /** Goal metrics first, then secondary, then guardrail, each in the configured order. */
  metrics: AnalysisMetric[];
}
