// A metric's baseline before an experiment starts: its per-unit value over the pre-period (the
// CUPED look-back before the start), across the units active in that period. What a plan turns a
// relative minimum effect into a sample size with (experiments/experiment-planning.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { summarize, type ArmSummary } from '../stats/index.ts';
import type { AnalysisMetric } from './analysis-spec.ts';
import { DAY_MS } from './metric-sql.ts';
import { statsKind } from './stats-input.ts';

/** Look-back when the metric has none of its own (cupedLookbackDays 0). */
export const DEFAULT_BASELINE_DAYS = 14;

export interface Baseline extends ArmSummary {
  /** Units the baseline is measured over. */
  units: number;
}

/**
 * Per-unit value of one metric over the pre-period events `t` of one unit group. Conversion windows
 * do not apply (there is no exposure to start them); a fixed cap does, a percentile cap does not
 * (its pooled percentile is not known before the start, and an uncapped variance plans longer,
 * never shorter).
 */
function unitValue(metric: AnalysisMetric): { x: string; d?: string } | null {
  const amount = 'coalesce(t.value, 1)';
  const cap = metric.capping?.type === 'value' ? metric.capping.value : null;
  const capped = (x: string) => (cap === null ? x : `min(${x}, ${cap})`);
  switch (metric.kind) {
    case 'binomial':
      return { x: 'max(t.event = @event)' };
    case 'count':
      return { x: capped('total(t.event = @event)') };
    case 'mean':
      return { x: capped(`total(CASE WHEN t.event = @event THEN ${amount} END)`) };
    case 'repeat':
      return { x: `(total(t.event = @event) >= ${metric.repeat?.atLeast ?? 2})` };
    case 'ratio':
      return {
        x: capped(`total(CASE WHEN t.event = @event THEN ${amount} END)`),
        d: `total(CASE WHEN t.event = @denominator THEN ${amount} END)`,
      };
    default:
      return null;
  }
}

/**
 * The metric's baseline over [start − look-back, start) in the environment: `null` when it cannot
 * be measured before a start (retention needs days after a first exposure) or nothing happened.
 * `nps` counts the respondents only (each unit's latest score); every other kind counts every
 * unit with any event in the period, zeros included.
 */
export function measureBaseline(
  sqlite: BetterSqlite3.Database,
  environmentId: string,
  metric: AnalysisMetric,
  start: Date,
): Baseline | null {
  const days = metric.cupedLookbackDays > 0 ? metric.cupedLookbackDays : DEFAULT_BASELINE_DAYS;
  const params = {
    env: environmentId,
    from: start.getTime() - days * DAY_MS,
    to: start.getTime(),
    event: metric.eventName,
    denominator: metric.denominatorEventName ?? '',
  };
  const window = `t.environment_id = @env AND t.ts >= @from AND t.ts < @to`;
  let sums: { n: number; s: number; ss: number; ds: number; dss: number; dsp: number } | undefined;
  if (metric.kind === 'nps') {
    // The latest score of each respondent, as +100 / 0 / −100 (the analysis's NPS points).
    sums = sqlite
      .prepare(
        `SELECT count(*) AS n, total(x) AS s, total(x * x) AS ss, 0 AS ds, 0 AS dss, 0 AS dsp FROM (
           SELECT CASE WHEN score >= 9 THEN 100 WHEN score >= 7 THEN 0 ELSE -100 END AS x FROM (
             SELECT t.value AS score, row_number() OVER (PARTITION BY t.unit ORDER BY t.ts DESC) AS k
             FROM track_events t
             WHERE ${window} AND t.event = @event AND t.value >= 0 AND t.value <= 10)
           WHERE k = 1)`,
      )
      .get(params) as typeof sums;
  } else {
    const value = unitValue(metric);
    if (!value) return null;
    const d = value.d ?? '0';
    sums = sqlite
      .prepare(
        `SELECT count(*) AS n, total(x) AS s, total(x * x) AS ss, total(d) AS ds, total(d * d) AS dss,
                total(x * d) AS dsp
         FROM (SELECT ${value.x} AS x, ${d} AS d FROM track_events t WHERE ${window} GROUP BY t.unit)`,
      )
      .get(params) as typeof sums;
  }
  if (!sums || sums.n === 0) return null;
  const summary = summarize(
    {
      n: sums.n,
      sum: sums.s,
      sumSquares: sums.ss,
      ...(metric.kind === 'ratio'
        ? { denominator: { sum: sums.ds, sumSquares: sums.dss, sumProduct: sums.dsp } }
        : {}),
    },
    statsKind(metric),
  );
  return summary ? { ...summary, units: sums.n } : null;
}
