// The SQL of a spec's metrics, shared by the from-scratch pass (analysis-tables.ts) and the kept
// state's refresh (analysis-state.ts): which events they read, each unit's value columns, and which
// units are analysed.
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import type { SqlParams } from './sql-params.ts';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Which variation index an event's variation string means: its key, or its position ("0", "1"). */
export function variationIndex(spec: AnalysisSpec, raw: string): number {
  const byKey = spec.variations.findIndex((v) => v.key === raw);
  if (byKey >= 0) return byKey;
  const n = /^\d+$/.test(raw) ? Number(raw) : -1;
  return n < spec.variations.length ? n : -1;
}

export function usesCuped(spec: AnalysisSpec, metric: AnalysisMetric): boolean {
  return spec.experiment.settings.cuped && metric.kind !== 'ratio' && metric.cupedLookbackDays > 0;
}

/**
 * The SQL of one metric's per-unit columns over the sorted event stream `t` (`e` the event's
 * position in `events`, `ts`, `v` its amount) joined to the unit's first exposure `f`. Every
 * event read has ts ≤ end, so no condition repeats that bound.
 */
export function metricColumns(
  spec: AnalysisSpec,
  metric: AnalysisMetric,
  i: number,
  events: string[],
  p: SqlParams,
  f = 'u.f',
): string[] {
  const code = (name: string) => events.indexOf(name);
  let during = `t.ts >= ${f}`;
  if (metric.kind === 'retention' && metric.retention) {
    const from = p.add(metric.retention.fromDays * DAY_MS);
    during = `t.ts >= ${f} + ${from} AND t.ts < ${f} + ${p.add(metric.retention.toDays * DAY_MS)}`;
  } else if (metric.windowHours !== null) {
    during += ` AND t.ts < ${f} + ${p.add(metric.windowHours * HOUR_MS)}`;
  }
  const amount = (cond: string, event = metric.eventName) => {
    const match = `t.e = ${code(event)} AND ${cond}`;
    if (metric.kind === 'binomial' || metric.kind === 'retention') return `max(${match})`;
    if (metric.kind === 'count') return `sum(${match})`;
    return `total(CASE WHEN ${match} THEN t.v END)`;
  };
  const columns = [`${amount(during)} AS m${i}`];
  if (usesCuped(spec, metric)) {
    const lookback = p.add(metric.cupedLookbackDays * DAY_MS);
    columns.push(`${amount(`t.ts < ${f} AND t.ts >= ${f} - ${lookback}`)} AS p${i}`);
  }
  if (metric.kind === 'ratio' && metric.denominatorEventName) {
    columns.push(`${amount(during, metric.denominatorEventName)} AS d${i}`);
  }
  return columns;
}

/** The event of `t` as its position in `events`: the per-metric conditions then compare integers. */
export function eventCode(events: string[], add: (value: string) => string): string {
  return `CASE t.event ${events.map((e, k) => `WHEN ${add(e)} THEN ${k}`).join(' ')} END`;
}

export function metricEvents(spec: AnalysisSpec): string[] {
  const names = new Set<string>();
  for (const m of spec.metrics) {
    names.add(m.eventName);
    if (m.kind === 'ratio' && m.denominatorEventName) names.add(m.denominatorEventName);
  }
  return [...names];
}

/** The largest look-back of any CUPED metric, in ms: how far before the phase events are read. */
export function maxLookback(spec: AnalysisSpec): number {
  return Math.max(
    0,
    ...spec.metrics.filter((m) => usesCuped(spec, m)).map((m) => m.cupedLookbackDays * DAY_MS),
  );
}

/** The analysed units: first exposed in the phase, in one variation only. */
export const ANALYSED_UNITS = `u.environment_id = @env AND u.experiment = @exp
  AND u.first_exposure_at >= @start AND u.first_exposure_at <= @end AND u.multiple_variations = 0`;
