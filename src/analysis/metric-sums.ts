// A metric's sufficient statistics: the sums per variation and day that the stats engine reads, the
// SQL terms a per-unit row adds to them, and adding them up in JS.
import type { CrossMoments } from '../stats/index.ts';
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import { DAY_MS, NPS_SCALE, repeatAtLeast, usesCuped } from './metric-sql.ts';

/** Σx, Σx² over a metric's units, with CUPED's and ratio metrics' cross sums when they apply. */
export interface MetricSums {
  /** Units counted for this metric (fewer than the arm's units for a retention metric whose window is still open). */
  n: number;
  sum: number;
  sumSquares: number;
  pre?: CrossMoments;
  denominator?: CrossMoments;
}

export interface SumTerm {
  name: string;
  agg: 'sum' | 'total';
  term: string;
}

/** Sums of the units of one variation first exposed on one day of the phase (day 0 = phase start). */
export interface DayRow {
  variation: number;
  day: number;
  units: number;
  metrics: MetricSums[];
}

/**
 * One metric's sum terms over a per-unit row (`column` names its values and `f`; `p.` by
 * default): the column name, its aggregate and the per-unit term. `end` is the time retention
 * eligibility is judged at. Units counted and their values by kind: `retention`, the units whose
 * window has ended; `nps`, the units with a score, +100 / 0 / −100 by its class (metric-sql.ts);
 * `repeat`, 1 when the unit's count (in the window, or in CUPED's look-back) reaches `atLeast`.
 */
export function sumTerms(
  spec: AnalysisSpec,
  i: number,
  cap: number | null | undefined,
  end = '@end',
  column = (name: string) => `p.${name}`,
): SumTerm[] {
  const metric = spec.metrics[i]!;
  const capped = (col: string) =>
    cap === null || cap === undefined ? column(col) : `min(${column(col)}, ${cap})`;
  const value = (col: string) => {
    if (metric.kind === 'repeat') return `(${column(col)} >= ${repeatAtLeast(metric)})`;
    if (metric.kind === 'nps') {
      const score = `(${column(col)} % ${NPS_SCALE})`;
      return `((${score} = 3) - (${score} = 1)) * 100`;
    }
    return capped(col);
  };
  const x = value(`m${i}`);
  let eligible = '1';
  if (metric.kind === 'retention' && metric.retention)
    eligible = `(${column('f')} + ${metric.retention.toDays * DAY_MS} <= ${end})`;
  else if (metric.kind === 'nps') eligible = `(${column(`m${i}`)} > 0)`;
  const out: SumTerm[] = [
    { name: `n${i}`, agg: 'sum', term: eligible },
    { name: `s${i}`, agg: 'total', term: `${eligible} * ${x}` },
    { name: `ss${i}`, agg: 'total', term: `${eligible} * ${x} * ${x}` },
  ];
  if (usesCuped(spec, metric)) {
    const pre = value(`p${i}`);
    out.push({ name: `ps${i}`, agg: 'total', term: `${eligible} * ${pre}` });
    out.push({ name: `pss${i}`, agg: 'total', term: `${eligible} * ${pre} * ${pre}` });
    out.push({ name: `psp${i}`, agg: 'total', term: `${eligible} * ${x} * ${pre}` });
  }
  if (metric.kind === 'ratio' && metric.denominatorEventName) {
    const d = column(`d${i}`);
    out.push({ name: `ds${i}`, agg: 'total', term: d });
    out.push({ name: `dss${i}`, agg: 'total', term: `${d} * ${d}` });
    out.push({ name: `dsp${i}`, agg: 'total', term: `${x} * ${d}` });
  }
  return out;
}

/** Adds `b` into `a` (same metric). */
export function addSums(a: MetricSums, b: MetricSums): MetricSums {
  const add = (x?: CrossMoments, y?: CrossMoments) =>
    x && y
      ? {
          sum: x.sum + y.sum,
          sumSquares: x.sumSquares + y.sumSquares,
          sumProduct: x.sumProduct + y.sumProduct,
        }
      : (x ?? y);
  const out: MetricSums = { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
  const pre = add(a.pre, b.pre);
  const denominator = add(a.denominator, b.denominator);
  if (pre) out.pre = pre;
  if (denominator) out.denominator = denominator;
  return out;
}

export function emptySums(metric: AnalysisMetric, spec: AnalysisSpec): MetricSums {
  const out: MetricSums = { n: 0, sum: 0, sumSquares: 0 };
  if (usesCuped(spec, metric)) out.pre = { sum: 0, sumSquares: 0, sumProduct: 0 };
  if (metric.kind === 'ratio' && metric.denominatorEventName)
    out.denominator = { sum: 0, sumSquares: 0, sumProduct: 0 };
  return out;
}
