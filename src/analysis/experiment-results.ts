// Results assembly: sufficient statistics (SQL) → the stats engine → what the dashboard shows.
// Conventions (corrections, series, power, exclusions): docs/decisions/0005-analysis-conventions.md.
import type BetterSqlite3 from 'better-sqlite3';
import { analyze, analyzeFamily, type AnalyzeResponse, type Comparison } from '../stats/index.ts';
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import { withIncrementalTables } from './analysis-state.ts';
import { computeBreakdowns, type Breakdowns } from './breakdowns.ts';
import {
  enoughDataCheck,
  multipleExposuresCheck,
  srmCheck,
  unknownVariationCheck,
  type Health,
} from './health-checks.ts';
import { armMean, phaseWeights, statsKind, statsRequest } from './stats-input.ts';
import { withAnalysisTables } from './analysis-tables.ts';
import { addSums, emptySums, type DayRow, type MetricSums } from './metric-sums.ts';
import { dailySeries, type SeriesPoint } from './daily-series.ts';
import { powerEstimates, type PowerEstimate } from './power-estimates.ts';
import { experimentDecision, type Decision } from './experiment-decision.ts';
import {
  readComparison,
  resultSettings,
  type ComparisonReading,
  type ResultSettings,
} from './comparison-reading.ts';

export interface ResultsOptions {
  /** Relative effect the "days left" estimate plans for when the experiment has no plan (0.05 = a 5% lift). */
  targetRelativeEffect: number;
  breakdownValues: number;
  breakdownDimensions: number;
  /**
   * `from-scratch`: from the events alone, nothing kept. `incremental`: from the experiment's kept
   * state, brought up to date by what arrived since (rebuilt when missing or stale). `rebuild`: the
   * kept state rebuilt from the events.
   */
  computation: 'from-scratch' | 'incremental' | 'rebuild';
  /**
   * EVENTS_MAX_AGE_DAYS of the ingestion: the kept state keeps the events of units not yet exposed
   * only as far back as a later first exposure can still reach.
   */
  eventsMaxAgeDays: number;
}

export const DEFAULT_RESULTS_OPTIONS: ResultsOptions = {
  targetRelativeEffect: 0.05,
  breakdownValues: 10,
  breakdownDimensions: 10,
  computation: 'from-scratch',
  eventsMaxAgeDays: 30,
};

export type ResultComparison = Comparison & ComparisonReading;

export interface MetricResult {
  key: string;
  name: string;
  role: AnalysisMetric['role'];
  kind: AnalysisMetric['kind'];
  direction: AnalysisMetric['direction'];
  headlineEffect: 'relative' | 'absolute';
  /** Goal metrics: Holm or BH across goal metrics × variations; others and Bayesian results: uncorrected. */
  correction: 'holm' | 'benjamini-hochberg' | 'none';
  cap: number | null;
  variations: { key: string; units: number; sum: number; mean: number | null }[];
  comparisons: ResultComparison[];
}

