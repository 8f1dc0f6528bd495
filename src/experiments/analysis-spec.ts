/**
 * What the analysis (src/analysis/) needs to know about one experiment: its settings, the current
 * phase, the variations in order (the first is the control) and the full definitions of its metrics.
 * Produced by `ExperimentService.getAnalysisSpec(key)` as a plain object (no ORM rows, no Hono).
 */

export type MetricRole = 'goal' | 'secondary' | 'guardrail';
export type MetricKindName = 'binomial' | 'mean' | 'count' | 'ratio' | 'retention' | 'nps' | 'repeat';
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
  /** N* of the normal-mixture confidence sequence; null until the start derives it from the plan. */
  sequentialTuning: number | null;
  /** CUPED variance reduction with the pre-exposure period, default true. */
  cuped: boolean;
  /** Multiple-comparison correction across goal metrics × variations, default 'holm'. */
  correction: 'holm' | 'benjamini-hochberg' | 'none';
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
  /** Repeat metrics only: the unit fired the event at least `atLeast` times in the window. */
  repeat: { atLeast: number } | null;
  /** Which effect a comparison's headline and summary report. */
  headlineEffect: 'relative' | 'absolute';
}

/** What the PM plans for (all optional but the effect). */
export interface ExperimentPlan {
  /** Smallest relative effect worth detecting (0.05 = 5%): one for every goal metric, or by metric key. */
  minimumDetectableEffect: number | Record<string, number>;
  /** Power wanted at that effect, default 0.8. */
  power: number;
  /** Units expected per day across the experiment (before there is traffic to measure). */
  expectedUnitsPerDay: number | null;
}

/** One goal metric's plan, as derived when the experiment started. */
export interface MetricPlanning {
  metric: string;
  minimumDetectableEffect: number;
  /** The metric over the pre-period (the CUPED look-back before the start), or null without events. */
  baseline: { units: number; mean: number; variance: number } | null;
  /** Units (all arms of the comparison with the control) that reach the power; null without a baseline. */
  plannedUnits: number | null;
}

/** What starting the experiment derived from its plan; fixed from then on. */
export interface ExperimentPlanning {
  derivedAt: string;
  /** The N* the experiment runs with and where it came from. */
  sequentialTuning: number;
  source: 'plan' | 'explicit' | 'default';
  reason: string;
  /** Units across all variations (the largest comparison's plan, scaled by the weights). */
  plannedUnits: number | null;
  /** plannedUnits at the plan's expected units per day. */
  plannedDays: number | null;
  metrics: MetricPlanning[];
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
    /** The tuning resolved: what the start set, or the default for an experiment started before plans. */
    settings: ExperimentSettings & { sequentialTuning: number };
    plan: ExperimentPlan | null;
    planning: ExperimentPlanning | null;
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
