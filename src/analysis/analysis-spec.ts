// The input of an analysis: the experiment, its current phase, its variations and metrics. The
// experiments domain builds it (`getAnalysisSpec(key)`); the analysis only reads it. Kept as a
// structural type here so the analysis can be run (and tested) on a spec built by hand.
import { createHash } from 'node:crypto';

export type MetricRole = 'goal' | 'secondary' | 'guardrail';
export type AnalysisMetricKind = 'binomial' | 'mean' | 'count' | 'ratio' | 'retention' | 'nps' | 'repeat';

export interface AnalysisMetric {
  role: MetricRole;
  key: string;
  name: string;
  kind: AnalysisMetricKind;
  eventName: string;
  denominatorEventName: string | null;
  direction: 'higher' | 'lower';
  windowHours: number | null;
  retention: { fromDays: number; toDays: number } | null;
  capping: { type: 'value'; value: number } | { type: 'percentile'; percentile: number } | null;
  cupedLookbackDays: number;
  /** Repeat metrics: at least this many events make a unit count. */
  repeat?: { atLeast: number } | null;
  /** Which effect the headline reports; relative when omitted. */
  headlineEffect?: 'relative' | 'absolute';
}

export interface AnalysisSettings {
  alpha: number;
  sided: 'two' | 'greater' | 'less';
  engine: 'frequentist' | 'bayesian';
  sequential: boolean;
  sequentialTuning: number;
  cuped: boolean;
  correction: 'holm' | 'benjamini-hochberg' | 'none';
  prior?: { mean: number; variance: number } | null;
}

/** The experiment's plan (experiments/analysis-spec.ts has the full shapes). */
export interface AnalysisPlan {
  minimumDetectableEffect: number | Record<string, number>;
  power: number;
  expectedUnitsPerDay: number | null;
}

export interface AnalysisSpec {
  experiment: {
    id: string;
    key: string;
    environmentId: string;
    status: string;
    settings: AnalysisSettings;
    /** What the power block plans for; none: the service's default target. */
    plan?: AnalysisPlan | null;
    /** Where the sequential tuning came from (set at the start). */
    planning?: { source: 'plan' | 'explicit' | 'default'; reason: string } | null;
  };
  phase: { number: number; startedAt: Date; endedAt: Date | null; weights: number[]; coverage: number };
  variations: { key: string; weight: number }[];
  metrics: AnalysisMetric[];
}

/**
 * What results depend on besides the events: settings, variations, phase (and its end) and
 * metrics, not the status, and the service's analysis options (breakdown limits, power target,
 * from its configuration). A snapshot computed for another hash is stale (an edited α, engine or
 * metric must not keep showing the old analysis until the next scheduled refresh).
 */
export function analysisSpecHash(spec: AnalysisSpec, options: object = {}): string {
  const basis = { ...spec, experiment: { ...spec.experiment, status: undefined }, options };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}