export interface ExperimentResults {
  experiment: { key: string; status: string };
  phase: { number: number; startedAt: string; endedAt: string | null };
  /** The analysed window: [phase start, phase end or the computation time]. */
  window: { start: string; end: string };
  computedAt: string;
  settings: ResultSettings;
  /** Ship, roll back, keep running, unhealthy or no data, with the reason (docs/decisions/0010). */
  decision: Decision;
  units: { total: number; analysed: number; perVariation: { key: string; units: number; weight: number }[] };
  health: Health;
  metrics: MetricResult[];
  series: { metric: string; points: SeriesPoint[] }[];
  power: PowerEstimate[];
  breakdowns: Breakdowns;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Sums per metric per variation over the rows of `days` with day ≤ `upTo`. */
function totals(spec: AnalysisSpec, days: DayRow[], upTo = Infinity) {
  const units = spec.variations.map(() => 0);
  const sums = spec.metrics.map((m) => spec.variations.map(() => emptySums(m, spec)));
  for (const row of days) {
    if (row.day > upTo) continue;
    units[row.variation]! += row.units;
    row.metrics.forEach((s, k) => (sums[k]![row.variation] = addSums(sums[k]![row.variation]!, s)));
  }
  return { units, sums };
}

function comparisonsOf(
  spec: AnalysisSpec,
  metric: AnalysisMetric,
  response: AnalyzeResponse,
): ResultComparison[] {
  return response.comparisons.map((c) => ({ ...c, ...readComparison(spec, metric, c) }));
}

/** Analyses every metric: the goal metrics as one corrected family, the others one by one. */
function metricResults(spec: AnalysisSpec, sums: MetricSums[][], caps: (number | null)[]): MetricResult[] {
  // Bayesian results have no p-value to adjust.
  const goalCorrection = resultSettings(spec).correction;
  const goals = spec.metrics.map((m, i) => i).filter((i) => spec.metrics[i]!.role === 'goal');
  const requests = spec.metrics.map((m, i) => statsRequest(spec, m, sums[i]!));
  const responses: AnalyzeResponse[] = spec.metrics.map((m, i) =>
    m.role === 'goal' ? null : analyze(requests[i]!),
  ) as AnalyzeResponse[];
  if (goals.length) {
    const goalRequests = goals.map((i) => requests[i]!);
    const family =
      goalCorrection === 'none'
        ? goalRequests.map((r) => analyze(r))
        : analyzeFamily(goalRequests, { method: goalCorrection, alpha: spec.experiment.settings.alpha });
    goals.forEach((i, k) => (responses[i] = family[k]!));
  }
  return spec.metrics.map((metric, i) => ({
    key: metric.key,
    name: metric.name,
    role: metric.role,
    kind: metric.kind,
    direction: metric.direction,
    headlineEffect: metric.headlineEffect ?? 'relative',
    correction: metric.role === 'goal' ? goalCorrection : 'none',
    cap: caps[i] ?? null,
    variations: spec.variations.map((v, j) => {
      const arm = sums[i]![j]!;
      return { key: v.key, units: arm.n, sum: arm.sum, mean: armMean(metric, arm) };
    }),
    comparisons: comparisonsOf(spec, metric, responses[i]!),
  }));
}

/**
 * Computes the full results of an experiment's current phase at `now`: one set of SQL passes
 * (per-unit table, grouped sums by variation × day, unit counts, breakdowns), then the stats.
 */
export function computeResults(
  sqlite: BetterSqlite3.Database,
  spec: AnalysisSpec,
  now: Date,
  options: Partial<ResultsOptions> = {},
): ExperimentResults {
  const opts = { ...DEFAULT_RESULTS_OPTIONS, ...options };
  const withTables: typeof withAnalysisTables =
    opts.computation === 'from-scratch'
      ? withAnalysisTables
      : (...args) =>
          withIncrementalTables(...args, {
            rebuild: opts.computation === 'rebuild',
            eventsMaxAgeDays: opts.eventsMaxAgeDays,
          });
  const data = withTables(sqlite, spec, now, (t) => ({
    start: t.start,
    end: t.end,
    caps: t.caps,
    days: t.dailySums(),
    counts: t.unitCounts(),
    breakdowns: computeBreakdowns(t, {
      maxValues: opts.breakdownValues,
      maxDimensions: opts.breakdownDimensions,
    }),
  }));
  const { units, sums } = totals(spec, data.days);
  const keys = spec.variations.map((v) => v.key);
  const weights = phaseWeights(spec);
  const metrics = metricResults(spec, sums, data.caps);
  const noConversions = spec.metrics
    .filter((m, i) => m.role === 'goal' && statsKind(m) !== 'mean' && sums[i]!.some((arm) => arm.sum === 0))
    .map((m) => m.key);
  const checks = [
    srmCheck(keys, units, weights),
    multipleExposuresCheck(data.counts),
    enoughDataCheck(keys, units, noConversions),
    unknownVariationCheck(data.counts),
  ];
  const health = { healthy: checks.every((c) => c.status !== 'unhealthy'), checks };
  const verdictOf = new Map(
    metrics.flatMap((m) => m.comparisons.map((c) => [`${m.key}/${c.variation}`, c.verdict] as const)),
  );
  const power = powerEstimates(
    spec,
    sums,
    data.start,
    data.end,
    opts.targetRelativeEffect,
    (metric, variation) => (verdictOf.get(`${metric}/${variation}`) ?? 'inconclusive') !== 'inconclusive',
  );
  const analysed = units.reduce((s, u) => s + u, 0);
  return {
    experiment: { key: spec.experiment.key, status: spec.experiment.status },
    phase: {
      number: spec.phase.number,
      startedAt: spec.phase.startedAt.toISOString(),
      endedAt: spec.phase.endedAt?.toISOString() ?? null,
    },
    window: { start: iso(data.start), end: iso(data.end) },
    computedAt: now.toISOString(),
    settings: resultSettings(spec),
    decision: experimentDecision({ metrics, health, analysedUnits: analysed, power }),
    units: {
      total: data.counts.total,
      analysed,
      perVariation: keys.map((key, i) => ({ key, units: units[i]!, weight: weights[i]! })),
    },
    health,
    metrics,
    series: dailySeries(spec, data.days, data.start, data.end),
    power,
    breakdowns: data.breakdowns,
  };
}
