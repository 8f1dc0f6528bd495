// Results assembly: sufficient statistics (SQL) → the stats engine → what the dashboard shows.
// Conventions (corrections, series, power, exclusions): docs/decisions/0005-analysis-conventions.md.
import type BetterSqlite3 from 'better-sqlite3';
import { analyze, analyzeFamily, verdict, type AnalyzeResponse, type Comparison } from '../stats/index.ts';
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

export interface ResultsOptions {
  /** Relative effect the "days left" estimate plans for (0.05 = a 5% lift). */
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

export interface ResultComparison extends Comparison {
  /** p-value (or chance to win) beats α after the correction that applies to the metric's role. */
  significant: boolean;
  verdict: 'winning' | 'losing' | 'inconclusive';
}

export interface MetricResult {
  key: string;
  name: string;
  role: AnalysisMetric['role'];
  kind: AnalysisMetric['kind'];
  direction: AnalysisMetric['direction'];
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
  settings: AnalysisSpec['experiment']['settings'];
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
  const alpha = spec.experiment.settings.alpha;
  return response.comparisons.map((c) => {
    const call = verdict(c, { direction: metric.direction, alpha });
    const p = c.relative.pValue ?? c.absolute.pValue;
    const significant = c.chanceToWin !== undefined ? call !== 'inconclusive' : p !== null && p < alpha;
    return { ...c, significant, verdict: call };
  });
}

/** Analyses every metric: the goal metrics as one corrected family, the others one by one. */
function metricResults(spec: AnalysisSpec, sums: MetricSums[][], caps: (number | null)[]): MetricResult[] {
  const { correction, engine } = spec.experiment.settings;
  // analyzeFamily leaves Bayesian results as they are: there is no p-value to adjust.
  const goalCorrection = engine === 'bayesian' ? 'none' : correction;
  const goals = spec.metrics.map((m, i) => i).filter((i) => spec.metrics[i]!.role === 'goal');
  const requests = spec.metrics.map((m, i) => statsRequest(spec, m, sums[i]!));
  const responses: AnalyzeResponse[] = spec.metrics.map((m, i) =>
    m.role === 'goal' ? null : analyze(requests[i]!),
  ) as AnalyzeResponse[];
  if (goals.length) {
    const family = analyzeFamily(
      goals.map((i) => requests[i]!),
      { method: correction, alpha: spec.experiment.settings.alpha },
    );
    goals.forEach((i, k) => (responses[i] = family[k]!));
  }
  return spec.metrics.map((metric, i) => ({
    key: metric.key,
    name: metric.name,
    role: metric.role,
    kind: metric.kind,
    direction: metric.direction,
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
  return {
    experiment: { key: spec.experiment.key, status: spec.experiment.status },
    phase: {
      number: spec.phase.number,
      startedAt: spec.phase.startedAt.toISOString(),
      endedAt: spec.phase.endedAt?.toISOString() ?? null,
    },
    window: { start: iso(data.start), end: iso(data.end) },
    computedAt: now.toISOString(),
    settings: spec.experiment.settings,
    units: {
      total: data.counts.total,
      analysed: units.reduce((s, u) => s + u, 0),
      perVariation: keys.map((key, i) => ({ key, units: units[i]!, weight: weights[i]! })),
    },
    health: { healthy: checks.every((c) => c.status !== 'unhealthy'), checks },
    metrics,
    series: dailySeries(spec, data.days, data.start, data.end),
    power: powerEstimates(spec, sums, data.start, data.end, opts.targetRelativeEffect),
    breakdowns: data.breakdowns,
  };
}
